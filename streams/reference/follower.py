"""Following the reference topics while a worker runs: a load reaches running workers in a
second or two, without a restart. Every worker reads every partition (no consumer group),
from where its start-up catch-up stopped, committed records only (loads are transactions).

It never gives up. A record no loader wrote becomes a dead letter (topic, partition,
offset, bytes, reason) and following goes on: a worker left on frozen reference data would
silently stop honouring `pulse forget`. A failure about the world is retried: the broker
or the network (here, with backoff, from the last record done), the warehouse (by
``dead_letters`` itself, which waits until it takes them). Anything else is a bug of ours,
and fails loudly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from streams.ingest.rows import DeadLetterRow
from streams.reference.state import ReferenceData
from streams.settings import KafkaSettings
from streams.topics import REFERENCE_TOPICS

log = logging.getLogger("pulse.reference")
DeadLetters = Callable[[Sequence[DeadLetterRow]], Awaitable[None]]
Positions = dict[tuple[str, int], int]


async def follow(settings: KafkaSettings, reference: ReferenceData, positions: Positions,
                 blocking: Callable[..., Awaitable[Any]], dead_letters: DeadLetters,
                 pending: Sequence[DeadLetterRow] = (), first_delay: float = 1.0,
                 max_delay: float = 30.0) -> None:
    """Apply reference records as they arrive, and rebuild once a load has stopped
    arriving (``blocking`` runs the rebuild off the event loop). ``pending``: dead letters
    of the start-up catch-up, landed first. ``positions`` advance as records are done."""
    delay = first_delay
    while True:
        started = asyncio.get_running_loop().time()
        try:
            if pending:
                await dead_letters(pending)
                pending = ()
            await _follow(settings, reference, positions, blocking, dead_letters)
        except (KafkaError, OSError) as err:  # the broker or the network; ours would show
            if asyncio.get_running_loop().time() - started > max_delay:
                delay = first_delay  # it had been following well: a new outage
            log.warning("following reference topics failed; retrying",
                        extra={"error": f"{type(err).__name__}: {err}"[:300],
                               "retry_in_s": delay})
        await asyncio.sleep(delay)
        delay = min(delay * 2, max_delay)


async def _follow(settings: KafkaSettings, reference: ReferenceData, positions: Positions,
                  blocking: Callable[..., Awaitable[Any]], dead_letters: DeadLetters) -> None:
    kind_of = {settings.topic(k): k for k in REFERENCE_TOPICS}
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                                enable_auto_commit=False, group_id=None,
                                client_id=f"{settings.app_id}-reference",
                                isolation_level="read_committed")  # whole loads only
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for (t, p) in positions]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, positions[(tp.topic, tp.partition)])
        while True:
            batch = await consumer.getmany(timeout_ms=500)
            if not batch:
                continue
            while batch:  # keep reading while a load is still arriving
                messages = [(tp, m) for tp, ms in batch.items() for m in ms]
                refused = reference.apply([(kind_of[tp.topic], m.key, m.value)
                                           for tp, m in messages])
                if refused:
                    now = datetime.now(UTC)
                    await dead_letters([
                        DeadLetterRow(messages[i][0].topic, messages[i][0].partition,
                                      messages[i][1].offset, messages[i][1].value or b"",
                                      why, now, "unreadable_reference", "decode")
                        for i, why in refused])
                for tp, m in messages:
                    positions[(tp.topic, tp.partition)] = m.offset + 1
                batch = await consumer.getmany(timeout_ms=300)
            await blocking(reference.rebuild)
    finally:
        await consumer.stop()
