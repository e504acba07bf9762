"""Privacy by default: no raw IPs or email local parts stored; `pulse forget` erases a
person everywhere and keeps them out of replays."""

from __future__ import annotations

import pytest

from streams.ingest.pseudonyms import keyed
from tests.conftest import PulseEnv
from tests.support.clock import yesterday_noon
from tests.support.events import web_visit

pytestmark = pytest.mark.integration
TS = yesterday_noon().isoformat()


def visit(eid: str, ip: str, **extra: object) -> dict[str, object]:
    return web_visit(eid, ip, ts=TS, **extra)


EVENTS = [
    visit("a1", "198.51.100.77", anonymous_id="anna-cookie"),  # anna, before she is known
    visit("a2", "2001:db8:1234:5678::9", anonymous_id="anna-cookie", email="Anna@acme.com"),
    {"event_id": "a3", "type": "email_open", "ts": TS, "email": "anna@acme.com",
     "campaign_id": "q4"},
    visit("b1", "198.51.100.78", email="bob@acme.com"),
]
BROKEN = b'{"type": "email_open", "ts": "never", "email": "anna@acme.com", "campaign_id": "q4"}'


def test_stored_events_hold_no_raw_ip_or_email_and_forget_erases_and_suppresses(
        pulse_env: PulseEnv):
    pulse_env.stack(accounts="account_id,name,domains,ip_ranges,tier\n"
                             "acme,Acme,acme.com,198.51.100.0/24,1\n",
                    contacts="email,account_id\nanna@acme.com,acme\n")
    pulse_env.publish_events(EVENTS, BROKEN + b"\n")
    pulse_env.cli("run", "--drain")

    with pulse_env.clickhouse() as ch:
        rows = {r[0]: r[1:] for r in ch.query(
            "SELECT event_id, ip, email_domain, email_local_key, account_id "
            "FROM abm.events FINAL").result_rows}
        everything = " ".join(str(v) for row in ch.query(
            "SELECT * FROM abm.events FINAL").result_rows for v in row)
        ttl = ch.query("SHOW CREATE TABLE abm.events").first_row[0]
    assert rows["a1"][0] == "198.51.100.0" and rows["a2"][0] == "2001:db8:1234::"
    assert rows["a3"][1] == "acme.com" and len(rows["a3"][2]) == 32
    assert rows["a2"][2] == rows["a3"][2]  # same local part, same key
    assert "anna" not in everything.lower() and "198.51.100.77" not in everything
    assert "TTL toDateTime(ts) + toIntervalDay(395)" in ttl
    assert {k: v[3] for k, v in rows.items()} == {"a1": "acme", "a2": "acme", "a3": "acme",
                                                   "b1": "acme"}

    anna = keyed(pulse_env.settings.person_key_secret.get_secret_value().encode(),
                 "e:anna@acme.com")
    with pulse_env.clickhouse() as ch:  # an alert that named her (by key) among others
        ch.insert("abm.surge_alerts", [["al-1", "acme", "Acme", "spike", "spike", [anna, "k2"]]],
                  column_names=["alert_id", "account_id", "account_name", "kind", "mode",
                                "contact_keys"])
    out = pulse_env.cli("forget", "ANNA@acme.com").stdout
    assert ("forgot ANNA@acme.com: 3 event(s), 1 linked visitor(s), 1 contact(s), "
            "1 dead letter(s) erased") in out
    with pulse_env.clickhouse() as ch:
        left = sorted(r[0] for r in ch.query("SELECT event_id FROM abm.events FINAL").result_rows)
        assert left == ["b1"]
        assert ch.query("SELECT count() FROM abm.identities").first_row[0] == 0
        assert ch.query("SELECT count() FROM abm.contacts FINAL").first_row[0] == 0
        assert ch.query("SELECT count() FROM abm.dead_letters").first_row[0] == 0
        assert ch.query("SELECT contact_keys FROM abm.surge_alerts FINAL").first_row[0] == ["k2"]

    # A replay of the same events, and new ones, do not bring Anna back.
    pulse_env.publish_events([*EVENTS, visit("a4", "198.51.100.80", anonymous_id="anna-cookie")])
    out = pulse_env.cli("run", "--drain").stdout
    assert "4 of forgotten people dropped" in out
    with pulse_env.clickhouse() as ch:
        assert sorted(r[0] for r in ch.query(
            "SELECT event_id FROM abm.events FINAL").result_rows) == ["b1"]
