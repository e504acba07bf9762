"""A known set of events, duplicates and broken records through the real broker, the
Faust pipeline and the embedded ClickHouse: exact counts and exact dead letters."""

from __future__ import annotations

import base64
import json
from collections import Counter

import pytest
from kafka import KafkaConsumer, TopicPartition

from tests.conftest import PulseEnv
from tests.support.events import ad_click, email_open, web_visit

pytestmark = pytest.mark.integration

ACCOUNTS = """account_id,name,domains,ip_ranges,tier,owner_email
acme,Acme Corp,acme.com;acme.co.uk,198.18.0.0/22;2001:db8:1::/48,1,rep@vendor.io
acme-eu,Acme Europe,,198.18.1.0/26,2,
globex,Globex,globex.com,198.18.8.0/22,2,
"""
CONTACTS = """email,account_id,title
anna@acme.com,acme,CFO
jane.doe@gmail.com,globex,VP Sales
"""
TS = "2026-11-02T09:30:00Z"


def visit(eid: str, ip: str, **extra: object) -> dict[str, object]:
    return web_visit(eid, ip, ts=TS, path="/product", **extra)


def opened(eid: str, email: str) -> dict[str, object]:
    return email_open(eid, email, ts=TS)


def click(eid: str, ip: str) -> dict[str, object]:
    return ad_click(eid, ip, ts=TS)


GOOD = [
    visit("w1", "198.18.0.10", anonymous_id="cookie-1"),
    visit("w2", "198.18.0.11", anonymous_id="cookie-1", url="https://vendor.example/pricing"),
    visit("w3", "198.18.2.1", anonymous_id="cookie-2"),
    visit("w4", "2001:db8:1::5", anonymous_id="cookie-3"),
    visit("w5", "::ffff:198.18.1.9", anonymous_id="cookie-4"),  # subsidiary's /26
    visit("w6", "203.0.113.50", anonymous_id="cookie-5"),  # home ISP: unmatched
    visit("w7", "203.0.113.51", email="anna@acme.com"),  # known contact off-network
    opened("e1", "anna@acme.com"),
    opened("e2", "Anna@Acme.com"),
    opened("e3", "bob@mail.acme.co.uk"),  # domain, subdomain, multi-part suffix
    opened("e4", "jane.doe@gmail.com"),  # free mail, but a known contact
    opened("e5", "someone@gmail.com"),  # free mail: never by domain
    opened("e6", "eve@notacme.com"),  # look-alike: never
    click("a1", "198.18.8.1"),
    click("a2", "198.18.9.200"),
]
EXPECTED = {  # (account_id, type) -> events
    ("acme", "web_visit"): 5, ("acme-eu", "web_visit"): 1, ("", "web_visit"): 1,
    ("acme", "email_open"): 3, ("globex", "email_open"): 1, ("", "email_open"): 2,
    ("globex", "ad_click"): 2, ("acme", "ad_click"): 0,
}
EXPECTED_METHODS = {"w1": "ip_range", "w4": "ip_range", "w5": "ip_range", "w6": "",
                    "w7": "contact", "e1": "contact", "e3": "email_domain", "e4": "contact",
                    "e5": "", "e6": "", "a1": "ip_range"}
# (topic, raw bytes, reason fragment)
BROKEN = [
    ("web_visits", b'{"event_id": "x1", "type": "web_visit", "ts": ', "invalid JSON"),
    ("web_visits", b'{"type": "web_visit", "ts": "\xff\xfe"}', "invalid UTF-8"),
    ("web_visits", json.dumps(visit("x3", "198.18.0.1") | {"url": None}).encode(),
     "field 'url'"),
    ("email_opens", json.dumps({k: v for k, v in opened("x4", "a@b.com").items()
                                if k != "campaign_id"}).encode(),
     "field 'campaign_id': Field required"),
    ("ad_clicks", json.dumps(click("x5", "198.18.8.1") | {"campaign_id": 7}).encode(),
     "field 'campaign_id': Input should be a valid string"),
    ("web_visits", json.dumps(visit("x6", "198.18.0.256")).encode(),
     "'198.18.0.256' is not an IPv4 or IPv6 address"),
    ("email_opens", json.dumps(opened("x7", "a@acme.com") | {"ts": "02/11/2026"}).encode(),
     "field 'ts': must be an RFC 3339 timestamp"),
    ("ad_clicks", json.dumps({"event_id": "x8", "type": "ad_view", "ts": TS}).encode(),
     "unknown event type 'ad_view'"),
    ("ad_clicks", json.dumps(opened("x9", "a@acme.com")).encode(),
     "does not belong on topic 'ad_clicks'"),
]
TOPIC_OF = {"web_visit": "web_visits", "email_open": "email_opens", "ad_click": "ad_clicks"}


def publish(env: PulseEnv) -> list[tuple[str, int, int, bytes, str]]:
    """Publish GOOD (plus resent copies) and BROKEN; return the broken ones' positions."""
    producer = env.producer()
    for event in GOOD:
        producer.send(env.topic(TOPIC_OF[str(event["type"])]), key=str(event["event_id"]).encode(),
                      value=json.dumps(event).encode())
    # A publisher resends: same key (same partition), and once under another key.
    for event, key in ((GOOD[0], b"w1"), (GOOD[7], b"e1"), (GOOD[13], b"other-key")):
        producer.send(env.topic(TOPIC_OF[str(event["type"])]), key=key,
                      value=json.dumps(event).encode())
    positions = []
    for topic, raw, reason in BROKEN:
        meta = producer.send(env.topic(topic), key=b"bad", value=raw).get(timeout=30)
        positions.append((meta.topic, meta.partition, meta.offset, raw, reason))
    producer.flush()
    producer.close()
    return positions


def test_known_events_land_exactly_once_with_exact_dead_letters(pulse_env: PulseEnv, tmp_path):
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "contacts.csv").write_text(CONTACTS)
    pulse_env.cli("up")
    assert "loaded 3 accounts" in pulse_env.cli("accounts", "load",
                                                str(tmp_path / "accounts.csv")).stdout
    assert "loaded 2 contacts" in pulse_env.cli("contacts", "load",
                                                str(tmp_path / "contacts.csv")).stdout
    broken = publish(pulse_env)

    out = pulse_env.cli("run", "--drain").stdout
    assert f"processed {len(GOOD) + 3 + len(BROKEN)} record(s)" in out
    assert f"{len(GOOD)} landed, 3 duplicate(s) skipped, {len(BROKEN)} dead-lettered" in out

    with pulse_env.clickhouse() as ch:
        total, distinct = ch.query("SELECT count(), uniqExact(event_id) FROM abm.events").first_row
        assert total == distinct == len(GOOD)
        got = Counter({(a, t): n for a, t, n in ch.query(
            "SELECT account_id, type, count() FROM abm.events GROUP BY 1, 2").result_rows})
        assert {k: got.get(k, 0) for k in EXPECTED} == EXPECTED
        methods = dict(ch.query("SELECT event_id, match_method FROM abm.events").result_rows)
        assert {k: methods[k] for k in EXPECTED_METHODS} == EXPECTED_METHODS

        # The roll-up agrees with the events it summarises.
        rollup = {(a, c): (e, p) for a, c, e, p in ch.query(
            "SELECT account_id, channel, sum(events), sum(people) "
            "FROM abm.account_engagement_daily GROUP BY 1, 2").result_rows}
        assert rollup[("acme", "web")] == (5, 4)  # cookie-1 twice, cookie-2, -3, anna
        assert rollup[("acme", "email")] == (3, 2)  # anna twice (case-folded), bob
        assert rollup[("globex", "ad")] == (2, 2)
        assert ("", "web") not in rollup
        score = ch.query("SELECT sum(score) FROM abm.account_engagement_daily "
                         "WHERE account_id = 'acme' AND channel = 'web'").first_row[0]
        # Tier 1 (x1.5); /product pages 2, w2's pricing page 5; w7 is Anna, a CFO (x2).
        assert score == (2 + 5 + 2 + 2) * 1.5 + 2 * 1.5 * 2

        dead = ch.query("SELECT topic, partition, offset, payload, error "
                        "FROM abm.dead_letters ORDER BY topic, partition, offset",
                        column_formats={"payload": "bytes"}).result_rows
    expected_dead = sorted(broken)
    assert [(t, p, o) for t, p, o, _, _ in dead] == [(t, p, o) for t, p, o, _, _ in expected_dead]
    for (_, _, _, payload, error), (_, _, _, raw, reason) in zip(dead, expected_dead, strict=True):
        assert payload == raw
        assert reason in error

    # The dead_letters topic carries the same records, original bytes included.
    consumer = KafkaConsumer(bootstrap_servers=pulse_env.settings.kafka_bootstrap,
                             auto_offset_reset="earliest", consumer_timeout_ms=5000)
    consumer.assign([TopicPartition(pulse_env.topic("dead_letters"), 0)])
    letters = [json.loads(m.value) for m in consumer]
    consumer.close()
    assert sorted((d["topic"], d["partition"], d["offset"], base64.b64decode(d["payload_base64"]))
                  for d in letters) == [(t, p, o, raw) for t, p, o, raw, _ in expected_dead]
    # Each has a kind and the stage that refused it; ops filter by them.
    kinds = json.loads(pulse_env.cli("dead-letters", "--format", "json").stdout)
    assert sorted((d["kind"], d["stage"]) for d in kinds) == sorted(
        [("not_json", "decode"), ("not_utf8", "decode"), ("unknown_type", "validate"),
         ("wrong_topic", "validate")] + [("schema_violation", "validate")] * 5)
    just = json.loads(pulse_env.cli("dead-letters", "--kind", "not_utf8", "--format",
                                    "json").stdout)
    assert [(d["topic"].rsplit(".", 1)[-1], d["kind"]) for d in just] == [
        ("web_visits", "not_utf8")]

    # Publishing the same events again and re-running changes nothing.
    publish(pulse_env)
    pulse_env.cli("run", "--drain")
    with pulse_env.clickhouse() as ch:
        assert ch.query("SELECT count() FROM abm.events").first_row[0] == len(GOOD)
        assert ch.query("SELECT count() FROM abm.dead_letters").first_row[0] == 2 * len(BROKEN)
