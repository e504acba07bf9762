"""The pipeline role: raw records in, event rows and dead letters landed, activity out.

The agent is a thin loop: take a batch as soon as the stream has nothing more buffered
(``streams/intake.py``), process it (pure, ``batch.py``), land it while the next batch is
processed, then ack. Offsets are acked only after the batch is in ClickHouse and its dead
letters are on their topic, so a crash anywhere before that replays the batch (the writer
is idempotent) instead of losing it. A failure about the world (warehouse down) blocks the
stream with backoff; rows the warehouse refuses for a reason about the data become dead
letters. After landing, the touched accounts' new events go to ``account_activity`` (the
repartition by account), and a timer tells every activity partition how far in event time
everything has landed (the watermark)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

import faust
from aiokafka.errors import KafkaError
from faust.exceptions import ProducerSendError
from faust.types import EventT

from streams import failpoints
from streams.blocking import Blocking
from streams.config import learning_rules, scoring_rules
from streams.ingest.batch import BatchResult, RawRecord, dead_letter_row, process_batch
from streams.ingest.scoring import ScoringRules
from streams.intake import Intake
from streams.reference.state import ReferenceData
from streams.retries import retrying
from streams.settings import Settings
from streams.surge.activity import (
    activity_batches,
    activity_message,
    touches_by_account,
    watermark_message,
)
from streams.surge.watermarks import FINAL_WATERMARK_MS, Watermarks
from streams.warehouse.events import ClickHouseSink, WriteSummary
from streams.warehouse.failures import is_transient, reason

log = logging.getLogger("pulse.pipeline")


@dataclass
class PipelineStats:
    consumed: int = 0
    landed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    filtered: int = 0  # suppressed people's events
    batches: int = 0
    positions: dict[tuple[str, int], int] = field(default_factory=dict)  # next offset
    final_watermark_sent: bool = False  # a drain's last watermark is on every partition


class Pipeline:
    def __init__(self, settings: Settings, sink: ClickHouseSink, reference: ReferenceData,
                 dead_letters: Any, activity: Any) -> None:
        self.settings = settings
        self.sink = sink
        self.reference = reference
        self.dead_letters = dead_letters  # faust topics
        self.activity = activity
        self.stats = PipelineStats()
        self.watermarks = Watermarks(settings.watermark_idle_seconds)
        self.rules: ScoringRules = scoring_rules(settings)
        self.secret = settings.person_key_secret.get_secret_value().encode()
        self.source = f"{settings.app_id}-{uuid.uuid4().hex[:12]}"  # this worker, to surge
        self.blocking = Blocking("sink")
        self.timings: dict[str, float] = {}  # the last landing's, for the debug log

    async def agent(self, stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        """Batch N+1 is processed while batch N lands (one landing in flight). Landings
        run one after another, each acking its batch once written, so acks stay in offset
        order and never precede the write."""
        s = self.settings
        intake = Intake(stream, s.batch_size, s.batch_seconds, s.batch_spacing_seconds)
        landing: asyncio.Future[None] | None = None
        try:
            async for batch in intake.batches():
                records = [RawRecord(m.topic, m.partition, m.offset, m.value)
                           for m in (e.message for e in batch)]
                started = time.perf_counter()
                result = self.process(records)
                if landing is not None:
                    await landing
                landing = intake.watch(asyncio.ensure_future(
                    self.land_and_ack(stream, batch, records, result, started)))
                yield None
            if landing is not None:
                await landing
        finally:  # a shutdown: what has not landed is not acked (and comes again)
            if landing is not None and not landing.done():
                landing.cancel()

    async def land_and_ack(self, stream: faust.StreamT[bytes], batch: list[EventT],
                           records: list[RawRecord], result: BatchResult,
                           started: float) -> None:
        if pause := failpoints.delay("slow_landing"):
            await asyncio.sleep(pause)
        await self.land(result)
        wall = time.monotonic()
        observe = self.watermarks.observe
        for row in result.events:  # event time, now landed (a clock far ahead: never)
            if not row.future:
                observe(row.source_topic, row.source_partition, row.ts.timestamp(), wall)
        # Faust acks one event at a time (its commit looks for gaps in each partition's
        # acked offsets); stream.ack does not wait on anything, so this is one plain loop.
        for event in batch:
            await stream.ack(event)
        positions = self.stats.positions
        for rec in records:
            tp = (rec.topic, rec.partition)
            if rec.offset >= positions.get(tp, 0):
                positions[tp] = rec.offset + 1
        self.stats.consumed += len(records)
        self.stats.batches += 1
        log.debug("batch landed", extra={"records": len(records), **self.timings,
                                         "ms": round((time.perf_counter() - started) * 1e3)})

    def process(self, records: list[RawRecord]) -> BatchResult:
        s, ref = self.settings, self.reference
        return process_batch(records, failpoints.with_bugs(ref.attributor), self.secret,
                             s.topic_prefix, links=ref.links, suppressed=ref.suppressed,
                             late_grace_s=s.late_grace_seconds, rules=self.rules,
                             future_limit_s=s.future_limit_hours * 3600)

    def write(self, result: BatchResult) -> WriteSummary:
        if failpoints.switched_on("warehouse_down"):
            raise ConnectionError("the warehouse refuses writes (failpoint warehouse_down)")
        try:
            return self.sink.write(result)
        except Exception as err:
            if is_transient(err):
                raise
            # A bug of ours, not the data's nor the world's: the batch is dead-lettered
            # whole (bytes kept, to be replayed once fixed) instead of blocking the stream.
            log.error("landing a batch failed; dead-lettering it", exc_info=err)
            why = f"processing error: landing failed: {type(err).__name__}: {reason(err)}"
            return self.sink.write(BatchResult(dead_letters=result.dead_letters + [
                dead_letter_row(rec, why, datetime.now(UTC), "processing_error", "land")
                for rec in result.sources]))

    async def land(self, result: BatchResult) -> None:
        """Write (retried while the failure is about the world: the stream waits, nothing
        is dead-lettered or skipped), publish the dead letters, then the activity."""
        t0 = time.perf_counter()
        summary = await retrying(partial(self.blocking, self.write, result), log,
                                 "warehouse write failed; retrying")
        t1 = time.perf_counter()
        pending = []
        for row in summary.dead_letter_rows:
            key = f"{row.topic}:{row.partition}:{row.offset}".encode()
            pending.append(await self.dead_letters.send(key=key, value=row.message()))
        # Each touched account on the activity partition that owns it (the repartition).
        batches = activity_batches(touches_by_account(summary.landed),
                                   self.settings.input_partitions)
        for p, value in batches.items():
            pending.append(await self.activity.send(key=None, value=value, partition=p))
        for fut in pending:
            await fut
        self.timings = {"write_ms": round((t1 - t0) * 1e3, 1),
                        "send_ms": round((time.perf_counter() - t1) * 1e3, 1)}
        self.stats.landed += summary.events
        self.stats.duplicates += summary.duplicates
        self.stats.dead_lettered += len(summary.dead_letter_rows)
        self.stats.filtered += result.filtered

    async def publish_watermark(self) -> None:
        """Every activity partition hears this worker's low watermark, and each customer
        gets a tick when it passes midnight (cooling is read once a day)."""
        w = self.watermarks
        final = w.final
        low = w.low(time.monotonic())
        if low is None and not final:  # a drain with nothing new still ends
            return
        try:
            for day in w.due_ticks(time.monotonic(), self.settings.cooling_tick_delay_seconds):
                for account_id, account in list(self.reference.accounts.items()):
                    if getattr(account, "customer", False):
                        await self.activity.send(key=account_id.encode(),
                                                 value=activity_message(account_id, tick_day=day))
            # A drain's input is complete: everything has landed, including what activity
            # redelivered from an earlier run refers to, so every touch may be read.
            value = watermark_message(self.source, FINAL_WATERMARK_MS if final
                                      else round((low or 0.0) * 1000))
            sent = [await self.activity.send(key=None, value=value, partition=p)
                    for p in range(self.settings.input_partitions)]
            for fut in sent:
                await fut
            if final:
                self.stats.final_watermark_sent = True
        except (ProducerSendError, KafkaError, OSError) as err:  # the world: the next tick tries
            log.warning("publishing the watermark failed", extra={"error": str(err)})

    async def refresh_links(self) -> None:
        """Visitor links other workers made (and this one, after a restart)."""
        try:
            await self.blocking(self.reference.refresh_links, self.sink.query,
                                self.settings.stitch_lookback_days)
        except Exception as err:
            if not is_transient(err):  # a failure of ours must show, not repeat quietly
                raise
            log.warning("refreshing visitor links failed", extra={"error": str(err)})

    async def learn_ip_blocks(self) -> None:
        try:
            await self.blocking(self.reference.learn_ip_blocks, self.sink.query,
                                learning_rules(self.settings))
        except Exception as err:
            if not is_transient(err):  # a failure of ours must show, not repeat quietly
                raise
            log.warning("learning IP blocks failed", extra={"error": str(err)})
