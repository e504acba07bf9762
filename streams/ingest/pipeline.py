"""The pipeline agent: a thin loop of take a batch, process (pure), land, then ack.

Offsets are acked only after the batch is in ClickHouse and its dead letters are on
their topic, so a crash anywhere before that replays the batch (the sink is idempotent)
instead of losing it. A failing warehouse blocks the stream with backoff; it never
turns into dead letters or skipped offsets.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import faust
from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.types import EventT

from streams import failpoints
from streams.ingest.batch import BatchResult, RawRecord, dead_letter_row, process_batch
from streams.ingest.scoring import default_rules, load_rules
from streams.reference.state import ReferenceData
from streams.retries import retrying
from streams.settings import Settings
from streams.surge.activity import (
    FINAL_WATERMARK_MS,
    Watermarks,
    activity_batches,
    activity_message,
    touches_by_account,
    watermark_message,
)
from streams.topics import ACCOUNT_ACTIVITY, DEAD_LETTERS, INPUT_TOPICS, REFERENCE_TOPICS
from streams.warehouse.events import ClickHouseSink, WriteSummary
from streams.warehouse.failures import is_transient, reason

log = logging.getLogger("pulse.pipeline")
T = TypeVar("T")


@dataclass
class PipelineStats:
    consumed: int = 0
    landed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    filtered: int = 0  # suppressed people's events
    batches: int = 0
    positions: dict[tuple[str, int], int] = field(default_factory=dict)  # next offset
    watermarks: Watermarks = field(default_factory=Watermarks)


def register_pipeline(
    app: faust.App, settings: Settings, sink: ClickHouseSink, reference: ReferenceData,
    reference_positions: dict[tuple[str, int], int],
) -> PipelineStats:
    stats = PipelineStats()
    rules = load_rules(Path(settings.scoring_rules)) if settings.scoring_rules else default_rules()
    secret = settings.person_key_secret.get_secret_value().encode()
    # One thread for every warehouse call, so the event loop (heartbeats) never blocks.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pulse-sink")
    inputs = app.topic(
        *[settings.topic(name) for name in INPUT_TOPICS],
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
    )
    dead_letters = app.topic(
        settings.topic(DEAD_LETTERS), key_type=bytes, value_type=bytes,
        key_serializer="raw", value_serializer="raw",
    )
    activity = app.topic(
        settings.topic(ACCOUNT_ACTIVITY), key_type=bytes, value_type=bytes,
        key_serializer="raw", value_serializer="raw",
    )
    watermarks = stats.watermarks = Watermarks(settings.watermark_idle_seconds)
    source = f"{settings.app_id}-{uuid.uuid4().hex[:12]}"  # this worker, as surge agents see it

    async def in_executor(fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)

    def write(result: BatchResult) -> WriteSummary:
        if failpoints.switched_on("warehouse_down"):
            raise ConnectionError("the warehouse refuses writes (failpoint warehouse_down)")
        try:
            return sink.write(result)
        except Exception as err:
            if is_transient(err):
                raise
            # A bug of ours, not the data's nor the world's: the batch is dead-lettered
            # whole (bytes kept, to be replayed once fixed) instead of blocking the stream.
            log.error("landing a batch failed; dead-lettering it", exc_info=err)
            why = f"processing error: landing failed: {type(err).__name__}: {reason(err)}"
            return sink.write(BatchResult(dead_letters=result.dead_letters + [
                dead_letter_row(rec, why, datetime.now(UTC)) for rec in result.sources]))

    async def land(result: BatchResult) -> None:
        # Retried while the failure is about the world (warehouse down, timeouts): the
        # stream waits, nothing is dead-lettered or skipped. Rows the warehouse refuses
        # for a data reason come back as dead letters (see ClickHouseSink.write).
        summary = await retrying(partial(in_executor, write, result), log,
                                 "warehouse write failed; retrying")
        pending = []
        for row in summary.dead_letter_rows:
            key = f"{row.topic}:{row.partition}:{row.offset}".encode()
            pending.append(await dead_letters.send(key=key, value=row.message()))
        # Then tell surge detection which accounts were touched, each on the partition that
        # owns it (the repartition).
        batches = activity_batches(touches_by_account(summary.landed), settings.input_partitions)
        for partition, value in batches.items():
            pending.append(await activity.send(key=None, value=value, partition=partition))
        for fut in pending:
            await fut
        stats.landed += summary.events
        stats.duplicates += summary.duplicates
        stats.dead_lettered += len(summary.dead_letter_rows)
        stats.filtered += result.filtered

    @app.agent(inputs, name="pipeline")
    async def pipeline(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        # noack_take: acks are ours to give, after landing (take() acks in a finally,
        # which would ack a batch whose write was cancelled by a shutdown).
        batches = stream.noack_take(  # type: ignore[attr-defined]
            settings.batch_size, within=settings.batch_seconds)
        async for events in batches:
            batch: list[EventT] = list(events)
            records = [
                RawRecord(e.message.topic, e.message.partition, e.message.offset, e.message.value)
                for e in batch
            ]
            started = time.perf_counter()
            attributor = failpoints.with_bugs(reference.attributor)
            result = process_batch(records, attributor, secret, settings.topic_prefix,
                                   links=reference.links, suppressed=reference.suppressed,
                                   late_grace_s=settings.late_grace_seconds, rules=rules,
                                   future_limit_s=settings.future_limit_hours * 3600)
            await land(result)
            wall = time.monotonic()
            for row in result.events:  # event time, now landed
                if not row.future:
                    watermarks.observe(row.source_topic, row.source_partition,
                                       row.ts.timestamp(), wall)
            for event in batch:
                await stream.ack(event)
            for rec in records:
                tp = (rec.topic, rec.partition)
                stats.positions[tp] = max(stats.positions.get(tp, 0), rec.offset + 1)
            stats.consumed += len(records)
            stats.batches += 1
            log.debug("batch landed", extra={"records": len(records),
                                             "ms": round((time.perf_counter() - started) * 1e3)})
            yield None

    @app.timer(settings.watermark_interval_seconds)
    async def publish_watermark() -> None:
        """Every activity partition hears this worker's low watermark, and each customer
        gets a tick when it passes midnight (cooling is read once a day)."""
        low = watermarks.low(time.monotonic())
        if low is None and not watermarks.final:  # a drain with nothing new still ends
            return
        try:
            for day in watermarks.due_ticks(time.monotonic(), settings.cooling_tick_delay_seconds):
                for account_id, account in list(reference.accounts.items()):
                    if getattr(account, "customer", False):
                        await activity.send(key=account_id.encode(),
                                            value=activity_message(account_id, tick_day=day))
            # A drain's input is complete: everything has landed, including what activity
            # redelivered from an earlier run refers to, so every touch may be read.
            value = watermark_message(source, FINAL_WATERMARK_MS if watermarks.final
                                      else round((low or 0.0) * 1000))
            for p in range(settings.input_partitions):
                await activity.send(key=None, value=value, partition=p)
        except Exception as err:  # the next tick tries again
            log.warning("publishing the watermark failed", extra={"error": str(err)})

    @app.timer(settings.reference_refresh_seconds)
    async def refresh_links() -> None:
        try:
            await in_executor(reference.refresh_links, sink.query, settings.stitch_lookback_days)
        except Exception as err:
            log.warning("refreshing visitor links failed", extra={"error": str(err)})

    @app.task
    async def follow_reference() -> None:
        """Apply reference loads as they arrive on the compacted topics (every worker reads
        every partition, from where start-up catch-up stopped), then rebuild once quiet."""
        kind_of = {settings.topic(k): k for k in REFERENCE_TOPICS}
        consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                                    enable_auto_commit=False, group_id=None,
                                    client_id=f"{settings.app_id}-reference",
                                    isolation_level="read_committed")  # whole loads only
        await consumer.start()
        try:
            tps = [TopicPartition(t, p) for (t, p) in reference_positions]
            consumer.assign(tps)
            for tp in tps:
                consumer.seek(tp, reference_positions[(tp.topic, tp.partition)])
            while True:
                batch = await consumer.getmany(timeout_ms=500)
                if not batch:
                    continue
                while batch:  # keep reading while a load is still arriving
                    reference.apply((kind_of[tp.topic], m.key, m.value)
                                    for tp, ms in batch.items() for m in ms)
                    batch = await consumer.getmany(timeout_ms=300)
                await in_executor(reference.rebuild)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # never take the worker down; log and stop following
            log.error("following reference topics failed", extra={"error": str(err)})
        finally:
            await consumer.stop()

    @app.timer(settings.learn_interval_seconds)
    async def learn_ip_blocks() -> None:
        try:
            await in_executor(reference.learn_ip_blocks, sink.query, settings.learning_rules())
        except Exception as err:
            log.warning("learning IP blocks failed", extra={"error": str(err)})

    return stats
