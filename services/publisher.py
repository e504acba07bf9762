"""Publish a JSONL file of events to their input topics by ``type`` (kafka-python)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaProducer
from kafka.errors import KafkaError

from schemas.events import derive_event_id
from services.progress import Steps
from services.progress import progress as progress_bar
from streams.ingest.codecs import TOPIC_OF_TYPE
from streams.settings import Settings
from streams.topics import INPUT_MAX_BYTES


@dataclass
class PublishReport:
    published: Counter[str] = field(default_factory=Counter)
    rejected: list[str] = field(default_factory=list)  # "line N: reason"


# What the input topics take (max.message.bytes); the pipeline dead-letters anything over
# 1 MB, but a record over this cannot even reach it.
MAX_LINE_BYTES = INPUT_MAX_BYTES - 1024


def route(line: bytes) -> tuple[str, bytes]:
    """(topic name, key) for one JSONL line; ValueError when it cannot be routed."""
    if len(line) > MAX_LINE_BYTES:
        raise ValueError(f"{len(line):,} bytes: larger than an input topic takes "
                         f"({MAX_LINE_BYTES:,})")
    try:
        data = json.loads(line)
    except RecursionError:
        raise ValueError("not JSON (nested too deeply)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"not JSON ({err})") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    topic = TOPIC_OF_TYPE.get(data.get("type"))  # type: ignore[arg-type]
    if topic is None:
        raise ValueError(f"unknown event type {data.get('type')!r}")
    event_id = data.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        event_id = derive_event_id({k: v for k, v in data.items() if k != "event_id"})
    # Keyed by event id: a resent event lands on the same partition as the first copy.
    return topic, event_id.encode()


def producer(settings: Settings) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=20,
        batch_size=512 * 1024, max_request_size=4 * 1024 * 1024, client_id="pulse-publish",
    )


def read_lines(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        for line in fh:
            yield line.rstrip(b"\r\n")


def publish(settings: Settings, lines: Iterable[bytes], progress: bool = False) -> PublishReport:
    """Publish every line that can be routed; the others are reported with their numbers,
    and a line the broker refuses is reported too, never stopping the rest."""
    report = PublishReport()
    refused: list[tuple[int, str, str]] = []  # line, topic, why
    prod = producer(settings)
    try:
        with progress_bar(progress) as bar:
            steps = Steps(bar)
            steps.start("publishing lines")
            for n, line in enumerate(lines, 1):
                steps.advance("publishing lines")
                if not line.strip():
                    continue
                try:
                    topic, key = route(line)
                    future = prod.send(settings.topic(topic), key=key, value=line)
                except ValueError as err:
                    report.rejected.append(f"line {n}: {err}")
                    continue
                except KafkaError as err:  # refused before sending (size, serialisation)
                    report.rejected.append(f"line {n}: refused by the producer ({err})")
                    continue
                future.add_errback(lambda err, n=n, t=topic: refused.append((n, t, str(err))))
                report.published[topic] += 1
            steps.finish("publishing lines")
            prod.flush()
    finally:
        prod.close()
    for n, topic, why in sorted(refused):
        report.rejected.append(f"line {n}: refused by the broker ({why})")
        report.published[topic] -= 1
    return report
