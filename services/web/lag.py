"""Consumer lag of the pipeline's input topics, for the ops page. Read from the broker in a
background thread at most every ``max_age`` seconds, so a page never waits on Kafka: it
shows the latest reading, or that the broker could not be reached."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from streams.settings import Settings
from streams.topics import INPUT_TOPICS


@dataclass(frozen=True)
class LagReading:
    topics: dict[str, int] = field(default_factory=dict)  # input topic -> records not yet read
    read_at: datetime | None = None
    error: str = ""


def read_lag(settings: Settings, timeout_ms: int = 3000) -> dict[str, int]:
    from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition

    servers = settings.kafka_bootstrap.split(",")
    admin = KafkaAdminClient(bootstrap_servers=servers, request_timeout_ms=timeout_ms,
                             api_version_auto_timeout_ms=timeout_ms)
    try:
        consumer = KafkaConsumer(bootstrap_servers=servers, request_timeout_ms=timeout_ms + 1000,
                                 api_version_auto_timeout_ms=timeout_ms, enable_auto_commit=False)
    except Exception:
        admin.close()
        raise
    try:
        committed = admin.list_consumer_group_offsets(settings.app_id)
        lag: dict[str, int] = {}
        for name in INPUT_TOPICS:
            topic = settings.topic(name)
            parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
            ends = consumer.end_offsets(parts) if parts else {}
            lag[name] = sum(max(end - (committed[tp].offset if tp in committed else 0), 0)
                            for tp, end in ends.items())
        return lag
    finally:
        consumer.close()
        admin.close()


class LagMonitor:
    def __init__(self, settings: Settings, max_age: float = 10.0) -> None:
        self.settings = settings
        self.max_age = max_age
        self._reading = LagReading()
        self._started = 0.0
        self._lock = threading.Lock()

    def reading(self) -> LagReading:
        """The latest reading; starts a new one in the background when it is stale."""
        with self._lock:
            if time.monotonic() - self._started > self.max_age:
                self._started = time.monotonic()
                threading.Thread(target=self._refresh, daemon=True, name="pulse-lag").start()
            return self._reading

    def _refresh(self) -> None:
        try:
            reading = LagReading(read_lag(self.settings), datetime.now(UTC))
        except Exception as err:  # the broker is about the world: say so, try again later
            reading = LagReading(self._reading.topics, self._reading.read_at,
                                 f"broker not reachable: {type(err).__name__}: {err}"[:200])
        with self._lock:
            self._reading = reading
