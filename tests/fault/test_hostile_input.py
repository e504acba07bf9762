"""Hostile input, all at once, against the real broker and chDB: every class of bad record
issue 11 found (and those the property suite found) among good events and a planted
buying group. The drain finishes, every good event lands exactly once, the group raises a
sales alert, every bad record is a dead letter with a reason, and garbage on the internal
topics is recorded in abm.surge_errors instead of stopping detection."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from services.publisher import route
from tests.conftest import PulseEnv, wait_for
from tests.fault.oracle import ACCOUNTS_CSV, Feed, assert_exact, good_events
from tests.support.events import web_visit

pytestmark = pytest.mark.fault
NOW = datetime.now(UTC).replace(microsecond=0)
OUTLOOK = ("Microsoft Office/16.0 (Microsoft Outlook 16.0.12329; Pro), Mozilla/4.0 "
           "(compatible; ms-office; MSOffice 16)")
GMAIL_PROXY = ("Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 "
               "(via ggpht.com GoogleImageProxy)")


def visit(event_id: str, ts: datetime | str, **extra: object) -> dict[str, object]:
    return web_visit(event_id, ts=ts, path="/pricing", **{"ip": "10.1.0.7", **extra})


def hostile_records() -> list[tuple[str, bytes, str]]:
    """(topic, bytes, class) of every bad record class; each must become a dead letter."""
    out: list[tuple[str, bytes, str]] = []

    def add(kind: str, topic: str, payload: bytes | dict[str, object]) -> None:
        out.append((topic, payload if isinstance(payload, bytes) else
                    json.dumps(payload).encode(), kind))

    for ts in ("0001-01-03T00:00:00Z", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z",
               "2106-02-07T06:28:16Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59-05:00"):
        add("event time out of range", "web_visits", visit(f"ts-{ts}", ts))
    for i in range(120):  # a ten-year backfill: older than the retention
        add("backfill older than the retention", "web_visits",
            visit(f"backfill-{i}", datetime(2015 + i // 12, i % 12 + 1, 10, tzinfo=UTC)))
    add("far future", "web_visits", visit("future", NOW + timedelta(days=30)))
    add("deeply nested", "web_visits", b'{"a":' * 50_000 + b"1" + b"}" * 50_000)
    add("over 1 MB", "web_visits", json.dumps(visit("big", NOW, referrer="x" * 2_000_000))
        .encode())
    add("not UTF-8", "email_opens", b'{"type": "email_open", "email": "\xff\xfe@acme.com"}')
    add("not JSON", "ad_clicks", b"{oops")
    add("empty", "ad_clicks", b"")
    add("not an object", "web_visits", b'[{"type": "web_visit"}]')
    add("unknown type", "web_visits", {"type": "page_view", "ts": NOW.isoformat()})
    add("type on the wrong topic", "email_opens", visit("wrong-topic", NOW))
    add("ill-typed field", "ad_clicks", {"type": "ad_click", "ts": NOW.isoformat(), "ip": 7,
                                         "campaign_id": ["x"]})
    add("bad IP", "web_visits", visit("bad-ip", NOW, ip="10.0.0.300"))
    add("enclosed digits IP", "web_visits", visit("uni-ip", NOW, ip="①②⑦.0.0.1"))
    add("unknown field", "web_visits", visit("extra", NOW, admin=True))
    add("megabyte field value", "email_opens", {
        "type": "email_open", "ts": NOW.isoformat(), "email": "x" * 900_000,
        "campaign_id": "c"})
    add("bad email", "email_opens", {"type": "email_open", "ts": NOW.isoformat(),
                                     "email": "not an address", "campaign_id": "c"})
    add("unparseable time", "web_visits", visit("bad-ts", "yesterday"))
    return out


def good_hostile_events() -> tuple[list[dict[str, object]], dict[str, str]]:
    """Odd but legal: they must land. Attributed to acc1 (10.1.0.0/16) or to nobody."""
    ev: list[dict[str, object]] = [
        visit("zone-id", NOW, ip="fe80::1%eth0"),
        visit("mapped", NOW, ip="::ffff:10.1.0.9"),
        visit("sixtofour", NOW, ip="2002:c000:204::1"),
        visit("pii-url", NOW, url="https://bob:pw@vendor.example/demo?email=anna%40acc1.com",
              referrer="https://mail.example/?to=anna@acc1.com#t=1"),
        visit("unicode", NOW, user_agent="😀" * 50, anonymous_id="\u202eevil"),
        visit("\u202eid\x00with-nul", NOW),
        visit("tomorrow", NOW + timedelta(days=1)),
        {"event_id": "outlook-open", "type": "email_open", "ts": NOW.isoformat(),
         "email": "p1@acc1.com", "campaign_id": "q4", "user_agent": OUTLOOK},
        {"event_id": "gmail-open", "type": "email_open", "ts": NOW.isoformat(),
         "email": "p2@acc1.com", "campaign_id": "q4", "user_agent": GMAIL_PROXY,
         "ip": "66.249.84.222"},
    ]
    truth = {str(e["event_id"]): "acc1" for e in ev}
    truth["zone-id"] = truth["sixtofour"] = ""  # nobody's networks
    return ev, truth


def buying_group() -> tuple[list[dict[str, object]], dict[str, str]]:
    """Five quiet weeks of acc2, then six new people on pricing and demo within an hour."""
    rng = random.Random(5)
    ev = []
    start = NOW - timedelta(days=35)
    for day in range(35):
        for j in range(3 if (start + timedelta(days=day)).weekday() < 5 else 0):
            ev.append(visit(f"acc2-h{day}-{j}", start + timedelta(days=day, hours=9 + j * 2),
                            ip=f"10.2.0.{rng.randrange(1, 200)}", anonymous_id=f"h{j}",
                            url="https://vendor.example/blog/x"))
    at = NOW - timedelta(hours=2)
    for p in range(6):
        for k, page in enumerate(("pricing", "demo", "pricing")):
            ev.append(visit(f"group-{p}-{k}", at + timedelta(minutes=p * 3 + k),
                            ip=f"10.2.1.{p + 1}", anonymous_id=f"buyer{p}",
                            url=f"https://vendor.example/{page}"))
    return ev, {str(e["event_id"]): "acc2" for e in ev}


def test_hostile_input_is_counted_or_dead_lettered_and_never_stops_a_drain(pulse_env: PulseEnv):
    pulse_env.env["PULSE_BATCH_SIZE"] = "300"
    pulse_env.stack(accounts=ACCOUNTS_CSV)
    feed = Feed(pulse_env)
    try:
        rng = random.Random(11)
        events, truth = good_events(1500, rng)
        resent = events[:200]  # publishers resend
        for part in (good_hostile_events(), buying_group()):
            events += part[0]
            truth.update(part[1])
        bad = hostile_records()
        order = [("good", e) for e in events + resent] + [("bad", b) for b in bad]
        rng.shuffle(order)
        for kind, item in order:
            if kind == "good":
                line = json.dumps(item).encode()
                feed.truth[str(item["event_id"])] = truth[str(item["event_id"])]
                topic, key = route(line)
                feed.producer.send(pulse_env.topic(topic), key=key, value=line)
            else:
                topic, payload, _ = item
                feed.bad.add(payload)
                feed.producer.send(pulse_env.topic(topic), value=payload)
        feed.producer.flush()
        # Garbage on the internal topics: it must be recorded, not stop detection.
        feed.producer.send(pulse_env.topic("account_activity"), value=b"{not json",
                           partition=0).get(60)
        feed.producer.send(pulse_env.topic("account_activity"), partition=1,
                           value=b'{"accounts": {"acc3": [["x", 1]]}}').get(60)
        feed.producer.send(pulse_env.topic("surge_alerts"), value=b'{"alert_id": 1}').get(60)
        out = pulse_env.cli("run", "--drain", timeout=600).stdout
    finally:
        feed.close()

    assert_exact(pulse_env, feed)  # every good event once, every bad one dead-lettered
    with pulse_env.clickhouse() as ch:
        published = len(events) + len(resent) + len(bad)
        landed = ch.query("SELECT count() FROM abm.events FINAL").first_row[0]
        dead = ch.query("SELECT count() FROM abm.dead_letters FINAL").first_row[0]
        assert landed + dead + len(resent) == published
        reasons = [r[0] for r in ch.query("SELECT error FROM abm.dead_letters").result_rows]
        assert all(0 < len(r) <= 1000 and not r.startswith("processing error")
                   for r in reasons), [r for r in reasons if r.startswith("processing")]
        alerts = ch.query("SELECT account_id, kind FROM abm.surge_alerts FINAL").result_rows
        assert ("acc2", "spike") in alerts, alerts
        errors = ch.query("SELECT topic, error FROM abm.surge_errors ORDER BY topic, error"
                          ).result_rows
        assert [e for _, e in errors] == [
            "unreadable activity: not JSON (JSONDecodeError)",
            "unreadable activity: touches must be a list of [event time ms, event_id]",
            "unreadable alert: 13 validation errors for SurgeAlert"], errors
        stored = dict(ch.query("SELECT event_id, url FROM abm.events FINAL WHERE event_id "
                               "= 'pii-url'").result_rows)
        assert stored == {"pii-url": "https://vendor.example/demo?email="}
        counted = dict(ch.query("SELECT event_id, non_human FROM abm.events FINAL WHERE "
                                "event_id IN ('outlook-open', 'gmail-open')").result_rows)
        assert counted == {"outlook-open": "", "gmail-open": ""}
    assert "dead-lettered" in out


def reference_garbage() -> list[tuple[str, bytes, bytes]]:
    """(topic, key, value) of records no loader writes, on every reference topic (the
    broker itself refuses keyless records on these compacted topics)."""
    deep = b"[" * 50_000 + b"]" * 50_000
    out: list[tuple[str, bytes, bytes]] = []
    for topic in ("accounts", "contacts", "ip_ranges", "suppressions"):
        out.append((topic, b"\xff\xfe-key", b"{}"))
    for topic in ("accounts", "contacts", "ip_ranges"):
        out += [(topic, b"g1", b"{oops"), (topic, b"g2", deep), (topic, b"g3", b"[1, 2]"),
                (topic, b"g4", b"\xff\xfe")]
    out += [("accounts", b"g5", b'{"account_id": 7, "name": ["x"]}'),
            ("contacts", b"g5", b'{"account_id": null, "title": 3}'),
            ("ip_ranges", b"g5", b'{"cidr": "not a network", "account_id": "", "kind": "isp"}'),
            ("ip_ranges", b"g6", b'{"cidr": "10.9.0.0/16", "account_id": "x", "kind": "moon"}')]
    return out


def test_garbage_on_every_reference_topic_never_stops_following_nor_forget(pulse_env: PulseEnv):
    """A worker that met garbage on the reference topics keeps following them: a later
    `pulse forget` and a later account load reach it while it runs, and every garbage
    record is a dead letter with its position; a worker started on top of it starts."""
    pulse_env.stack(accounts="account_id,name,domains,ip_ranges,tier\n"
                             "acc1,Account 1,acc1.com,10.1.0.0/16,1\n",
                    contacts="email,account_id\nanna@acc1.com,acc1\nbob@acc1.com,acc1\n")
    proc = pulse_env.start_pipeline()
    producer = pulse_env.producer()
    garbage = reference_garbage()
    for topic, key, value in garbage:
        producer.send(pulse_env.topic(topic), key=key, value=value)
    producer.flush()
    producer.close()

    def dead() -> list[dict[str, object]]:
        return pulse_env.query("SELECT topic, partition, offset, error FROM abm.dead_letters "
                               "FINAL ORDER BY topic, offset")

    wait_for(lambda: len(dead()) == len(garbage), 60, what="the garbage's dead letters")
    assert all(str(d["error"]).startswith("unreadable ") for d in dead())
    pulse_env.cli("forget", "anna@acc1.com")
    (pulse_env.files / "later.csv").write_text("account_id,name,domains,ip_ranges,tier\n"
                                               "acc9,Account 9,acc9.com,10.9.0.0/16,2\n")
    pulse_env.cli("accounts", "load", str(pulse_env.files / "later.csv"))
    time.sleep(3)  # the load and the suppression reach the running worker in a second or two

    def opened(event_id: str, email: str) -> dict[str, object]:
        return {"event_id": event_id, "type": "email_open", "ts": NOW.isoformat(),
                "email": email, "campaign_id": "q4"}

    pulse_env.publish_events([opened("anna-after", "anna@acc1.com"),
                              opened("bob-after", "bob@acc1.com"),
                              visit("acc9-after", NOW, ip="10.9.3.4")])

    def landed() -> dict[str, str]:
        return {str(r["event_id"]): str(r["account_id"]) for r in pulse_env.query(
            "SELECT event_id, account_id FROM abm.events FINAL")}

    wait_for(lambda: {"bob-after", "acc9-after"} <= set(landed()), 60, what="landing")
    time.sleep(1)
    assert landed() == {"bob-after": "acc1", "acc9-after": "acc9"}  # anna: forgotten
    proc.terminate()
    proc.wait(60)

    pulse_env.publish_events([opened("bob-later", "bob@acc1.com")])
    out = pulse_env.cli("run", "--drain", timeout=300).stdout  # starts over the garbage
    assert "1 landed" in out
    assert len(dead()) == len(garbage)  # the same positions: the same dead letters
