"""The fault suite: workers killed and stopped mid-batch, the broker killed while
publishing, the warehouse refusing writes, poison records, a processor bug, duplicates and
a full replay, skewed clocks. Each test ends with the producer-side oracle (oracle.py)."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.runtime.local_kafka import LocalKafka, free_port
from streams.settings import Settings
from tests.conftest import PulseEnv, wait_for
from tests.fault.oracle import (
    ACCOUNTS_CSV,
    Feed,
    assert_exact,
    committed,
    good_events,
    landed_positions,
)

pytestmark = pytest.mark.fault


def landed(env: PulseEnv) -> int:
    return int(env.query("SELECT count() AS n FROM abm.events")[0]["n"])


def dead_lettered(env: PulseEnv) -> int:
    return int(env.query("SELECT count() AS n FROM abm.dead_letters")[0]["n"])


def stop(proc: subprocess.Popen[str], timeout: float = 60) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout)


def publish_in_background(feed: Feed, events: list[dict[str, object]], chunk: int,
                          pause: float) -> threading.Event:
    """Publish in chunks from a thread, each retried until acked; set once all are."""
    sent = threading.Event()

    def publish() -> None:
        for i in range(0, len(events), chunk):
            lines = [json.dumps(e).encode() for e in events[i:i + chunk]]
            while True:
                try:
                    feed.lines(lines)
                    break
                except Exception:  # the broker is down: try the chunk again
                    time.sleep(1)
            time.sleep(pause)
        sent.set()

    threading.Thread(target=publish, daemon=True).start()
    return sent


@pytest.fixture
def feed(pulse_env: PulseEnv) -> Iterator[Feed]:
    pulse_env.env["PULSE_BATCH_SIZE"] = "400"
    pulse_env.stack(accounts=ACCOUNTS_CSV)
    f = Feed(pulse_env)
    yield f
    f.close()


def test_sigkill_at_random_points_sigterm_mid_batch_and_recovery(pulse_env: PulseEnv,
                                                                  feed: Feed):
    """Killed three times at seeded random points, stopped once mid-stream, restarted each
    time without help: nothing lost, nothing twice, and each restart is processing again
    within 60 s. Landing is slowed (0.3 s a batch) so the backlog outlasts three restarts:
    unslowed, the first worker lands all 12,000 before the test sees its threshold."""
    pulse_env.env.update({"PULSE_FAILPOINT": "slow_landing",
                          "PULSE_FAILPOINT_DELAY_SECONDS": "0.3"})
    rng = random.Random(42)
    events, truth = good_events(12_000, rng)
    feed.events(events + rng.sample(events, 300), truth)  # 300 resent by the publisher
    recoveries = []
    for threshold in sorted(rng.sample(range(1000, 9000), 3)):
        started = time.monotonic()
        run = pulse_env.start_pipeline()
        before = landed(pulse_env)
        wait_for(lambda b=before: landed(pulse_env) > b, 60, interval=0.1, what="processing")
        recoveries.append(time.monotonic() - started)
        wait_for(lambda t=threshold: landed(pulse_env) >= t, 120, interval=0.1,
                 what=f"{threshold} events landed")
        run.send_signal(signal.SIGKILL)
        run.wait(30)
        assert landed(pulse_env) < 12_000, "killed after the backlog was done, not mid-stream"
    run = pulse_env.start_pipeline()
    wait_for(lambda: landed(pulse_env) >= 10_000, 120, interval=0.1, what="10,000 landed")
    assert stop(run) == 0  # SIGTERM with a backlog: mid-batch, a clean stop
    pulse_env.cli("run", "--drain")
    assert_exact(pulse_env, feed)
    print(f"time from restart to the next landed batch: {[round(r, 1) for r in recoveries]}")
    assert max(recoveries) < 60


def test_restarted_worker_processes_again_within_60s(pulse_env: PulseEnv, feed: Feed):
    rng = random.Random(5)
    events, truth = good_events(2_000, rng)
    feed.events(events[:1000], {e["event_id"]: truth[e["event_id"]] for e in events[:1000]})
    run = pulse_env.start_pipeline()
    wait_for(lambda: landed(pulse_env) == 1000, 60, interval=0.1, what="first events landed")
    run.send_signal(signal.SIGKILL)
    run.wait(30)
    feed.events(events[1000:], truth)
    restarted = time.monotonic()
    run = pulse_env.start_pipeline()
    wait_for(lambda: landed(pulse_env) > 1000, 60, interval=0.1,
             what="the restarted worker landing new events")
    recovery = time.monotonic() - restarted
    wait_for(lambda: landed(pulse_env) == 2000, 60, what="everything landed")
    assert stop(run) == 0
    assert_exact(pulse_env, feed)
    print(f"restart to processing: {recovery:.1f} s")
    assert recovery < 60


def test_broker_killed_while_publishing_workers_resume(pulse_env: PulseEnv, tmp_path: Path):
    """SIGKILL of the broker in the middle of publishing; it restarts, the publisher
    retries, and the running worker carries on with no manual step: landing, and following
    the reference topics (an account loaded after the crash attributes its events)."""
    settings = Settings(home=tmp_path / "own-broker", kafka_bootstrap=f"127.0.0.1:{free_port()}")
    broker = LocalKafka(settings)
    broker.start(timeout=120)
    pulse_env.env["PULSE_KAFKA_BOOTSTRAP"] = settings.kafka_bootstrap
    pulse_env.env["PULSE_BATCH_SIZE"] = "400"
    try:
        pulse_env.stack(accounts=ACCOUNTS_CSV)
        feed = Feed(pulse_env)
        rng = random.Random(9)
        events, truth = good_events(8_000, rng)
        feed.truth.update(truth)
        run = pulse_env.start_pipeline()
        sent = publish_in_background(feed, events, chunk=200, pause=0.1)  # ~2,000/s
        wait_for(lambda: landed(pulse_env) > 500, 60, what="events flowing")
        pid = broker.pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        time.sleep(3)
        broker.start(timeout=120)
        assert sent.wait(180), "the publisher never got everything acked"
        wait_for(lambda: landed(pulse_env) == len(events), 180, interval=0.5,
                 what="every event landed after the broker restart")
        (pulse_env.files / "later.csv").write_text("account_id,name,domains,ip_ranges,tier\n"
                                                   "acc90,Account 90,acc90.com,10.90.0.0/16,1\n")
        pulse_env.cli("accounts", "load", str(pulse_env.files / "later.csv"))
        time.sleep(3)  # a load reaches a following worker in a second or two
        later = {"event_id": "after-crash", "type": "web_visit",
                 "ts": datetime.now(UTC).isoformat(), "ip": "10.90.4.2",
                 "url": "https://vendor.example/pricing", "user_agent": "Mozilla/5.0 (X11)"}
        feed.events([later], {"after-crash": "acc90"})
        wait_for(lambda: pulse_env.query("SELECT account_id FROM abm.events FINAL WHERE "
                                         "event_id = 'after-crash'") == [{"account_id": "acc90"}],
                 60, what="the account loaded after the crash to reach the worker")
        assert run.poll() is None, "the worker died with the broker"
        assert stop(run) == 0
        feed.close()
        assert_exact(pulse_env, feed)
    finally:
        broker.stop()


def test_warehouse_refusing_writes_for_30s(pulse_env: PulseEnv, feed: Feed):
    """While ClickHouse refuses writes no offset is committed past what has landed, nothing
    becomes a dead letter, and the backlog drains once it is back."""
    pulse_env.env["PULSE_FAILPOINT"] = "warehouse_down"
    switch = Path(pulse_env.env["PULSE_HOME"]) / "faults" / "warehouse_down"
    rng = random.Random(3)
    events, truth = good_events(6_000, rng)
    run = pulse_env.start_pipeline()
    feed.events(events[:2000], {e["event_id"]: truth[e["event_id"]] for e in events[:2000]})
    wait_for(lambda: landed(pulse_env) == 2000, 60, what="the first events landed")
    switch.parent.mkdir(parents=True, exist_ok=True)
    switch.write_text("down\n")
    feed.events(events[2000:], truth)
    down_until = time.monotonic() + 30
    held = 0  # records the worker had but could not land, seen held back (not committed)
    while time.monotonic() < down_until:
        done = landed_positions(pulse_env)
        offsets = committed(pulse_env)
        for tp, offset in offsets.items():
            assert offset <= done.get(tp, 0), f"{tp} committed {offset} past landed"
        held = max(held, 6000 - sum(offsets.values()))
        time.sleep(2)
    assert landed(pulse_env) == 2000 and dead_lettered(pulse_env) == 0
    switch.unlink()
    wait_for(lambda: landed(pulse_env) == 6000, 90, what="the backlog drained")
    assert dead_lettered(pulse_env) == 0
    assert stop(run) == 0
    assert held >= 4000  # the whole outage's backlog was held back, none of it committed
    assert_exact(pulse_env, feed)


POISON = {
    "invalid JSON": lambda i: b'{"event_id": "bad-json-%d", "type": "web_visit", ' % i,
    "schema violation": lambda i: json.dumps({
        "event_id": f"bad-schema-{i}", "type": "web_visit", "ts": "yesterday",
        "ip": "10.1.1.1"}).encode(),
    "unknown type": lambda i: json.dumps({
        "event_id": f"bad-type-{i}", "type": "page_view", "ts": "2026-11-20T10:00:00Z"}).encode(),
    "2 MB body": lambda i: json.dumps({
        "event_id": f"bad-big-{i}", "type": "web_visit", "ts": "2026-11-20T10:00:00Z",
        "ip": "10.1.1.1", "url": "https://vendor.example/?" + "x" * (2 << 20)}).encode(),
    "wrong field types": lambda i: json.dumps({
        "event_id": f"bad-types-{i}", "type": "web_visit", "ts": "2026-11-20T10:00:00Z",
        "ip": 10,
        "url": ["https://vendor.example/"], "user_agent": {"ua": 1}}).encode(),
}
REASONS = {"invalid JSON": "invalid JSON", "schema violation": "field 'ts'",
           "unknown type": "unknown event type 'page_view'", "2 MB body": "record too large",
           "wrong field types": "field 'ip'"}


def test_poison_records_are_dead_lettered_without_a_restart(pulse_env: PulseEnv, feed: Feed):
    rng = random.Random(11)
    events, truth = good_events(9_900, rng)
    run = pulse_env.start_pipeline()
    pid = run.pid
    feed.events(events[:5000], {e["event_id"]: truth[e["event_id"]] for e in events[:5000]})
    for make in POISON.values():
        for i in range(20):
            feed.raw("web_visits", make(i))
    feed.events(events[5000:], truth)
    wait_for(lambda: landed(pulse_env) == 9900 and dead_lettered(pulse_env) == 100, 120,
             what="9,900 landed and 100 dead-lettered")
    assert run.poll() is None and run.pid == pid  # the same worker, never restarted
    reasons = [r["error"] for r in pulse_env.query("SELECT error FROM abm.dead_letters")]
    for kind, reason in REASONS.items():
        assert sum(reason in r for r in reasons) >= 20, (kind, reasons[:3])
    sizes = pulse_env.query("SELECT max(length(payload)) AS n FROM abm.dead_letters")
    assert sizes[0]["n"] > 2 << 20  # the original bytes, kept whole
    assert stop(run) == 0
    assert_exact(pulse_env, feed)


def test_processor_bug_dead_letters_the_records_it_hits(pulse_env: PulseEnv, feed: Feed):
    rng = random.Random(13)
    events, truth = good_events(3_000, rng)
    buggy = [e["event_id"] for e in rng.sample(events, 10)]
    pulse_env.env["PULSE_FAILPOINT_BUG_IDS"] = ",".join(buggy)
    for event_id in buggy:  # they reach the dead letters, not the events
        del truth[event_id]
    feed.events([e for e in events if e["event_id"] not in buggy], truth)
    feed.bad.update(json.dumps(e).encode() for e in events if e["event_id"] in buggy)
    feed.lines([json.dumps(e).encode() for e in events if e["event_id"] in buggy])
    pulse_env.cli("run", "--drain")
    reasons = pulse_env.query("SELECT error FROM abm.dead_letters")
    assert len(reasons) == 10
    assert all(r["error"].startswith("processing error: InjectedBug") for r in reasons)
    assert_exact(pulse_env, feed)


SNAPSHOT_SQL = {
    "events": "SELECT * EXCEPT (ingested_at) FROM abm.events FINAL ORDER BY event_id",
    "dead_letters": "SELECT * EXCEPT (received_at) FROM abm.dead_letters FINAL "
                    "ORDER BY topic, partition, offset",
    "hourly": "SELECT * FROM abm.account_engagement_hourly ORDER BY hour, account_id, channel",
    "weekly": "SELECT * FROM abm.account_engagement_weekly ORDER BY week, account_id, channel",
    "rows": "SELECT count() FROM abm.events",
}


def test_duplicate_delivery_and_full_replay_change_nothing(pulse_env: PulseEnv, feed: Feed):
    rng = random.Random(17)
    events, truth = good_events(4_000, rng)
    before = datetime.now(UTC) - timedelta(minutes=1)
    feed.events(events + rng.sample(events, 400), truth)
    feed.raw("email_opens", b"not json")
    feed.events(rng.sample(events, 400), {})  # the same events delivered a second time
    pulse_env.cli("run", "--drain")
    with pulse_env.clickhouse() as ch:
        clean = {k: ch.query(sql).result_rows for k, sql in SNAPSHOT_SQL.items()}
    out = pulse_env.cli("replay", "--from", before.isoformat()).stdout
    assert "processed 4801 record(s)" in out and "0 landed" in out
    with pulse_env.clickhouse() as ch:
        assert {k: ch.query(sql).result_rows for k, sql in SNAPSHOT_SQL.items()} == clean
    assert_exact(pulse_env, feed)


def visit(event_id: str, account: int, ts: datetime, person: str, path: str) -> dict[str, str]:
    return {"event_id": event_id, "type": "web_visit", "ts": ts.isoformat(),
            "ip": f"10.{account}.0.{int(person.rsplit('p', 1)[1]) % 250 + 1}",
            "url": f"https://vendor.example{path}", "user_agent": "Mozilla/5.0 (X11)",
            "anonymous_id": person}


def test_out_of_order_late_and_skewed_clocks(pulse_env: PulseEnv, feed: Feed):
    """Shuffled, late and ±4-minute-skewed events land unflagged except `late`; events a
    day in the future land flagged `future` and never raise an alert, while the same
    buying group stamped now does (for an account with the same history)."""
    rng = random.Random(19)
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now - timedelta(days=28)).replace(minute=0, second=0)
    events, truth = [], {}
    for h in range(28 * 24):  # four weeks of ordinary round-the-clock history, acc0 and acc1
        at = start + timedelta(hours=h)
        for acc in (0, 1):
            if rng.random() < 0.6:
                events.append(visit(f"h{h}-{acc}", acc, at + timedelta(
                    minutes=rng.randrange(60)), f"a{acc}p{rng.randrange(10)}", "/blog/x"))
    groups = {0: now - timedelta(minutes=2), 1: now + timedelta(days=1)}
    for acc, at in groups.items():  # six new people on pricing pages within a minute
        events += [visit(f"g{acc}-{i}", acc, at + timedelta(seconds=3 * i),
                         f"a{acc}buyer{i % 6}p{100 + i % 6}", "/pricing") for i in range(18)]
    skewed = {"late": now - timedelta(hours=3), "ahead": now + timedelta(minutes=4),
              "behind": now - timedelta(minutes=4)}
    for kind, at in skewed.items():
        events += [visit(f"{kind}-{i}", 5, at, f"s{kind}p{i}", "/") for i in range(5)]
    rng.shuffle(events)  # out of order
    for e in events:
        truth[e["event_id"]] = f"acc{e['ip'].split('.')[1]}"
    feed.events(events, truth)
    pulse_env.cli("run", "--drain")
    flags = {r["k"]: (r["late"], r["future"]) for r in pulse_env.query(
        "SELECT splitByChar('-', event_id)[1] AS k, max(late) AS late, max(future) AS future "
        "FROM abm.events WHERE k IN ('late', 'ahead', 'behind', 'g0', 'g1') GROUP BY k")}
    assert flags == {"late": (1, 0), "ahead": (0, 0), "behind": (0, 0), "g0": (0, 0),
                     "g1": (0, 1)}
    alerts = pulse_env.query("SELECT account_id, mode FROM abm.surge_alerts")
    assert [a for a in alerts if a["account_id"] == "acc0"]  # the control alerts
    assert not [a for a in alerts if a["account_id"] == "acc1"]  # the future one never
    assert_exact(pulse_env, feed)


def test_two_workers_one_joins_mid_run_and_the_holder_is_killed(pulse_env: PulseEnv,
                                                                 feed: Feed):
    """A second worker joins the group while events flow (a rebalance), then the first,
    which holds the embedded warehouse, is killed: the second takes over its partitions
    and the warehouse, and every event lands exactly once."""
    rng = random.Random(23)
    events, truth = good_events(10_000, rng)
    feed.truth.update(truth)
    first = pulse_env.start_pipeline()
    sent = publish_in_background(feed, events, chunk=250, pause=0.25)  # ~1,000/s
    wait_for(lambda: landed(pulse_env) >= 1000, 60, interval=0.2, what="the first worker landing")
    second = pulse_env.start("run")
    wait_for(lambda: second.poll() is None and _group_size(pulse_env) == 2, 60,
             what="the second worker joining the group")
    at_join = landed(pulse_env)
    wait_for(lambda: landed(pulse_env) >= at_join + 1500, 60, interval=0.2,
             what="both workers landing")
    first.send_signal(signal.SIGKILL)
    first.wait(30)
    assert sent.wait(60)
    wait_for(lambda: landed(pulse_env) == len(events), 120, interval=0.5,
             what="the survivor landing everything")
    assert second.poll() is None
    assert stop(second) == 0
    # Its inserts through the holder can only have happened while the holder lived.
    through = re.search(r"(\d+) insert\(s\) landed through the warehouse holder",
                        second.log.read_text())  # type: ignore[attr-defined]
    assert through and int(through.group(1)) > 0, second.log.read_text()[-2000:]  # type: ignore[attr-defined]
    assert_exact(pulse_env, feed)


def _group_size(env: PulseEnv) -> int:
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=env.settings.kafka_bootstrap)
    try:
        found = admin.describe_groups([env.settings.app_id])
        (group,) = found.values() if isinstance(found, dict) else found
        return len(group["members"]) if group["group_state"] == "Stable" else 0
    finally:
        admin.close()


def test_split_roles_a_surge_worker_killed_after_alerting_alerts_once(pulse_env: PulseEnv,
                                                                      feed: Feed):
    """The production shape: pipeline, surge and delivery in processes of their own (the
    pipeline holds the embedded warehouse, the others reach it through the holder). The
    surge worker is SIGKILLed right after publishing an alert, before saving its state;
    restarted, it publishes the same alert id again and no other: the receiver has each
    id, the table one row per id, and every event landed exactly once."""
    from tests.fault.test_hostile_input import buying_group
    from tests.integration.test_alerts import Receiver, configure

    receiver = Receiver()
    configure(pulse_env, receiver)
    rng = random.Random(29)
    events, truth = good_events(3_000, rng)
    group, group_truth = buying_group()
    try:
        pipeline = pulse_env.start_pipeline("--role", "pipeline")
        pulse_env.env["PULSE_FAILPOINT"] = "after_alert_sent"
        surge = pulse_env.start("run", "--role", "surge")
        del pulse_env.env["PULSE_FAILPOINT"]
        delivery = pulse_env.start("run", "--role", "delivery")
        feed.events(events + group, {**truth, **group_truth})
        assert surge.wait(120) == -signal.SIGKILL  # killed at the failpoint, state unsaved
        surge = pulse_env.start("run", "--role", "surge")

        def settled() -> bool:
            rows = pulse_env.query("SELECT alert_id FROM abm.surge_alerts FINAL")
            return bool(rows) and set(receiver.ids()) >= {r["alert_id"] for r in rows} and \
                landed(pulse_env) == len(feed.truth)

        wait_for(settled, 120, what="the alerts to be delivered and every event landed")
        time.sleep(3)  # room for a second, wrong alert to show up
        rows = pulse_env.query("SELECT alert_id, account_id, kind, count() AS n "
                               "FROM abm.surge_alerts GROUP BY alert_id, account_id, kind")
        assert ("acc2", "spike") in {(r["account_id"], r["kind"]) for r in rows}
        assert all(r["n"] == 1 for r in rows)
        assert set(receiver.ids()) == {r["alert_id"] for r in rows}
        for proc in (delivery, surge, pipeline):  # the holder last
            assert stop(proc) == 0
    finally:
        receiver.close()
    assert_exact(pulse_env, feed)
