"""ClickHouse access through clickhouse-connect: connections, migrations, analyst queries.

The same code serves the embedded chDB engine (``chdb:///path``) and a ClickHouse server
(``http://host:8123``). chDB locks its directory to one process; while ``pulse run`` owns
it, other ``pulse`` commands reach the data through that process (see ``owner.py``).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import clickhouse_connect
from clickhouse_connect.driver.client import Client

from streams.settings import INFRA_DIR, Settings

log = logging.getLogger("pulse.warehouse")

CLICKHOUSE_DIR = INFRA_DIR / "clickhouse"
MIGRATIONS_DIR = CLICKHOUSE_DIR / "migrations"
SERVER_MIGRATIONS_DIR = CLICKHOUSE_DIR / "server"  # users, roles: a server has them, chDB not
SERVER_VERSION_OFFSET = 10000  # recorded beside the others, numbered apart
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

# chDB is one engine per process: every call into it goes through this lock.
ENGINE_LOCK = threading.RLock()


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[tuple[Any, ...]]


class Warehouse(Protocol):
    def query(self, sql: str, readonly: bool = True) -> QueryResult: ...
    def insert(self, table: str, columns: list[str], rows: list[list[Any]]) -> int: ...
    def command(self, sql: str, parameters: dict[str, Any] | None = None) -> None: ...
    def query_params(self, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]: ...


# What chDB says when another process holds the directory (the wording varies by path).
HELD_ELSEWHERE = ("Unable to open the chdb engine", "Another server instance in same directory")


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


def readonly_client(settings: Settings, writer: Client | None = None) -> Client:
    """A client whose session refuses writes, file() and url().

    On chDB a per-query ``readonly`` setting would be applied with SET and then stick to
    the session, so analysts get a session of their own that is read-only for good.
    """
    client = connect(settings)
    if settings.embedded:
        client.command("SET readonly = 1")
    else:
        client.set_client_setting("readonly", "1")
    return client


class WarehouseBusy(RuntimeError):
    pass


def statements(sql: str) -> list[str]:
    """Split a migration file into statements (';' ends a statement at end of line)."""
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        m = _MIGRATION_NAME.match(path.name)
        if not m:
            raise ValueError(f"migration file {path.name} must be named NNNN_verb_noun.sql")
        found.append((int(m.group(1)), m.group(2), path))
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration numbers in {directory}")
    return found


def migrate(client: Client, directory: Path = MIGRATIONS_DIR,
            server: bool | None = None) -> list[str]:
    """Apply every migration not yet recorded; safe to run any number of times.

    On a ClickHouse server (not chDB) the files in ``server/`` follow."""
    applied = _migrate(client, directory, 0)
    if server is None:
        server = type(client).__name__ != "ChdbClient"
    if server:
        applied += _migrate(client, SERVER_MIGRATIONS_DIR, SERVER_VERSION_OFFSET, "server/")
    return applied


def _migrate(client: Client, directory: Path, offset: int, label: str = "") -> list[str]:
    with ENGINE_LOCK:
        for stmt in statements((CLICKHOUSE_DIR / "bootstrap.sql").read_text()):
            client.command(stmt)
        done = {row[0] for row in client.query(
            "SELECT version FROM abm.schema_migrations FINAL").result_rows}
        applied = []
        for version, name, path in migration_files(directory):
            if version + offset in done:
                continue
            for stmt in statements(path.read_text()):
                client.command(stmt)
            client.insert("abm.schema_migrations", [[version + offset, label + name]],
                          column_names=["version", "name"])
            applied.append(f"{label}{version:04d}_{name}")
            log.info("migration applied", extra={"migration": applied[-1]})
        return applied


class DirectWarehouse:
    """This process owns the warehouse connection (server DSN, or chDB not held elsewhere)."""

    def __init__(self, settings: Settings, writer: Client | None = None) -> None:
        self.settings = settings
        self.writer = writer or connect(settings)
        self._reader: Client | None = None

    @property
    def reader(self) -> Client:
        if self._reader is None:
            self._reader = readonly_client(self.settings)
        return self._reader

    def query(self, sql: str, readonly: bool = True) -> QueryResult:
        client = self.reader if readonly else self.writer
        with ENGINE_LOCK:
            result = client.query(sql)
            return QueryResult(
                list(result.column_names),
                [t.name for t in result.column_types],
                [tuple(r) for r in result.result_rows],
            )

    def query_params(self, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
        """A read-only query with bound parameters."""
        with ENGINE_LOCK:
            return [tuple(r) for r in self.reader.query(sql, parameters=parameters).result_rows]

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
            for client in (self._reader, self.writer):
                if client is not None:
                    client.close()
