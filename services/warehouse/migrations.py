"""Numbered migrations (``infra/clickhouse/migrations/NNNN_verb_noun.sql``), applied once
each and recorded in ``abm.schema_migrations``; every file is re-runnable, so ``migrate``
can run any number of times, on chDB and on a server alike."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from clickhouse_connect.driver.client import Client

from infra import CLICKHOUSE_DIR
from services.warehouse.engine import ENGINE_LOCK

log = logging.getLogger("pulse.warehouse")

MIGRATIONS_DIR = CLICKHOUSE_DIR / "migrations"
SERVER_MIGRATIONS_DIR = CLICKHOUSE_DIR / "server"  # users, roles: a server has them, chDB not
SERVER_VERSION_OFFSET = 10000  # recorded beside the others, numbered apart
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


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
