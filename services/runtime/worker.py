"""``pulse run``: the pipeline worker, owner of the embedded warehouse while it runs."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import faust
from kafka import KafkaConsumer, TopicPartition

from services.privacy import require_person_key
from services.reference.topics import read_all, seed_from_warehouse
from services.runtime.topics_admin import ensure_topics
from services.warehouse import (
    ENGINE_LOCK,
    DirectWarehouse,
    HolderServer,
    SharedClient,
    WarehouseBusy,
    migrate,
)
from streams.alerts.delivery import register_delivery
from streams.app import create_app
from streams.attribution.domains import disposable_domains, shipped_free_mail_domains
from streams.ingest.non_human import NonHumanFilter
from streams.ingest.pipeline import PipelineStats, register_pipeline
from streams.reference.state import ReferenceData
from streams.settings import Settings
from streams.surge.agent import SurgeStats, register_surge
from streams.topics import ACCOUNT_ACTIVITY, INPUT_TOPICS, SURGE_ALERTS
from streams.warehouse.events import ClickHouseSink

log = logging.getLogger("pulse.run")


@dataclass(frozen=True)
class RunResult:
    stats: PipelineStats
    seconds: float
    surge: SurgeStats


def free_mail(settings: Settings) -> frozenset[str]:
    """Free-mail and disposable domains: never evidence of a company."""
    extra = {d.strip().lower() for d in settings.free_mail_extra.split(";") if d.strip()}
    return shipped_free_mail_domains() | disposable_domains() | extra


def non_human_filter(settings: Settings) -> NonHumanFilter:
    def networks(spec: str) -> list[str]:
        return [c.strip() for c in spec.split(";") if c.strip()]

    return NonHumanFilter(settings.scanner_seconds, networks(settings.privacy_proxy_ranges),
                          networks(settings.email_scanner_ranges))


def backlog_targets(settings: Settings, names: tuple[str, ...] = INPUT_TOPICS,
                    ) -> dict[tuple[str, int], int]:
    """Per partition of the topics, the offset the group must reach to have seen
    everything published so far, leaving out what the group had already committed."""
    topics = [settings.topic(t) for t in names]
    # Reads the group's committed offsets without joining the group.
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, client_id="pulse-drain",
                             group_id=settings.app_id, enable_auto_commit=False)
    try:
        tps = [TopicPartition(t, p) for t in topics
               for p in sorted(consumer.partitions_for_topic(t) or ())]
        ends = consumer.end_offsets(tps)
        return {(tp.topic, tp.partition): end for tp, end in ends.items()
                if end > (consumer.committed(tp) or 0)}
    finally:
        consumer.close()


def caught_up(positions: dict[tuple[str, int], int], ends: dict[tuple[str, int], int]) -> bool:
    return all(positions.get(tp, 0) >= end for tp, end in ends.items())


STOP_GRACE_S = 20.0


def summary_line(result: RunResult) -> str:
    st = result.stats
    return (f"processed {st.consumed} record(s) in {result.seconds:.1f}s: {st.landed} landed, "
            f"{st.duplicates} duplicate(s) skipped, {st.dead_lettered} dead-lettered"
            + (f", {st.filtered} of forgotten people dropped" if st.filtered else "")
            + f"; {result.surge.alerts} alert(s) raised")


def _exit_if_stuck(holder: HolderServer | None, grace_s: float = STOP_GRACE_S,
                   last_words: Callable[[], str] | None = None) -> None:
    """Faust can hang stopping an agent parked in ``take(within=...)`` (faust-streaming
    issue #162). Everything acked has landed, so if the stop has not finished after the
    grace period the process leaves; at worst a restart replays a batch, idempotently."""
    def watchdog() -> None:
        time.sleep(grace_s)
        log.warning("faust did not stop in time; exiting", extra={"grace_s": grace_s})
        if holder is not None:
            holder.stop()
        if last_words is not None:
            print(last_words(), flush=True)
        logging.shutdown()
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True, name="pulse-stop-watchdog").start()


class PulseWorker(faust.Worker):
    held: dict[str, Any]  # "holder": the HolderServer while this process holds chDB

    def _on_sigterm(self) -> None:
        _exit_if_stuck(self.held.get("holder"))
        super()._on_sigterm()

    def _on_sigint(self) -> None:
        _exit_if_stuck(self.held.get("holder"))
        super()._on_sigint()


def run_pipeline(settings: Settings, drain: bool = False) -> RunResult:
    """Run until stopped (SIGTERM/SIGINT), or with ``drain`` until the backlog has landed."""
    started = time.monotonic()
    require_person_key(settings)
    ensure_topics(settings)
    held: dict[str, Any] = {"holder": None, "warehouse": None}

    def hold(client: Any) -> None:
        """This process holds the embedded engine from now on: serve it."""
        held["warehouse"] = DirectWarehouse(settings, writer=client)
        migrate(client)
        held["holder"] = HolderServer(held["warehouse"], settings)
        held["holder"].start()

    client: Any
    try:
        held["warehouse"] = DirectWarehouse(settings)
        client = held["warehouse"].writer
        migrate(client)
    except WarehouseBusy:
        if not settings.embedded:
            raise
        # Another worker holds chDB: this one joins the group and lands through it.
        log.info("the embedded warehouse is held by another worker; sharing it")
        client = SharedClient(settings, on_takeover=hold)
    sink = ClickHouseSink(client, ENGINE_LOCK, timedelta(days=settings.stitch_lookback_days))
    reference = ReferenceData(free_mail(settings), non_human_filter(settings),
                              settings.name_cutoff, settings.name_margin, settings.min_prefix)
    if held["warehouse"] is not None:
        seed_from_warehouse(settings, held["warehouse"])
    records, positions = read_all(settings)
    reference.apply(records)
    reference.rebuild()
    try:
        reference.refresh_links(sink.query, settings.stitch_lookback_days)
        reference.learn_ip_blocks(sink.query, settings.learning_rules())
    except ConnectionError as err:  # a holder still starting: the timers do it shortly
        log.warning("reading links and learned blocks failed", extra={"error": str(err)})
    app = create_app(settings)
    stats = register_pipeline(app, settings, sink, reference, positions)
    surge = register_surge(app, settings, sink, reference)
    deliverer = register_delivery(app, settings, sink)
    worker = PulseWorker(app, loglevel=settings.log_level.lower(), quiet=True,
                         redirect_stdouts=False, override_logging=False)
    worker.held = held
    worker.spinner = None  # its terminal escapes would garble CLI output
    phase: dict[str, Any] = {"name": "inputs"}
    if drain:
        targets = backlog_targets(settings)
        # Inputs landed -> the watermark is final -> activity evaluated -> alerts delivered.

        @app.timer(0.25)
        async def stop_when_drained() -> None:
            loop = asyncio.get_running_loop()
            if phase["name"] == "inputs":
                if all(stats.positions.get(tp, 0) >= end for tp, end in targets.items()):
                    log.info("backlog landed", extra={"partitions": len(targets)})
                    stats.watermarks.final = True
                    phase.update(name="activity", since=time.monotonic(), ends=None)
            elif phase["name"] == "activity":
                if time.monotonic() - phase.get("logged", 0) > 5:
                    phase["logged"] = time.monotonic()
                    log.info("draining activity", extra={
                        "waiting": surge.waiting, "ends": str(phase["ends"]),
                        "positions": str(surge.positions)})
                if phase["ends"] is None:
                    if time.monotonic() - phase["since"] > 3 * settings.watermark_interval_seconds:
                        phase["ends"] = await loop.run_in_executor(
                            None, backlog_targets, settings, (ACCOUNT_ACTIVITY,))
                elif surge.waiting == 0 and caught_up(surge.positions, phase["ends"]):
                    phase.update(name="alerts", ends=await loop.run_in_executor(
                        None, backlog_targets, settings, (SURGE_ALERTS,)))
            elif deliverer.in_flight == 0 and caught_up(deliverer.positions, phase["ends"]):
                log.info("backlog drained", extra={"alerts": surge.alerts})
                phase["name"] = "done"
                _exit_if_stuck(held["holder"], last_words=lambda: summary_line(RunResult(
                    stats, time.monotonic() - started, surge)))
                asyncio.ensure_future(worker.stop())

    log.info("pipeline starting", extra={"settings": settings.masked()})
    if held["warehouse"] is not None and settings.embedded:
        held["holder"] = HolderServer(held["warehouse"], settings)
        held["holder"].start()
    exit_code: object = 0
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        exit_code = exit_.code
    finally:
        if held["holder"] is not None:
            held["holder"].stop()
        if held["warehouse"] is not None:
            held["warehouse"].close()
    if exit_code not in (0, None) and drain and phase["name"] == "done":
        # Everything had landed and been delivered; what failed was faust's stop.
        log.warning("the worker stopped uncleanly after draining", extra={"code": exit_code})
        exit_code = 0
    if exit_code not in (0, None):
        raise RuntimeError(f"the pipeline worker stopped with an error (exit code {exit_code})")
    return RunResult(stats, time.monotonic() - started, surge)
