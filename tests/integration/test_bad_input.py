"""Bad input through the real broker and engine: it never stops a drain, never lands half a
load, never erases the wrong person. Each test is named after the defect it proved."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
from kafka import KafkaConsumer, TopicPartition

from tests.conftest import PulseEnv
from tests.support.events import web_visit

pytestmark = pytest.mark.integration
NOW = datetime.now(UTC).replace(microsecond=0)
ACCOUNTS = "account_id,name,domains,ip_ranges,tier\nacme,Acme,acme.com,198.18.0.0/22,1\n"


def visit(eid: str, ts: datetime | str, **extra: object) -> dict[str, object]:
    return web_visit(eid, ts=ts, path="/pricing", **{"ip": "198.18.0.9", **extra})


def counts(env: PulseEnv) -> tuple[int, int]:
    with env.clickhouse() as ch:
        return (ch.query("SELECT count() FROM abm.events FINAL").first_row[0],
                ch.query("SELECT count() FROM abm.dead_letters FINAL").first_row[0])


def test_year_0001_event_time_neither_hangs_the_drain_nor_surge_detection(pulse_env: PulseEnv):
    pulse_env.stack(ACCOUNTS)
    pulse_env.publish_events([visit("ancient", "0001-01-03T00:00:00Z"),
                              *[visit(f"now-{i}", NOW - timedelta(minutes=i)) for i in range(20)]])
    out = pulse_env.cli("run", "--drain", timeout=120).stdout  # used to retry forever
    assert "20 landed" in out and "1 dead-lettered" in out
    with pulse_env.clickhouse() as ch:
        [(error,)] = ch.query("SELECT error FROM abm.dead_letters").result_rows
    assert error.startswith("event time 0001-01-03T00:00:00Z is before 2000-01-01: accepted "
                            "from "), error


def test_too_many_partitions_a_ten_year_backfill_then_a_current_event_all_accounted_for(
        pulse_env: PulseEnv):
    """120 valid visits stamped 2016-01 to 2025-12, then one current one: nothing used to
    land (the insert touched 120 partitions, retried forever)."""
    pulse_env.stack(ACCOUNTS)
    months = [datetime(2016 + i // 12, i % 12 + 1, 10, 12, tzinfo=UTC) for i in range(120)]
    events = [visit(f"old-{i}", ts) for i, ts in enumerate(months)] + [visit("current", NOW)]
    pulse_env.publish_events(events)
    pulse_env.cli("run", "--drain", timeout=120)
    landed, dead = counts(pulse_env)
    kept = sum(1 for ts in months if ts >= NOW - timedelta(days=395)) + 1
    assert (landed, dead) == (kept, 121 - kept)  # within the retention land, older ones do not
    with pulse_env.clickhouse() as ch:
        errors = {r[0].split(": accepted")[0].split(" is ")[1] for r in ch.query(
            "SELECT error FROM abm.dead_letters").result_rows}
    assert errors == {"older than the 395-day retention"}


def read_keys(env: PulseEnv, kind: str) -> list[bytes]:
    """Every committed key on a reference topic (what workers apply)."""
    topic = TopicPartition(env.topic(kind), 0)
    consumer = KafkaConsumer(bootstrap_servers=env.settings.kafka_bootstrap,
                             isolation_level="read_committed", enable_auto_commit=False)
    consumer.assign([topic])
    consumer.seek_to_beginning(topic)
    keys: list[bytes] = []
    while consumer.position(topic) < consumer.end_offsets([topic])[topic]:
        keys += [m.key for ms in consumer.poll(1000).values() for m in ms]
    consumer.close()
    return keys


def test_a_reference_load_whose_second_row_is_too_large_loads_nothing(pulse_env: PulseEnv):
    """The first row used to reach the compacted topic (workers applied it) but not
    abm.accounts, although the CLI said "nothing loaded"."""
    pulse_env.stack(ACCOUNTS)
    path = pulse_env.files / "more.csv"
    path.write_text("account_id,name,domains,ip_ranges,tier\n"
                    "globex,Globex,globex.com,,2\n"
                    f"huge,{'x' * 1_100_000},huge.com,,2\n")
    proc = pulse_env.cli("accounts", "load", str(path), check=False)
    assert proc.returncode == 1
    assert ("nothing loaded, 1 problem(s):\n  line 3: name: 1,100,000 characters (at most "
            "65,536)") in proc.stderr
    assert read_keys(pulse_env, "accounts") == [b"acme"]
    with pulse_env.clickhouse() as ch:
        assert [r[0] for r in ch.query("SELECT account_id FROM abm.accounts FINAL")
                .result_rows] == ["acme"]


def test_a_load_failing_part_way_leaves_nothing_on_the_topic(pulse_env: PulseEnv):
    """Past the checks, a load is one Kafka transaction: what was sent before a failure
    (here the warehouse copy refusing) is never seen by workers."""
    from schemas.reference import Contact
    from services.reference.loader import insert_contacts
    from services.reference.topics import ReferencePublisher
    from services.warehouse import DirectWarehouse

    pulse_env.stack(ACCOUNTS)

    class Refusing(DirectWarehouse):
        def insert(self, table, columns, rows):  # type: ignore[no-untyped-def]
            raise RuntimeError("Code: 243. DB::Exception: Cannot reserve space")

    wh = Refusing(pulse_env.settings)
    publisher = ReferencePublisher(pulse_env.settings)
    try:
        with pytest.raises(RuntimeError, match="Cannot reserve"):
            insert_contacts(wh, publisher, [Contact(email=f"p{i}@acme.com", account_id="acme")
                                            for i in range(50)], b"secret")
    finally:
        publisher.close()
        wh.close()
    assert read_keys(pulse_env, "contacts") == []


def test_pulse_forget_with_a_blank_or_partial_address_erases_nothing(pulse_env: PulseEnv):
    pulse_env.stack(ACCOUNTS)
    broken = [json.dumps({"type": "email_open", "ts": "never", "email": e, "campaign_id": "q"})
              .encode() for e in ("joann@acme.com", "ann@acme.com.evil", "ann@acme.com")]
    pulse_env.publish_events([], b"\n".join(broken) + b"\n", check=False)
    pulse_env.cli("run", "--drain")
    assert counts(pulse_env) == (0, 3)
    for bad in ("", "  ", "ann", "acme.com"):
        proc = pulse_env.cli("forget", bad, check=False)
        assert proc.returncode == 1 and "is not an email address" in proc.stderr, proc.stderr
    assert counts(pulse_env) == (0, 3)
    out = pulse_env.cli("forget", "Ann@Acme.com").stdout
    assert "1 dead letter(s) erased" in out
    with pulse_env.clickhouse() as ch:
        left = sorted(json.loads(r[0])["email"] for r in ch.query(
            "SELECT payload FROM abm.dead_letters").result_rows)
    assert left == ["ann@acme.com.evil", "joann@acme.com"]


def test_pulse_home_is_private_to_its_owner(pulse_env: PulseEnv):
    home = pulse_env.settings.home_dir
    home.mkdir(parents=True)
    home.chmod(0o755)  # as an older version left it
    pulse_env.stack(ACCOUNTS, contacts="email,account_id\nanna@acme.com,acme\n")
    pulse_env.publish_events([visit("v1", NOW)], b"{broken\n", check=False)
    pulse_env.cli("run", "--drain")
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    opened = [str(p) for p in home.rglob("*")
              if not p.is_symlink() and stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert not opened, opened[:5]
    assert os.access(home, os.R_OK)


def test_pulse_publish_reports_bad_lines_by_number_and_publishes_the_rest(pulse_env: PulseEnv):
    pulse_env.cli("up")
    lines = [json.dumps(visit("a", NOW)).encode(),
             b'{"type": "web_visit", "deep": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
             json.dumps(visit("b", NOW)).encode(),
             b'{"type": "web_visit", "x": "' + b"y" * (5 << 20) + b'"}',
             json.dumps(visit("c", NOW)).encode()]
    path = pulse_env.files / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    proc = pulse_env.cli("publish", str(path), check=False)
    assert proc.returncode == 1
    assert "published 3 event(s) (web_visits: 3)" in proc.stdout
    assert "line 2: not JSON (nested too deeply)" in proc.stderr
    assert "line 4: 5,242,910 bytes: larger than an input topic takes" in proc.stderr
