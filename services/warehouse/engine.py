"""Connections to ClickHouse through clickhouse-connect: the embedded chDB engine
(``chdb:///path``) or a server (``http://host:8123``), the same code for both."""

from __future__ import annotations

import threading

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from streams.settings import Settings

# One writer client per process is shared by the pipeline's, the surge agent's and the
# delivery agent's threads: its calls go through this lock. Analysts' read-only queries
# run on clients of their own and never wait for it (chDB runs them concurrently).
ENGINE_LOCK = threading.RLock()

# What chDB says when another process holds the directory (the wording varies by path).
HELD_ELSEWHERE = ("Unable to open the chdb engine", "Another server instance in same directory")


class WarehouseBusy(RuntimeError):
    """The embedded engine is held by another process."""


def connect(settings: Settings) -> Client:
    """A read-write client for the configured DSN (opens and locks chDB if embedded)."""
    if settings.embedded:
        (settings.home_dir / "clickhouse").mkdir(parents=True, exist_ok=True)
    try:
        return clickhouse_connect.get_client(dsn=settings.dsn)
    except Exception as err:
        if settings.embedded and any(m in str(err) for m in HELD_ELSEWHERE):
            raise WarehouseBusy(
                f"the embedded ClickHouse at {settings.home_dir / 'clickhouse'} is held by "
                "another process (only one may open it); if `pulse run` is starting, retry in "
                "a moment, otherwise stop the process that holds it"
            ) from err
        raise


def readonly_client(settings: Settings, analyst: bool = False) -> Client:
    """A client whose session refuses writes, file() and url(); an analyst's also stops a
    query after PULSE_QUERY_TIMEOUT_SECONDS and a result after PULSE_QUERY_MAX_ROWS (+1, to
    tell that rows were cut). On chDB a per-query setting is applied with SET and sticks to
    the session, and readonly = 1 forbids changing settings afterwards, so each kind of
    reader has a session of its own, set up once."""
    client = connect(settings)
    limits: dict[str, str] = {}
    if analyst:
        limits = {"max_execution_time": str(settings.query_timeout_seconds),
                  "max_result_rows": str(settings.query_max_rows + 1),
                  "result_overflow_mode": "break"}
    limits["readonly"] = "1"  # last: once set, the session may change no more settings
    for name, value in limits.items():
        if settings.embedded:
            client.command(f"SET {name} = {value!r}" if not value.replace(".", "").isdigit()
                           else f"SET {name} = {value}")
        else:
            client.set_client_setting(name, value)
    return client
