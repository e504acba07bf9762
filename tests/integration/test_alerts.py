"""Sales alerts end to end: real broker, real chDB, a real local HTTP receiver.

Five weeks of steady history for a few accounts, then a buying group lands on pricing
pages: the pipeline raises the alerts once, signs them the Standard Webhooks way,
retries a failing receiver with the same id, respects the cooldown, survives a SIGKILL
between alert and commit without a second id, and alerts the same drained as live.
"""

from __future__ import annotations

import base64
import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook

from tests.conftest import PulseEnv, wait_for
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.integration

SECRET = "whsec_" + base64.b64encode(b"integration-test-signing-key-32b").decode()
ACCOUNTS = ("account_id,name,domains,ip_ranges,tier,customer,owner_email\n"
            + "".join(f"a{i},Account {i},a{i}.com,10.{i}.0.0/16,1,{'yes' if i == 4 else ''},"
                      f"rep{i % 2}@vendor.example\n" for i in range(5)))
_today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
# Five weeks of history, then the bursts on the Monday and Tuesday after: last week, so
# they are in the past whatever day the tests run (future-stamped events never alert).
MONDAY = _today - timedelta(days=_today.weekday() + 42)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail_first=2)
    yield r
    r.close()


def configure(env: PulseEnv, receiver: Receiver) -> None:
    env.env.update({
        "PULSE_ALERT_DESTINATIONS": json.dumps([{"name": "sales", "url": receiver.url,
                                                 "secret": SECRET}]),
        "PULSE_ALERT_ALLOW_NETWORKS": "127.0.0.0/8",
        "PULSE_ALERT_RETRY_SECONDS": "0.2",
        "PULSE_ALERT_MAX_ATTEMPTS": "4",
        "PULSE_WATERMARK_IDLE_SECONDS": "2",
    })


def visit(account: int, at: datetime, person: str, path: str, n: int) -> dict[str, Any]:
    return {"event_id": f"v-{account}-{int(at.timestamp())}-{n}", "type": "web_visit",
            "ts": at.isoformat(), "ip": f"10.{account}.{n % 200}.{n % 250 + 1}",
            "url": f"https://vendor.example{path}", "user_agent": "Mozilla/5.0 (X11) Firefox/120",
            "anonymous_id": person}


def history(days: int = 35, seed: int = 5) -> list[dict[str, Any]]:
    """Weekday business hours, about a visit an hour per account from its regulars."""
    rng = random.Random(seed)
    out = []
    for day in range(days):
        if day % 7 >= 5:
            continue
        for account in range(5):
            for hour in range(9, 17):
                at = MONDAY + timedelta(days=day, hours=hour, minutes=rng.randrange(60))
                out.append(visit(account, at, f"a{account}-p{rng.randrange(8)}",
                                 rng.choice(["/blog/x", "/product", "/docs/start"]), len(out)))
    return out


def buying_group(account: int, at: datetime, people: int, each: int,
                 tag: str) -> list[dict[str, Any]]:
    return [visit(account, at + timedelta(minutes=2 * i), f"a{account}-{tag}{i % people}",
                  "/pricing" if i % 2 else "/demo", 10_000 + i)
            for i in range(people * each)]


def alerts(env: PulseEnv) -> list[dict[str, Any]]:
    return env.query("SELECT alert_id, account_id, kind, mode, reason, score "
                     "FROM abm.surge_alerts FINAL ORDER BY detected_at")


def test_alerts_are_signed_retried_deduplicated_and_cooled_down(pulse_env: PulseEnv,
                                                                 receiver: Receiver):
    configure(pulse_env, receiver)
    pulse_env.stack(ACCOUNTS)
    burst_at = MONDAY + timedelta(days=35, hours=10)
    # a0 is already in a deal when it surges: the alert says so.
    opened = (burst_at - timedelta(days=3)).isoformat()
    (pulse_env.files / "opps.csv").write_text(
        "opportunity_id,account_id,name,stage,amount,currency,created_at,close_date,is_closed,"
        f"is_won,updated_at\nop-a0,a0,Account 0 expansion,Negotiation,12000,USD,{opened},,false,"
        f"false,{opened}\nop-a1,a1,Account 1 lost,Closed Lost,500,USD,{opened},,true,false,"
        f"{opened}\n")
    pulse_env.cli("opportunities", "load", str(pulse_env.files / "opps.csv"))
    pulse_env.publish_events(history() + buying_group(0, burst_at, people=5, each=3, tag="g"))
    pulse_env.cli("run", "--drain")

    first = alerts(pulse_env)
    assert {(a["account_id"], a["kind"]) for a in first} == {("a0", "spike"), ("a0", "surge")}
    for _, body in receiver.requests:
        deals = json.loads(body)["open_opportunities"]
        assert [(d["opportunity_id"], d["stage"], d["amount"], d["currency"]) for d in deals] \
            == [("op-a0", "Negotiation", "12000.00", "USD")]
    # The backtest reads the alerts as raised; a replay of the rules finds them again.
    since, until = MONDAY.date().isoformat(), (_today + timedelta(days=1)).date().isoformat()
    raised = json.loads(pulse_env.cli("backtest", "--since", since, "--until", until,
                                      "--format", "json").stdout)
    replayed = json.loads(pulse_env.cli("backtest", "--since", since, "--until", until,
                                        "--replay", "--format", "json").stdout)
    assert (raised["alerts"], raised["alerted_accounts"]) == (2, 1)
    # a0 was in a deal: its alert days are not units (nothing left to convert).
    assert raised["alerted_units"] == 0 and raised["opportunities"] == 2
    assert {**replayed, "alerts_from": "raised"} == raised
    spike = next(a for a in first if a["kind"] == "spike")
    assert re.fullmatch(r"[2-5] people from Account 0 in the last hour, [2-5] new; \d+ "
                        r"pricing/demo page visits; [\d.]+x the usual hour", spike["reason"])
    # Every attempt is signed; the first two were refused, the third taken, same id.
    assert receiver.ids() == Counter({a["alert_id"]: 3 for a in first})
    for headers, body in receiver.requests:
        assert Webhook(SECRET).verify(body, headers)["alert_id"] == headers["webhook-id"]
    deliveries = pulse_env.query("SELECT alert_id, status, attempts FROM abm.alert_deliveries "
                                 "FINAL")
    assert {(d["status"], d["attempts"]) for d in deliveries} == {("delivered", 3)}

    # A second, smaller group two hours later: the same spike episode is over, but the
    # cooldown holds; a third group the next day is a new episode with a new id.
    pulse_env.publish_events(buying_group(0, burst_at + timedelta(hours=2), 4, 3, "h"))
    pulse_env.cli("run", "--drain")
    assert [a for a in alerts(pulse_env) if a["kind"] == "spike"] == [spike]
    pulse_env.publish_events(buying_group(0, burst_at + timedelta(hours=26), 6, 3, "k"))
    pulse_env.cli("run", "--drain")
    spikes = [a for a in alerts(pulse_env) if a["kind"] == "spike"]
    assert len(spikes) == 2 and spikes[0] == spike

    # `pulse surging` lists them with reasons; re-running everything alerts nobody again.
    table = pulse_env.cli("surging", "--since", "400d").stdout
    assert "Account 0" in table and "in the last hour" in table
    before, raised = receiver.ids(), alerts(pulse_env)
    pulse_env.cli("replay", "--from", "2000-01-01T00:00:00Z")
    pulse_env.cli("run", "--drain")
    assert alerts(pulse_env) == raised and receiver.ids() == before


def test_sigkill_between_alert_and_commit_raises_no_second_alert_id(pulse_env: PulseEnv,
                                                                   receiver: Receiver):
    configure(pulse_env, receiver)
    pulse_env.stack(ACCOUNTS)
    pulse_env.publish_events(history() + buying_group(
        1, MONDAY + timedelta(days=35, hours=11), people=6, each=3, tag="g"))
    pulse_env.env["PULSE_FAILPOINT"] = "after_alert_sent"
    killed = pulse_env.cli("run", "--drain", check=False)
    assert killed.returncode == -9  # killed right after the alert was published
    pulse_env.cli("run", "--drain")  # the failpoint fired once; this run goes through
    rows = pulse_env.query("SELECT alert_id, count() AS n FROM abm.surge_alerts "
                           "GROUP BY alert_id")
    assert rows and all(r["n"] == 1 for r in rows)
    assert set(receiver.ids()) == {r["alert_id"] for r in rows}


def test_a_drained_backlog_alerts_exactly_as_the_same_traffic_live(pulse_env: PulseEnv,
                                                                  receiver: Receiver,
                                                                  tmp_path):
    events = history() + buying_group(2, MONDAY + timedelta(days=35, hours=14), 5, 3, "g")
    events += buying_group(3, MONDAY + timedelta(days=36, hours=9), 6, 2, "g")
    # a customer going quiet: no visits from a4 in the last week (cooling is read daily)
    events = [e for e in events if not (e["event_id"].startswith("v-4-")
                                        and e["ts"] >= (MONDAY + timedelta(days=28)).isoformat())]
    events.sort(key=lambda e: e["ts"])
    configure(pulse_env, receiver)
    pulse_env.stack(ACCOUNTS)
    pulse_env.publish_events(events)
    pulse_env.cli("run", "--drain")
    drained = {(a["alert_id"], a["kind"]) for a in alerts(pulse_env)}
    assert {k for _, k in drained} >= {"spike", "cooling"}

    live = PulseEnv({**pulse_env.env, "PULSE_HOME": str(tmp_path / "live"),
                     "PULSE_TOPIC_PREFIX": pulse_env.env["PULSE_TOPIC_PREFIX"] + "live.",
                     "PULSE_APP_ID": pulse_env.env["PULSE_APP_ID"] + "-live"})
    live.stack(ACCOUNTS)
    proc = live.start_pipeline()
    try:
        days = sorted({e["ts"][:10] for e in events})
        for day in days:  # a day at a time, each landed before the next arrives
            todays = [e for e in events if e["ts"][:10] == day]
            live.publish_events(todays)
            landed = f"SELECT count() >= {len(todays)} AS ok FROM abm.events " \
                     f"WHERE toDate(ts) = '{day}'"
            wait_for(lambda q=landed: live.query(q)[0]["ok"], 60, what=f"day {day} to land")
        wait_for(lambda: {(a["alert_id"], a["kind"]) for a in alerts(live)} >= drained, 60,
                 what="the live alerts")
    finally:
        proc.terminate()
        proc.wait(60)
    with live.clickhouse() as ch:
        got = {(r[0], r[1]) for r in ch.query(
            "SELECT alert_id, kind FROM abm.surge_alerts FINAL").result_rows}
    assert got == drained


def test_a_drain_ends_only_after_its_last_evaluation(pulse_env: PulseEnv, receiver: Receiver):
    """Surge detection lagging behind (each evaluation stalled 2 s): the drain
    must wait for the last evaluation, not stop once a watermark's ack has moved past the
    activity still being read; the alerts in the tail would be left to the next run."""
    configure(pulse_env, receiver)
    pulse_env.stack(ACCOUNTS)
    pulse_env.publish_events(history() + buying_group(
        2, MONDAY + timedelta(days=35, hours=14), people=5, each=3, tag="g"))
    pulse_env.env.update({"PULSE_FAILPOINT": "slow_detection",
                          "PULSE_FAILPOINT_DELAY_SECONDS": "2", "PULSE_BATCH_SIZE": "100"})
    out = pulse_env.cli("run", "--drain").stdout
    raised = alerts(pulse_env)
    assert {(a["account_id"], a["kind"]) for a in raised} == {("a2", "spike"), ("a2", "surge")}
    assert f"; {len(raised)} alert(s) raised" in out
    assert set(receiver.ids()) == {a["alert_id"] for a in raised}  # delivered in this run


def test_roles_in_separate_processes_drained_in_turn_alert_like_one_worker(
        pulse_env: PulseEnv, receiver: Receiver, tmp_path):
    """`pulse run --role pipeline`, then `--role surge`, then `--role delivery`, each a
    process in its own consumer group, raise and deliver the alerts one worker does."""
    events = history() + buying_group(2, MONDAY + timedelta(days=35, hours=14), 5, 3, "g")
    configure(pulse_env, receiver)
    pulse_env.stack(ACCOUNTS)
    pulse_env.publish_events(events)
    pulse_env.cli("run", "--drain")
    together = {(a["alert_id"], a["kind"]) for a in alerts(pulse_env)}
    assert together and set(receiver.ids()) == {i for i, _ in together}

    split_receiver = Receiver()
    try:
        split = PulseEnv({**pulse_env.env, "PULSE_HOME": str(tmp_path / "split"),
                          "PULSE_TOPIC_PREFIX": pulse_env.env["PULSE_TOPIC_PREFIX"] + "split.",
                          "PULSE_APP_ID": pulse_env.env["PULSE_APP_ID"] + "-split"})
        configure(split, split_receiver)
        split.stack(ACCOUNTS)
        split.publish_events(events)
        out = {role: split.cli("run", "--role", role, "--drain").stdout
               for role in ("pipeline", "surge", "delivery")}
        assert re.search(r"processed \d+ record\(s\)", out["pipeline"])
        assert "alert(s) raised" not in out["pipeline"]
        assert f"{len(together)} alert(s) raised" in out["surge"]
        assert f"{len(together)} alert(s) handed to delivery" in out["delivery"]
        assert {(a["alert_id"], a["kind"]) for a in alerts(split)} == together
        assert set(split_receiver.ids()) == {i for i, _ in together}
        from kafka import KafkaAdminClient

        admin = KafkaAdminClient(bootstrap_servers=split.settings.kafka_bootstrap)
        groups = admin.list_groups()
        names = {g["group_id"] if isinstance(g, dict) else g[0] for g in groups}
        admin.close()
        app_id = split.env["PULSE_APP_ID"]
        assert {app_id, f"{app_id}-surge", f"{app_id}-delivery"} <= names
    finally:
        split_receiver.close()
