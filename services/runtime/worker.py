"""``pulse run``: a worker running one or more roles (pipeline, surge, delivery).

All roles in one process is the laptop shape; ``--role`` runs only some, each in its own
consumer group, so each scales on its own (docker-compose runs them as separate services).
On the embedded warehouse the first worker to open chDB holds it and serves it to the
others (``services/warehouse/holder.py``); on a ClickHouse server every worker connects
directly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import faust
from clickhouse_connect.driver.client import Client

from services.privacy import require_person_key
from services.reference.loader import key_contacts
from services.reference.topics import read_all, seed_from_warehouse
from services.runtime.drain import Drain
from services.runtime.topics_admin import ensure_topics
from services.warehouse import (
    ENGINE_LOCK,
    DirectWarehouse,
    HolderServer,
    SharedClient,
    WarehouseBusy,
    migrate,
)
from streams.app import create_app
from streams.config import free_mail, learning_rules, non_human_filter
from streams.reference.state import ReferenceData
from streams.settings import Settings
from streams.topology import ALL_ROLES, Graph, ReferenceStart, Role, consumer_group, declare
from streams.warehouse.events import ClickHouseSink

log = logging.getLogger("pulse.run")
STOP_GRACE_S = 20.0


class WorkerWarehouse:
    """The warehouse as this worker has it: its own connection (server DSN, or chDB that
    no other process holds, then served to the others), or calls through the holder."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.direct: DirectWarehouse | None = None
        self.holder: HolderServer | None = None
        self.shared: SharedClient | None = None
        try:
            self.direct = DirectWarehouse(settings)
            migrate(self.direct.writer)
        except WarehouseBusy:
            if not settings.embedded:
                raise
            log.info("the embedded warehouse is held by another worker; sharing it")
            self.shared = SharedClient(settings, on_takeover=self._take_over)

    @property
    def client(self) -> Any:
        return self.direct.writer if self.direct is not None else self.shared

    def read_rows(self, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
        """A read on a read-only session (never waiting for the writer) when this worker
        holds the warehouse; through the holder otherwise."""
        direct = self.direct
        if direct is not None:
            return direct.query_params(sql, parameters)
        with ENGINE_LOCK:
            return [tuple(r) for r in self.client.query(sql, parameters=parameters).result_rows]

    def serve(self) -> None:
        """Hold the embedded engine for the other processes of this PULSE_HOME."""
        if self.direct is not None and self.settings.embedded and self.holder is None:
            self.holder = HolderServer(self.direct, self.settings)
            self.holder.start()

    def _take_over(self, client: Client) -> None:
        """The holder died and this worker opened the engine: it serves it from now on."""
        self.direct = DirectWarehouse(self.settings, writer=client)
        migrate(client)
        self.serve()

    def close(self) -> None:
        if self.holder is not None:
            self.holder.stop()
        if self.direct is not None:
            self.direct.close()


def load_reference(settings: Settings, warehouse: WorkerWarehouse, sink: ClickHouseSink,
                   roles: frozenset[Role]) -> tuple[ReferenceData, ReferenceStart]:
    """Reference data read from its topics; the full attributor for the pipeline, the
    accounts alone for surge detection. The records it could not read are dead letters,
    landed by the follower once the worker runs."""
    reference = ReferenceData(free_mail(settings), non_human_filter(settings),
                              settings.name_cutoff, settings.name_margin, settings.min_prefix,
                              attribute=Role.PIPELINE in roles)
    if warehouse.direct is not None:
        seed_from_warehouse(settings, warehouse.direct)
        key_contacts(warehouse.direct, settings.person_key_secret.get_secret_value().encode())
    positions, dead_letters = read_all(settings, reference.apply)
    reference.rebuild()
    if Role.PIPELINE in roles:
        try:
            reference.refresh_links(sink.query, settings.stitch_lookback_days)
            reference.learn_ip_blocks(sink.query, learning_rules(settings))
        except ConnectionError as err:  # a holder still starting: the timers do it shortly
            log.warning("reading links and learned blocks failed", extra={"error": str(err)})
    return reference, ReferenceStart(positions, dead_letters)


@dataclass(frozen=True)
class RunResult:
    graph: Graph
    seconds: float
    holder_inserts: int | None = None  # this worker's inserts the warehouse holder served


def summary_line(result: RunResult) -> str:
    g = result.graph
    parts = []
    if g.pipeline is not None:
        st = g.pipeline.stats
        parts.append(f"processed {st.consumed} record(s) in {result.seconds:.1f}s: "
                     f"{st.landed} landed, {st.duplicates} duplicate(s) skipped, "
                     f"{st.dead_lettered} dead-lettered"
                     + (f", {st.filtered} of forgotten people dropped" if st.filtered else "")
                     + f" ({st.batches} insert(s))")
    if g.surge is not None:
        parts.append(f"{g.surge.stats.alerts} alert(s) raised")
    if g.delivery is not None:
        parts.append(f"{g.delivery.handled} alert(s) handed to delivery")
    if result.holder_inserts is not None:
        parts.append(f"{result.holder_inserts} insert(s) landed through the warehouse holder")
    return "; ".join(parts) if parts else f"ran {result.seconds:.1f}s"


def _exit_if_stuck(holder: HolderServer | None, finished: threading.Event,
                   grace_s: float = STOP_GRACE_S,
                   last_words: Callable[[], str] | None = None) -> None:
    """Faust can hang stopping an agent parked in ``take(within=...)`` (faust-streaming
    issue #162). Everything acked has landed, so if the stop has not finished after the
    grace period the process leaves; at worst a restart replays a batch, idempotently.
    ``finished``: the worker did stop (the process goes on, e.g. `pulse demo --serve`)."""
    def watchdog() -> None:
        if finished.wait(grace_s):
            return
        log.warning("faust did not stop in time; exiting", extra={"grace_s": grace_s})
        if holder is not None:
            holder.stop()
        if last_words is not None:
            print(last_words(), flush=True)
        logging.shutdown()
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True, name="pulse-stop-watchdog").start()


class PulseWorker(faust.Worker):
    warehouse: WorkerWarehouse
    last_words: Callable[[], str]
    finished: threading.Event

    def _on_sigterm(self) -> None:
        _exit_if_stuck(self.warehouse.holder, self.finished, last_words=self.last_words)
        super()._on_sigterm()

    def _on_sigint(self) -> None:
        _exit_if_stuck(self.warehouse.holder, self.finished, last_words=self.last_words)
        super()._on_sigint()


def run(settings: Settings, roles: Iterable[Role] = ALL_ROLES, drain: bool = False) -> RunResult:
    """Run until stopped (SIGTERM/SIGINT), or with ``drain`` until the backlog is done."""
    started = time.monotonic()
    # The landing thread gives the GIL back at each engine call and waits up to the switch
    # interval to have it again, behind the event loop; at 5 ms (Python's default) a batch
    # of three engine calls waits longer than it writes.
    sys.setswitchinterval(settings.gil_switch_seconds)
    roles = frozenset(roles) or ALL_ROLES
    if Role.PIPELINE in roles:
        require_person_key(settings)
    ensure_topics(settings)
    warehouse = WorkerWarehouse(settings)
    sink = ClickHouseSink(warehouse.client, ENGINE_LOCK,
                          timedelta(days=settings.stitch_lookback_days), warehouse.read_rows)
    reference, start = load_reference(settings, warehouse, sink, roles)
    group = consumer_group(settings, roles)
    app = create_app(settings, group)
    graph = declare(app, settings, roles, sink, reference, start)
    worker = PulseWorker(app, loglevel=settings.log_level.lower(), quiet=True,
                         redirect_stdouts=False, override_logging=False)
    worker.spinner = None  # its terminal escapes would garble CLI output
    worker.warehouse = warehouse
    worker.finished = threading.Event()

    def result() -> RunResult:
        inserts = warehouse.shared.inserts_through_holder if warehouse.shared else None
        return RunResult(graph, time.monotonic() - started, inserts)

    worker.last_words = lambda: summary_line(result())
    drainer: Drain | None = None
    if drain:
        def stop() -> None:
            _exit_if_stuck(warehouse.holder, worker.finished, last_words=worker.last_words)
            asyncio.ensure_future(worker.stop())

        drainer = Drain(settings, graph, group, stop)
        app.timer(0.25, name="drain")(drainer.tick)

    log.info("worker starting", extra={"roles": sorted(roles), "group": group,
                                       "settings": settings.masked()})
    warehouse.serve()
    exit_code: object = 0
    try:
        worker.execute_from_commandline()
    except SystemExit as exit_:
        exit_code = exit_.code
    finally:
        worker.finished.set()
        warehouse.close()
    if exit_code not in (0, None) and drainer is not None and drainer.done:
        # Everything had landed and been delivered; what failed was faust's stop.
        log.warning("the worker stopped uncleanly after draining", extra={"code": exit_code})
        exit_code = 0
    if exit_code not in (0, None):
        raise RuntimeError(f"the worker stopped with an error (exit code {exit_code})")
    return result()
