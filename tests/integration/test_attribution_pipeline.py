"""Attribution depth through the real pipeline: shared and hosting ranges, non-human
traffic kept but not counted, account hierarchies, `pulse explain`, `pulse attribute`."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PulseEnv
from tests.support.events import web_visit

pytestmark = pytest.mark.integration

TS = "2026-11-03T08:00:00Z"
HUMAN_UA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15"
BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def visit(eid: str, ip: str, ua: str = HUMAN_UA) -> dict[str, object]:
    return web_visit(eid, ip, ts=TS, path="/pricing", user_agent=ua, anonymous_id=eid)


EVENTS = [
    visit("p1", "198.18.0.10"),  # acme office
    visit("p2", "198.18.4.10"),  # acme-eu office, a subsidiary of acme
    visit("p3", "198.18.0.200"),  # ISP block carved out of acme's range: nobody
    visit("b1", "198.18.0.11", BOT_UA),  # crawler on acme's network: acme, not counted
    visit("h1", "192.0.2.7"),  # cloud host: not a person
    {"event_id": "s1", "type": "email_open", "ts": TS, "email": "anna@acme.com",
     "campaign_id": "q4", "sent_at": "2026-11-03T07:59:58Z"},  # scanner, 2 s after delivery
    {"event_id": "o1", "type": "email_open", "ts": TS, "email": "anna@acme.com",
     "campaign_id": "q4", "sent_at": "2026-11-03T06:00:00Z"},  # a person, two hours later
]


def test_shared_ranges_machines_parents_and_explanations(pulse_env: PulseEnv, tmp_path):
    (tmp_path / "accounts.csv").write_text(
        "account_id,name,domains,ip_ranges,tier,parent_account_id\n"
        "acme,Acme,acme.com,198.18.0.0/22,1,\n"
        "acme-eu,Acme Europe,acme.eu,,2,acme\n")
    (tmp_path / "contacts.csv").write_text("email,account_id\nanna@acme.com,acme\n")
    (tmp_path / "ranges.csv").write_text(
        "cidr,account_id,kind,source\n"
        "198.18.4.0/24,acme-eu,company,ops\n"
        "198.18.0.128/25,,isp,vendor-x\n"
        "192.0.2.0/24,,hosting,vendor-x\n"
        "198.18.0.0/22,,vpn,vendor-y\n")  # claims acme's whole range: priority decides
    pulse_env.cli("up")
    pulse_env.cli("accounts", "load", str(tmp_path / "accounts.csv"))
    pulse_env.cli("contacts", "load", str(tmp_path / "contacts.csv"))
    loaded = pulse_env.cli("ip-ranges", "load", str(tmp_path / "ranges.csv")).stdout
    assert "loaded 4 ip-ranges" in loaded
    assert ("conflict: 198.18.0.0/22: (shared) [vpn, ip_ranges] wins over "
            "acme [company, accounts]") in loaded
    # Ops fix the vendor's mistake: without the VPN claim acme's range attributes again.
    (tmp_path / "fix.csv").write_text("cidr,account_id,kind,source\n"
                                      "198.18.0.0/22,acme,company,ops\n")
    assert "conflict: 198.18.0.0/22: (shared) [vpn" in pulse_env.cli(
        "ip-ranges", "load", str(tmp_path / "fix.csv")).stdout
    (tmp_path / "vpn.csv").write_text("cidr,account_id,kind,source\n"
                                      "198.18.0.0/22,,vpn,vendor-y\n")
    assert "removed 1 ip-ranges" in pulse_env.cli(
        "ip-ranges", "remove", str(tmp_path / "vpn.csv")).stdout
    assert pulse_env.query("SELECT count() AS n FROM abm.ip_ranges WHERE kind = 'vpn'") == [
        {"n": 0}]

    events_file = tmp_path / "events.jsonl"
    events_file.write_text("\n".join(json.dumps(e) for e in EVENTS) + "\n{broken\n")
    pulse_env.cli("publish", str(events_file), check=False)
    pulse_env.cli("run", "--drain")

    with pulse_env.clickhouse() as ch:
        rows = {r[0]: r[1:] for r in ch.query(
            "SELECT event_id, account_id, match_method, non_human FROM abm.events").result_rows}
        daily = ch.query("SELECT account_id, channel, events FROM abm.account_engagement_daily "
                         "ORDER BY account_id, channel").result_rows
        parents = ch.query("SELECT parent_account_id, channel, events "
                           "FROM abm.parent_engagement_daily ORDER BY channel").result_rows
    assert rows == {
        "p1": ("acme", "ip_range", ""),
        "p2": ("acme-eu", "ip_range", ""),
        "p3": ("", "", ""),
        "b1": ("acme", "ip_range", "bot_user_agent"),
        "h1": ("", "", "hosting_ip"),
        "s1": ("acme", "contact", "email_scanner"),
        "o1": ("acme", "contact", ""),
    }
    assert daily == [("acme", "email", 1), ("acme", "web", 1), ("acme-eu", "web", 1)]
    assert parents == [("acme", "email", 1), ("acme", "web", 2)]

    explained = pulse_env.cli("explain", "p3").stdout
    assert "account    (none)" in explained
    assert 'evidence   cidr: "198.18.0.128/25"' in explained
    assert 'evidence   kind: "isp"' in explained
    assert "counted    yes" in explained
    assert "counted    no: bot_user_agent" in pulse_env.cli("explain", "b1").stdout
    missing = pulse_env.cli("explain", "nope'; DROP TABLE abm.events", check=False)
    assert missing.returncode == 1 and "no event" in missing.stderr

    lines = pulse_env.cli("attribute", str(events_file)).stdout.splitlines()
    got = [json.loads(line) for line in lines]
    assert [(g.get("event_id"), g.get("account_id"), g.get("match_method"), g.get("non_human"))
            for g in got[:-1]] == [(e["event_id"], *rows[str(e["event_id"])]) for e in EVENTS]
    assert got[0]["match_confidence"] == 0.8
    assert got[-1]["line"] == 8 and "invalid JSON" in got[-1]["error"]
