"""``pulse serve``: the web app on uvicorn, reading the warehouse the way the other commands
do: through the running pipeline when it holds the embedded engine, else directly (and
then holding it for the pipeline started later)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from services.warehouse import (
    DirectWarehouse,
    HolderServer,
    Warehouse,
    WarehouseBusy,
    migrate,
    open_warehouse,
)
from services.web.auth import access_for, revocations, session_secret
from services.web.data import Row
from services.web.lag import LagMonitor
from services.web.reads import SharedReads
from streams.config import scoring_rules, stage_rules
from streams.settings import Settings

log = logging.getLogger("pulse.web")
ROLLUP_VIEWS = ("abm.account_daily_refresh", "abm.account_summary_refresh",
                "abm.ops_daily_refresh")


def refresh_rollups(warehouse: Warehouse) -> None:
    """Recompute the web roll-ups now (ClickHouse refreshes them every few minutes anyway)."""
    for view in ROLLUP_VIEWS:
        warehouse.command(f"SYSTEM REFRESH VIEW {view}")
        warehouse.command(f"SYSTEM WAIT VIEW {view}")


class WarehouseReader:
    """Runs the pages' queries; when the process holding the embedded engine goes away, it
    opens the warehouse again (directly, holding it, or through the next holder)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._holder: HolderServer | None = None
        self.warehouse = self._open()

    def _open(self) -> Warehouse:
        wh = open_warehouse(self.settings)
        if isinstance(wh, DirectWarehouse):
            migrate(wh.writer)
            if self.settings.embedded:
                self._holder = HolderServer(wh, self.settings)
                self._holder.start()
        return wh

    def __call__(self, sql: str, parameters: dict[str, Any]) -> list[Row]:
        wh = self.warehouse
        try:
            result = wh.read(sql, parameters)
        except (ConnectionError, OSError, WarehouseBusy):
            with self._lock:
                if self.warehouse is wh:
                    log.info("warehouse holder gone; opening the warehouse again")
                    self.warehouse = self._open()
            result = self.warehouse.read(sql, parameters)
        return [dict(zip(result.columns, row, strict=True)) for row in result.rows]

    def close(self) -> None:
        if self._holder is not None:
            self._holder.stop()
        if isinstance(self.warehouse, DirectWarehouse):
            self.warehouse.close()


def serve(settings: Settings, host: str, port: int, ready: threading.Event | None = None) -> int:
    import uvicorn

    from services.runtime import http_server
    from services.web.app import create_app

    access = access_for(settings, host)  # ValueError: unsafe to serve here
    log.info("web app starting", extra={"settings": settings.masked()})
    reader = WarehouseReader(settings)
    try:
        refresh_rollups(reader.warehouse)
        lag = LagMonitor(settings)
        lag.reading()  # the first reading starts now, so the ops page has one when opened
        reads = (SharedReads(reader, settings.web_read_ttl_seconds)
                 if settings.web_read_ttl_seconds else reader)
        app = create_app(reads, access, session_secret(settings), lag,
                         revoked=revocations(settings), rules=scoring_rules(settings),
                         revenue=settings, stages=stage_rules(settings))
        server = uvicorn.Server(http_server.config(
            app, host, port, settings.http_request_timeout_seconds))
        mode = ("open (loopback demo)" if access.open else
                f"sign-in via {access.header}" if access.header else
                f"sign-in ({len(access.users)} users)")
        print(f"AccountPulse web app on http://{host}:{port}/  [{mode}]  Ctrl-C stops it",
              flush=True)
        if ready is not None:
            ready.set()
        server.run()
    finally:
        reader.close()
    return 0
