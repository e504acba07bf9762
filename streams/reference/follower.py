"""Following the reference topics while a worker runs: a load reaches running workers in a
second or two, without a restart. Every worker reads every partition (no consumer group),
from where its start-up catch-up stopped, committed records only (loads are transactions)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from streams.reference.state import ReferenceData
from streams.settings import Settings
from streams.topics import REFERENCE_TOPICS

log = logging.getLogger("pulse.reference")


async def follow(settings: Settings, reference: ReferenceData,
                 positions: dict[tuple[str, int], int],
                 blocking: Callable[..., Awaitable[Any]]) -> None:
    """Apply reference records as they arrive, and rebuild once a load has stopped
    arriving (``blocking`` runs the rebuild off the event loop)."""
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
                reference.apply((kind_of[tp.topic], m.key, m.value)
                                for tp, ms in batch.items() for m in ms)
                batch = await consumer.getmany(timeout_ms=300)
            await blocking(reference.rebuild)
    except asyncio.CancelledError:
        raise
    except Exception as err:  # never take the worker down; log and stop following
        log.error("following reference topics failed", extra={"error": str(err)})
    finally:
        await consumer.stop()
