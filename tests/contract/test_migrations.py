"""Migrations apply to a fresh embedded ClickHouse, re-apply as no-ops, and produce
exactly the committed schema snapshot; tables agree with the code that writes them."""

import os
from pathlib import Path

import pytest

from services.reference.loader import ACCOUNT_HEADER, CONTACT_HEADER
from services.warehouse import SERVER_MIGRATIONS_DIR, migrate, migration_files, statements
from streams.ingest.rows import DEAD_LETTER_COLUMNS, EVENT_COLUMNS
from streams.settings import Settings

SNAPSHOT = Path(__file__).parent / "snapshots" / "schema.sql"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    import clickhouse_connect

    path = tmp_path_factory.mktemp("chdb")
    c = clickhouse_connect.get_client(dsn=f"chdb://{path}")
    yield c
    c.close()


@pytest.fixture(scope="module")
def applied(client):
    first = migrate(client)
    second = migrate(client)
    return first, second


def test_migrations_are_numbered_and_applied_once(applied, client):
    first, second = applied
    names = [f"{v:04d}_{n}" for v, n, _ in migration_files()]
    assert first == names and second == []
    versions = [r[0] for r in client.query(
        "SELECT version FROM abm.schema_migrations FINAL ORDER BY version").result_rows]
    assert versions == [v for v, _, _ in migration_files()]


def test_schema_matches_snapshot(applied, client):
    tables = [r[0] for r in client.query(
        "SELECT name FROM system.tables WHERE database = 'abm' ORDER BY name").result_rows]
    ddl = "\n\n".join(
        client.query(f"SHOW CREATE TABLE abm.{t}").result_rows[0][0] + ";" for t in tables)
    if os.environ.get("PULSE_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(ddl + "\n")
    assert ddl + "\n" == SNAPSHOT.read_text(), (
        "the schema differs from tests/contract/snapshots/schema.sql; if the change is meant, "
        "rerun with PULSE_UPDATE_SNAPSHOTS=1 and commit the snapshot")


def columns(client, table: str) -> list[str]:
    return [r[0] for r in client.query(
        f"SELECT name FROM system.columns WHERE database = 'abm' AND table = '{table}' "
        "ORDER BY position").result_rows]


def test_tables_have_the_columns_the_code_writes(applied, client):
    assert tuple(columns(client, "events")) == EVENT_COLUMNS
    assert tuple(columns(client, "dead_letters")) == DEAD_LETTER_COLUMNS
    assert set(ACCOUNT_HEADER) <= set(columns(client, "accounts"))
    assert set(CONTACT_HEADER) <= set(columns(client, "contacts"))
    assert columns(client, "account_engagement_daily") == [
        "day", "account_id", "channel", "events", "people", "score", "late_events"]
    assert columns(client, "parent_engagement_daily") == [
        "day", "parent_account_id", "channel", "events", "people", "score"]


def test_migration_sql_runs_unchanged_on_a_server():
    """No ON CLUSTER and no chDB-only syntax in files that must also run on a server."""
    for _, _, path in migration_files():
        for stmt in statements(path.read_text()):
            assert "ON CLUSTER" not in stmt.upper(), path.name
            upper = stmt.upper()
            rerunnable = ("IF NOT EXISTS" in upper or upper.startswith("CREATE OR REPLACE VIEW")
                          or " MODIFY TTL " in upper or " MODIFY SETTING " in upper
                          or " MATERIALIZE PROJECTION " in upper)  # the last three: idempotent
            assert rerunnable, (
                f"{path.name} must be re-runnable")


def test_server_only_migrations_are_valid_and_skipped_on_the_embedded_engine(applied, client):
    files = migration_files(SERVER_MIGRATIONS_DIR)
    assert [n for _, n, _ in files] == ["create_analyst_role"]
    stmts = statements(files[0][2].read_text())
    assert stmts == ["CREATE ROLE IF NOT EXISTS analyst",
                     "GRANT SELECT ON abm.* TO analyst",
                     "CREATE SETTINGS PROFILE IF NOT EXISTS analyst_readonly "
                     "SETTINGS readonly = 1 TO analyst"]
    names = [r[0] for r in client.query("SELECT name FROM abm.schema_migrations FINAL").result_rows]
    assert not [n for n in names if n.startswith("server/")]


def test_default_dsn_is_embedded_under_pulse_home(tmp_path):
    s = Settings(home=tmp_path)
    assert s.dsn == f"chdb://{tmp_path.resolve()}/clickhouse" and s.embedded
    assert not Settings(home=tmp_path, clickhouse_dsn="http://ch:8123").embedded
