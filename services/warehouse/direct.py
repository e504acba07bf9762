"""The warehouse as the ``pulse`` commands use it: queries (analysts' through a read-only
session with a time limit and a row cap), parameterised reads, writes. ``DirectWarehouse``
holds its own connection (a server DSN, or chDB when no other process holds it); the
holder (``holder.py``) serves the same calls while ``pulse run`` holds chDB."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from clickhouse_connect.driver.client import Client

from services.warehouse.engine import ENGINE_LOCK, connect, readonly_client
from streams.settings import Settings


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False  # more rows than PULSE_QUERY_MAX_ROWS: only that many are here


class Warehouse(Protocol):
    def query(self, sql: str, readonly: bool = True) -> QueryResult: ...
    def analyze(self, sql: str) -> QueryResult: ...
    def insert(self, table: str, columns: list[str], rows: list[list[Any]]) -> int: ...
    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None: ...
    def query_params(self, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]: ...
    def read(self, sql: str, parameters: dict[str, Any]) -> QueryResult: ...


# Strings, quoted names and comments (inside which a ';' ends nothing), and ';' itself.
_TOKEN = re.compile(r"""'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`"""
                    r"""|--[^\n]*|/\*.*?\*/|;""", re.DOTALL)


def _meaningful(part: str) -> bool:
    return bool(_TOKEN.sub(lambda m: "" if m.group().startswith(("--", "/*")) else m.group(),
                           part).strip())


def single_statement(sql: str) -> str:
    """The one statement of ``sql`` (a trailing ';' allowed); ValueError for several: chDB
    would run them all while holding its engine, and return the output of only some."""
    parts, last = [], 0
    for m in _TOKEN.finditer(sql):
        if m.group() == ";":
            parts.append(sql[last:m.start()])
            last = m.end()
    parts.append(sql[last:])
    found = [p.strip() for p in parts if _meaningful(p)]
    if len(found) > 1:
        raise ValueError(f"one statement per query, found {len(found)}: run them one at a time")
    if not found:
        raise ValueError("empty query")
    return found[0]


@contextlib.contextmanager
def _locked(client: Client) -> Iterator[Client]:
    with ENGINE_LOCK:
        yield client


class DirectWarehouse:
    """This process owns the warehouse connection (server DSN, or chDB not held elsewhere)."""

    def __init__(self, settings: Settings, writer: Client | None = None) -> None:
        self.settings = settings
        self.writer = writer or connect(settings)
        # Read-only sessions, lent one call at a time: the holder serves each call on a
        # thread of its own, and opening a session costs more than most reads.
        self._idle: dict[str, list[Client]] = {"reader": [], "analyst": []}
        self._readers: list[Client] = []
        self._pool_lock = threading.Lock()

    @contextlib.contextmanager
    def _session(self, kind: str) -> Iterator[Client]:
        with self._pool_lock:
            idle = self._idle[kind]
            client = idle.pop() if idle else None
        if client is None:
            client = readonly_client(self.settings, analyst=kind == "analyst")
            with self._pool_lock:
                self._readers.append(client)
        try:
            yield client
        finally:
            with self._pool_lock:
                self._idle[kind].append(client)

    def query(self, sql: str, readonly: bool = True) -> QueryResult:
        """The commands' own SQL; read-only unless ``readonly`` is False (then it writes,
        through the one writer session)."""
        with (self._session("reader") if readonly else _locked(self.writer)) as client:
            result = client.query(sql)
            return QueryResult(list(result.column_names), [t.name for t in result.column_types],
                               [tuple(r) for r in result.result_rows])

    def analyze(self, sql: str) -> QueryResult:
        """An analyst's query (`pulse query`): one statement, on a read-only session of its
        own that never waits for ingestion, stopped after PULSE_QUERY_TIMEOUT_SECONDS and
        cut at PULSE_QUERY_MAX_ROWS rows (``truncated`` says so)."""
        cap = self.settings.query_max_rows
        with self._session("analyst") as client:
            result = client.query(single_statement(sql))
        rows = [tuple(r) for r in result.result_rows[:cap + 1]]
        return QueryResult(list(result.column_names), [t.name for t in result.column_types],
                           rows[:cap], truncated=len(rows) > cap)

    def query_params(self, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
        """A read-only query with bound parameters (the commands' own, unbounded)."""
        with self._session("reader") as client:
            return [tuple(r) for r in client.query(sql, parameters=parameters).result_rows]

    def read(self, sql: str, parameters: dict[str, Any]) -> QueryResult:
        """A read-only query with bound parameters, with its column names (the web app's)."""
        with self._session("reader") as client:
            result = client.query(sql, parameters=parameters)
            return QueryResult(list(result.column_names), [t.name for t in result.column_types],
                               [tuple(r) for r in result.result_rows])

    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None:
        """A statement that writes (INSERT ... SELECT, DELETE), with bound parameters."""
        with ENGINE_LOCK:
            self.writer.command(sql, parameters=parameters)

    def insert(self, table: str, columns: list[str], rows: list[list[Any]]) -> int:
        if not rows:
            return 0
        with ENGINE_LOCK:
            self.writer.insert(table, rows, column_names=columns)
        return len(rows)

    def close(self) -> None:
        with ENGINE_LOCK:
            for client in [*self._readers, self.writer]:
                client.close()
