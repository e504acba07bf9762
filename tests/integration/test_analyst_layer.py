"""The analyst views answer with exact numbers for a known set of events: windows by event
time (out of order and late events in their own windows), scores, breadth, coverage,
match rates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import PulseEnv

pytestmark = pytest.mark.integration

NOW = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)


def at(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).isoformat()


def visit(eid: str, ip: str, hours_ago: float, who: str, url: str = "/") -> dict[str, object]:
    return {"event_id": eid, "type": "web_visit", "ts": at(hours_ago), "ip": ip,
            "url": f"https://vendor.example{url}", "user_agent": "Mozilla/5.0 (X11) Firefox/133",
            "anonymous_id": who}


def test_views_over_known_events(pulse_env: PulseEnv):
    accounts = (
        "account_id,name,domains,ip_ranges,tier\n"
        "acme,Acme,acme.com,198.51.100.0/24,1\nglobex,Globex,globex.com,192.0.2.0/24,1\n"
        "initech,Initech,initech.com,203.0.113.0/24,2\n")
    events = [  # published newest first: out of order on purpose
        visit("w1", "198.51.100.1", 0, "p1", "/pricing"),  # this hour
        visit("w2", "198.51.100.2", 0, "p2"),  # this hour, another person
        visit("w3", "198.51.100.1", 1, "p1"),  # previous hour
        visit("w4", "198.51.100.3", 24 * 9, "p3"),  # 9 days ago: the week before, late
        {"event_id": "e1", "type": "email_open", "ts": at(2), "email": "anna@acme.com",
         "campaign_id": "q4"},
        visit("g1", "192.0.2.9", 3, "p9"),
        visit("u1", "10.9.9.9", 0, "p8"),  # unmatched
    ]
    pulse_env.env["PULSE_LATE_GRACE_SECONDS"] = str(24 * 3600)
    pulse_env.stack(accounts, contacts="email,account_id\nanna@acme.com,acme\n")
    pulse_env.publish_events(events)
    pulse_env.cli("run", "--drain")

    q = pulse_env.query
    hourly = q("SELECT toString(hour) AS hour, events, people, score FROM "
               "abm.account_engagement_hourly WHERE account_id = 'acme' AND channel = 'web' "
               "ORDER BY hour DESC LIMIT 2")
    this_hour = NOW.replace(minute=0, second=0).strftime("%Y-%m-%d %H:%M:%S")
    # Tier 1 multiplies by 1.5: a pricing visit 5 x 1.5, another page 1 x 1.5.
    assert hourly[0] == {"hour": this_hour, "events": 2, "people": 2, "score": 9.0}
    assert hourly[1]["events"] == 1
    daily_late = q("SELECT sum(late_events) AS late FROM abm.account_engagement_daily "
                   "WHERE account_id = 'acme'")
    assert daily_late == [{"late": 1}]  # w4 landed 9 days after it happened
    weeks = q("SELECT count() AS weeks FROM (SELECT DISTINCT week FROM "
              "abm.account_engagement_weekly WHERE account_id = 'acme')")
    mondays = {(NOW - timedelta(hours=h)).date() - timedelta(days=(NOW - timedelta(hours=h))
                                                              .weekday()) for h in (0, 1, 2, 216)}
    assert weeks[0]["weeks"] == len(mondays)  # 2, or 3 early on a Monday

    scores = {r["account_id"]: r for r in q(
        "SELECT account_id, tier, score_7d, score_prev_7d, change_7d, decayed_score "
        "FROM abm.account_scores")}
    assert scores["acme"]["score_7d"] == (5 + 1 + 1 + 0.5) * 1.5
    assert scores["acme"]["score_prev_7d"] == 1.5
    assert scores["acme"]["change_7d"] == 9.75
    # 14-day half-life, measured from now: this week's 11.25 barely decayed, the 9-day-old
    # 1.5 is worth less. Ages count from the query, not from when the module was imported.
    age_days = (datetime.now(UTC) - NOW).total_seconds() / 86400
    expected = sum(score * 2 ** (-(age_days + hours_ago / 24) / 14) for score, hours_ago in
                   ((7.5, 0), (1.5, 0), (1.5, 1), (0.75, 2), (1.5, 24 * 9)))
    assert scores["acme"]["decayed_score"] == pytest.approx(expected, abs=0.015)
    assert scores["globex"]["tier"] == "1" and "initech" not in scores

    people = q("SELECT people, identified_people, known_contacts, new_people_7d "
               "FROM abm.account_people WHERE account_id = 'acme'")
    assert people == [{"people": 4, "identified_people": 1, "known_contacts": 1,
                       "new_people_7d": 3}]

    today = NOW.date().isoformat()
    coverage = q(f"SELECT tier, engaged_accounts, target_accounts, coverage FROM "
                 f"abm.coverage_daily WHERE day = '{today}' ORDER BY tier")
    if NOW.hour >= 4:  # all of today's events fall on today
        assert coverage == [{"tier": "1", "engaged_accounts": 2, "target_accounts": 2,
                             "coverage": 1}]
    rates = q(f"SELECT match_method, events, share FROM abm.match_rate_daily "
              f"WHERE day = '{today}' AND channel = 'web' ORDER BY match_method")
    if NOW.hour >= 4:
        assert rates == [{"match_method": "", "events": 1, "share": 0.2},
                         {"match_method": "ip_range", "events": 4, "share": 0.8}]
