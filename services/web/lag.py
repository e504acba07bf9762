"""Consumer lag of the pipeline's input topics, for the ops page. Read from the broker in a
background thread at most every ``max_age`` seconds, so a page never waits on Kafka: it
shows the latest reading, or why there is none.

A failure about the world (no broker, a timeout) reads "broker not reachable" and is tried
again at the next reading. Anything else is a failure of AccountPulse: it is logged once
with its traceback and shown as such, never dressed up as the broker's."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from streams.settings import KafkaSettings
from streams.topics import INPUT_TOPICS

log = logging.getLogger("pulse.web")


@dataclass(frozen=True)
class LagReading:
    topics: dict[str, int] = field(default_factory=dict)  # input topic -> records not yet read
    read_at: datetime | None = None
    error: str = ""
    world: bool = True  # the error is about the world (broker, network), not AccountPulse


def lag_of(ends: dict[TopicPartition, int], beginnings: dict[TopicPartition, int],
           committed: dict[TopicPartition, int]) -> int:
    """Records not yet read: from the committed offset, or from the partition's first
    record when the group has committed nothing there (retention may have dropped the
    records before it: they can never be read, so they are no lag)."""
    total = 0
    for tp, end in ends.items():
        start = committed.get(tp, -1)
        if start < 0:
            start = beginnings.get(tp, 0)
        total += max(end - start, 0)
    return total


def read_lag(settings: KafkaSettings, timeout_ms: int = 3000) -> dict[str, int]:
    servers = settings.kafka_bootstrap.split(",")
    with contextlib.ExitStack() as clients:  # each closed, however far the reading got
        admin = KafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=timeout_ms,
                                 bootstrap_timeout_ms=timeout_ms, client_id="pulse-web-lag")
        clients.callback(admin.close)
        consumer = KafkaConsumer(bootstrap_servers=servers, request_timeout_ms=timeout_ms + 1000,
                                 bootstrap_timeout_ms=timeout_ms, enable_auto_commit=False,
                                 client_id="pulse-web-lag")
        clients.callback(consumer.close)
        groups = admin.list_group_offsets({settings.app_id: None})
        committed = {tp: om.offset for tp, om in groups.get(settings.app_id, {}).items()}
        lag: dict[str, int] = {}
        for name in INPUT_TOPICS:
            topic = settings.topic(name)
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            if not parts:
                lag[name] = 0
                continue
            lag[name] = lag_of(consumer.end_offsets(parts), consumer.beginning_offsets(parts),
                               committed)
        return lag


def about_the_world(err: BaseException) -> bool:
    if isinstance(err, OSError | TimeoutError):
        return True
    return isinstance(err, KafkaError) and bool(err.retriable)


class LagMonitor:
    def __init__(self, settings: KafkaSettings, max_age: float = 10.0) -> None:
        self.settings = settings
        self.max_age = max_age
        self._reading = LagReading()
        self._started = -1e9
        self._lock = threading.Lock()
        self._logged: set[str] = set()  # failures of ours already logged with a traceback

    def reading(self) -> LagReading:
        """The latest reading; starts a new one in the background when it is stale."""
        with self._lock:
            if time.monotonic() - self._started > self.max_age:
                self._started = time.monotonic()
                threading.Thread(target=self.refresh, daemon=True, name="pulse-lag").start()
            return self._reading

    def refresh(self) -> LagReading:
        try:
            reading = LagReading(read_lag(self.settings), datetime.now(UTC))
        except Exception as err:  # a reading must not end the thread; each kind is named
            reading = self._failed(err)
        with self._lock:
            self._reading = reading
        return reading

    def _failed(self, err: Exception) -> LagReading:
        old = self._reading
        if about_the_world(err):
            why = f"broker not reachable: {type(err).__name__}: {err}"
            return LagReading(old.topics, old.read_at, why[:200], world=True)
        kind = type(err).__name__
        if kind not in self._logged:  # once, with its traceback: a bug to fix, not weather
            self._logged.add(kind)
            log.error("reading consumer lag failed", exc_info=err)
        why = f"AccountPulse could not read the consumer lag: {kind}: {err}"
        return LagReading(old.topics, old.read_at, why[:300], world=False)
