"""Publishing with acknowledgement: the collector answers 2xx only once Kafka has the
records (acks=all, idempotent producer), and 503 while the broker cannot take them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from streams.settings import KafkaSettings
from streams.topics import INPUT_MAX_BYTES

log = logging.getLogger("pulse.collect")


class Unavailable(RuntimeError):
    """The broker did not acknowledge in time: nothing may be reported as accepted (what
    was queued may still land)."""


class NotQueued(Unavailable):
    """No connection to the broker: nothing was handed to the producer."""


Record = tuple[str, bytes, bytes, list[tuple[str, bytes]]]  # topic, key, value, headers


class Publisher:
    def __init__(self, settings: KafkaSettings, timeout: float = 10.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()
        self._checked = (-1e9, False)  # (when, reachable) of the last health check

    async def _started(self) -> AIOKafkaProducer:
        async with self._lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.settings.kafka_bootstrap, acks="all",
                    enable_idempotence=True, request_timeout_ms=int(self.timeout * 1000),
                    max_request_size=INPUT_MAX_BYTES, linger_ms=2)
                try:
                    await asyncio.wait_for(producer.start(), self.timeout)
                except (KafkaError, OSError, TimeoutError) as err:
                    await producer.stop()
                    raise NotQueued(f"broker not reachable: {type(err).__name__}") from err
                self._producer = producer
            return self._producer

    async def publish(self, records: Sequence[Record]) -> list[int]:
        """Every record acknowledged by the broker (their offsets), or Unavailable."""
        if not records:
            return []
        producer = await self._started()

        async def send_all() -> list[int]:
            futures = [await producer.send(self.settings.topic(topic), value, key=key,
                                           headers=headers)
                       for topic, key, value, headers in records]
            return [m.offset for m in await asyncio.gather(*futures)]

        try:
            return await asyncio.wait_for(send_all(), self.timeout)
        except (KafkaError, OSError, TimeoutError) as err:
            log.warning("publish not acknowledged", extra={"error": type(err).__name__})
            raise Unavailable(f"broker did not acknowledge: {type(err).__name__}") from err

    async def reachable(self, timeout: float = 2.0) -> bool:
        """The broker answers a metadata request now (read at most once a second: load
        balancers poll health often)."""
        now = time.monotonic()
        if now - self._checked[0] < 1.0:
            return self._checked[1]
        try:
            producer = await self._started()
            ok = bool(await asyncio.wait_for(producer.client.force_metadata_update(), timeout))
        except (Unavailable, KafkaError, OSError, TimeoutError):
            ok = False
        self._checked = (time.monotonic(), ok)
        return ok

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
