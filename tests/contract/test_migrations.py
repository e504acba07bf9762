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
                          or " MATERIALIZE PROJECTION " in upper  # these three: idempotent
                          # a backfill touching only the rows it has not filled yet
                          or (" UPDATE" in upper and "\nWHERE KIND = ''" in upper))
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


def test_dead_letters_written_before_kinds_get_the_kind_the_pipeline_gives(applied, client):
    """Migration 0016 classifies old rows by their reason; the pipeline sets kinds itself.
    Both must agree: the reasons here are the pipeline's own, for every bad record class."""
    from datetime import UTC, datetime

    from streams.attribution.chain import build_attributor
    from streams.ingest.batch import RawRecord, process_batch
    from tests.fault.test_hostile_input import hostile_records

    records = [RawRecord(topic, 0, i, payload)
               for i, (topic, payload, _) in enumerate(hostile_records())]
    now = datetime.now(UTC)
    dead = process_batch(records, build_attributor([], [], frozenset()), b"k", now=now)
    dead = dead.dead_letters + [
        d._replace(error=e, kind=k, stage=s, offset=1000 + i)
        for i, (e, k, s) in enumerate([
            ("processing error: KeyError: 'x'", "processing_error", "attribute"),
            ("processing error: landing failed: TypeError: y", "processing_error", "land"),
            ("the warehouse refused the event: Code: 53", "warehouse_refused", "land"),
            ("unreadable contacts record: not JSON", "unreadable_reference", "decode")])
        for d in dead.dead_letters[:1]]
    assert {d.kind for d in dead} >= {"time_out_of_range", "not_json", "too_large", "empty",
                                      "not_utf8", "not_an_object", "unknown_type",
                                      "wrong_topic", "schema_violation"}
    client.command("DROP TABLE IF EXISTS abm.dead_letters_before_kinds")
    client.command("CREATE TABLE abm.dead_letters_before_kinds AS abm.dead_letters")
    client.insert("abm.dead_letters_before_kinds",
                  [[d.topic, d.partition, d.offset, d.payload, d.error, d.received_at]
                   for d in dead],
                  column_names=["topic", "partition", "offset", "payload", "error",
                                "received_at"])
    [update] = [s for s in statements((Path(migration_files()[15][2])).read_text())
                if s.startswith("ALTER TABLE abm.dead_letters UPDATE")]
    client.command(update.replace("abm.dead_letters", "abm.dead_letters_before_kinds", 1))
    classified = {r[0]: (r[1], r[2]) for r in client.query(
        "SELECT offset, kind, stage FROM abm.dead_letters_before_kinds").result_rows}
    assert classified == {d.offset: (d.kind, d.stage) for d in dead}
    client.command("DROP TABLE abm.dead_letters_before_kinds")
