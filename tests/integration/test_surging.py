"""`pulse surging --date` reads every account from real landed events: a surging account,
a cooling customer, a steady one and a one-person burst, with reasons a rep can read."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from tests.conftest import PulseEnv
from tests.support.clock import yesterday_noon

pytestmark = pytest.mark.integration

TODAY = yesterday_noon()


def visits(account_net: str, days_ago: int, count: int, people: int, tag: str,
           path: str = "/product") -> list[dict[str, object]]:
    ts = TODAY - timedelta(days=days_ago)
    return [{"event_id": f"{tag}-{days_ago}-{i}", "type": "web_visit",
             "ts": (ts + timedelta(minutes=i)).isoformat(), "ip": f"{account_net}.{i % 250 + 1}",
             "url": f"https://vendor.example{path}", "user_agent": "Mozilla/5.0 (X11) Firefox/1",
             "anonymous_id": f"{tag}-p{i % people}"} for i in range(count)]


def test_surging_and_cooling_accounts_with_reasons(pulse_env: PulseEnv):
    accounts = (
        "account_id,name,domains,ip_ranges,tier,customer\n"
        "hot,Hot Co,hot.com,198.51.100.0/24,1,\nsteady,Steady Co,steady.com,192.0.2.0/24,1,yes\n"
        "cold,Cold Co,cold.com,203.0.113.0/24,1,yes\nsolo,Solo Co,solo.com,198.18.0.0/24,1,\n")
    events = []
    for day in range(37):  # the cooling baseline needs 5 full weeks
        events += visits("192.0.2", day, 3, 3, "steady")
        events += visits("198.51.100", day, 3 if day >= 7 else 12, 6, "hot",
                         "/pricing" if day < 7 else "/product")
        events += visits("203.0.113", day, 4 if day >= 7 else 0, 3, "cold")
        events += visits("198.18.0", day, 2, 2, "soloh", "/blog")  # its own history
        if day < 7:
            events += visits("198.18.0", day, 20, 1, "solo")  # one very busy person
    pulse_env.stack(accounts)
    pulse_env.publish_events(events)
    pulse_env.cli("run", "--drain")

    day = TODAY.date().isoformat()
    rows = json.loads(pulse_env.cli("surging", "--date", day, "--all", "--format", "json").stdout)
    by = {r["account"]: r for r in rows}
    assert by["hot"]["status"] == "surging" and by["hot"]["score"] >= 70
    assert re.match(r"6 people from Hot Co; 12 pricing/demo page visits; [\d.]+x the usual day$",
                    by["hot"]["reason"]), by["hot"]["reason"]
    assert by["cold"]["status"] == "cooling" and by["cold"]["mode"] == "cooling"
    assert by["cold"]["reason"].startswith("Cold Co's engagement over the last 7 days is 0.0x")
    assert by["steady"]["status"] == "usual"  # a customer, but a steady one
    assert by["solo"]["status"] in ("too_small", "usual")  # one person is not a buying group
    table = pulse_env.cli("surging", "--date", day).stdout
    assert "hot" in table and "cold" in table and "steady" not in table
