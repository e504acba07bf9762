"""Signature tokens used once, across every collector replica (Mailgun's replay defence).

Mailgun signs only its timestamp and a random token, not the event, and tells receivers to
refuse a token seen before: otherwise one captured request (a proxy log, a debug dump)
signs any other open or click for as long as the timestamp is accepted. The collector is
stateless and runs as several replicas, so the ledger is a Kafka topic,
``webhook_tokens``, whose one partition orders every claim: a replica appends
(token, digest of the event it signed) and reads the partition up to its own record; the
first record of a token decides. The same event again (a provider's retry) is welcome and
counts once by its event id; another event under a used token is a replay.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from services.collector.producer import NotQueued, Publisher, Unavailable
from streams.settings import Settings
from streams.topics import WEBHOOK_TOKENS

log = logging.getLogger("pulse.collect")


def digest(signed: Any) -> bytes:
    """What a token signed, as 16 bytes: the event's canonical JSON, hashed."""
    canonical = json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).digest()[:16]


def token_key(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()[:16]


class TokenLedger:
    def __init__(self, settings: Settings, publisher: Publisher, timeout: float = 10.0) -> None:
        self.settings = settings
        self.publisher = publisher
        self.timeout = timeout
        self.max_age = settings.webhook_max_age_seconds
        self.topic = settings.topic(WEBHOOK_TOKENS)
        self._first: dict[bytes, tuple[bytes, float]] = {}  # token -> (digest, first seen)
        self._position = 0  # next offset the tail will read
        self._moved = asyncio.Condition()
        self._tail: asyncio.Task[None] | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._pruned = time.monotonic()

    async def claim(self, token: str, signed: Any) -> bool:
        """True when ``token`` signed ``signed`` first (or only); False for a replay.
        Unavailable while the broker cannot order the claim."""
        await self._start()
        key, mine = token_key(token), digest(signed)
        known = self._first.get(key)
        if known is None:
            offsets = await self.publisher.publish([(WEBHOOK_TOKENS, key, mine, [])])
            try:
                async with self._moved:
                    await asyncio.wait_for(
                        self._moved.wait_for(lambda: self._position > offsets[0]), self.timeout)
            except TimeoutError:
                raise Unavailable("the token ledger did not catch up in time") from None
            known = self._first[key]
        return known[0] == mine

    async def _start(self) -> None:
        if self._tail is not None:
            if self._tail.done():  # the tail stopped on an error about the world: again
                self._tail = None
            else:
                return
        consumer = AIOKafkaConsumer(bootstrap_servers=self.settings.kafka_bootstrap,
                                    group_id=None, enable_auto_commit=False,
                                    fetch_max_wait_ms=20, client_id="pulse-collect-tokens")
        try:
            await asyncio.wait_for(consumer.start(), self.timeout)
            tp = TopicPartition(self.topic, 0)
            consumer.assign([tp])
            consumer.seek(tp, self._position)
        except (KafkaError, OSError, TimeoutError) as err:
            await consumer.stop()
            raise NotQueued(f"broker not reachable: {type(err).__name__}") from err
        self._consumer = consumer
        self._tail = asyncio.create_task(self._follow(consumer), name="pulse-token-ledger")

    async def _follow(self, consumer: AIOKafkaConsumer) -> None:
        try:
            while True:
                batches = await consumer.getmany(timeout_ms=1000)
                now = time.monotonic()
                for messages in batches.values():
                    for m in messages:
                        if m.key is not None and m.value is not None:
                            self._first.setdefault(m.key, (m.value, now))
                        self._position = m.offset + 1
                if batches:
                    async with self._moved:
                        self._moved.notify_all()
                if now - self._pruned > 60:
                    self._prune(now)
        except KafkaError as err:  # the next claim starts a new tail
            log.warning("following the token ledger failed", extra={"error": str(err)})
        finally:
            await consumer.stop()

    def _prune(self, now: float) -> None:
        """Tokens older than the accepted signature age cannot come back: their timestamp
        is refused first (the topic's retention drops them too)."""
        self._pruned = now
        horizon = now - self.max_age - 300
        self._first = {k: v for k, v in self._first.items() if v[1] >= horizon}

    async def close(self) -> None:
        if self._tail is not None:
            self._tail.cancel()
            await asyncio.gather(self._tail, return_exceptions=True)
