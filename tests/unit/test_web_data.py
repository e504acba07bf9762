"""Every query behind a page, on fixed data in a real (embedded) ClickHouse, with exact
expected results; and the pure shaping the pages do."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import clickhouse_connect
import pytest

from services.warehouse import DirectWarehouse, migrate
from services.web import data
from services.web.server import refresh_rollups
from streams.settings import Settings

NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
if datetime.now(UTC) < NOW:  # keep every event in the past
    NOW -= timedelta(days=1)
TODAY = NOW.date()
EVENT_COLUMNS = ["event_id", "ts", "type", "channel", "account_id", "match_method",
                 "match_confidence", "match_evidence", "non_human", "person_key",
                 "visitor_key", "url", "url_class", "campaign_id", "platform", "score",
                 "persona", "email_domain", "ingested_at"]


def ev(event_id: str, days_ago: float, account: str, person: str, score: float,
       channel: str = "web", method: str = "ip", non_human: str = "", visitor: str = "",
       url: str = "https://acme.example/pricing", campaign: str = "", version: int = 0,
       persona: str = "") -> list[object]:
    kind = {"web": "web_visit", "email": "email_open", "ad": "ad_click"}[channel]
    return [event_id, NOW - timedelta(days=days_ago), kind, channel, account, method,
            0.9 if method else 0.0, json.dumps({"ip_range": "203.0.113.0/24"}) if method else "",
            non_human, person, visitor, url if channel == "web" else "", "pricing",
            campaign, "linkedin" if channel == "ad" else "", score, persona,
            "acme.com" if method == "contact" else "",
            NOW + timedelta(minutes=version)]


EVENTS = [
    ev("e1", 0, "acme", "p1", 2.0),
    ev("e2", 0, "acme", "p1", 2.0, url="https://acme.example/docs"),
    ev("e3", 1, "acme", "p2", 1.0, channel="email", method="contact", campaign="c-42",
       persona="executive"),
    ev("e4", 0.1, "acme-uk", "p3", 3.0, channel="ad", campaign="c-7"),
    ev("e5", 10, "globex", "p4", 5.0),
    ev("e6", 0, "acme", "bot1", 2.0, non_human="bot_user_agent"),
    ev("e7", 0, "", "p5", 1.0, method=""),
    ev("e8", 20, "acme", "p6", 1.5),
    # e9 was attributed by IP to globex, then stitched to acme (its visitor is p2)
    ev("e9", 2, "globex", "v9", 4.0, visitor="v9"),
    ev("e9", 2, "acme", "p2", 4.0, visitor="v9", method="stitched", version=1),
    # e1 rescored: its newer version replaces it
    ev("e1", 0, "acme", "p1", 3.0, version=2),
]
ACCOUNTS = [
    # account_id, name, domains, tier, parent, ultimate parent, customer, owner
    ("acme", "Acme Corporation", ["acme.com"], "1", "", "", 0, "ann@seller.example"),
    ("acme-uk", "Acme UK Ltd", ["acme.co.uk"], "1", "acme", "acme", 0, "ann@seller.example"),
    ("globex", "Globex", ["globex.com"], "2", "", "", 1, "bob@seller.example"),
    ("initech", "Initech", ["initech.com"], "1", "", "", 0, ""),
]


@pytest.fixture(scope="module")
def read(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("web")
    settings = Settings(home=home)
    client = clickhouse_connect.get_client(dsn=settings.dsn)
    migrate(client)
    client.insert("abm.accounts", [list(a) for a in ACCOUNTS],
                  column_names=["account_id", "name", "domains", "tier", "parent_account_id",
                                "ultimate_parent_id", "customer", "owner_email"])
    for row in EVENTS:  # one insert per version, as the sink and the stitcher do
        client.insert("abm.events", [row], column_names=EVENT_COLUMNS)
    client.insert("abm.identities", [["v9", "p2", "acme", NOW - timedelta(days=2)]],
                  column_names=["visitor_key", "person_key", "account_id", "linked_at"])
    alert = {"account_name": "Acme Corporation", "tier": "1", "mode": "daily",
             "owner_email": "ann@seller.example", "score": 91.0, "baseline_multiple": 3.2,
             "people": 3, "new_people": 1, "high_intent": 2, "recent": 8.0, "expected": 2.5,
             "level": 0}
    rows = [
        {**alert, "alert_id": "a1", "account_id": "acme", "kind": "surge",
         "detected_at": NOW - timedelta(hours=2), "reason": "3 people from Acme"},
        {**alert, "alert_id": "a2", "account_id": "globex", "account_name": "Globex",
         "tier": "2", "owner_email": "bob@seller.example", "kind": "cooling",
         "mode": "cooling", "score": 12.0, "detected_at": NOW - timedelta(days=3),
         "reason": "Globex went quiet"},
    ]
    cols = list(rows[0])
    client.insert("abm.surge_alerts", [[r[c] for c in cols] for r in rows], column_names=cols)
    client.insert("abm.surge_episodes", [
        ["acme", "daily", NOW - timedelta(hours=3), NOW, 91.0, 0, NOW, NOW],
        ["globex", "cooling", datetime(1970, 1, 1, tzinfo=UTC), NOW, 12.0, 0, NOW, NOW]],
        column_names=["account_id", "mode", "started_at", "last_hot_at", "alerted_score",
                      "level", "last_alert_at", "as_of"])
    client.insert("abm.alert_deliveries", [["a1", "slack", "delivered", 1, 200, "", NOW, NOW],
                                           ["a1", "crm", "failed", 5, 503, "busy", NOW, NOW]],
                  column_names=["alert_id", "destination", "status", "attempts",
                                "http_status", "error", "first_attempt_at", "finished_at"])
    client.insert("abm.dead_letters", [
        ["web_visits", 0, 5, b"{not json", "invalid JSON: Expecting property name enclosed in "
         "double quotes at line 1 column 2", NOW, "not_json", "decode"],
        ["web_visits", 1, 9, b"{\n,", "invalid JSON: Expecting property name enclosed in "
         "double quotes at line 2 column 1", NOW - timedelta(hours=1), "not_json", "decode"],
        ["email_opens", 0, 3, b'{"type":"x"}', "unknown event type: x", NOW, "unknown_type",
         "validate"]],
        column_names=["topic", "partition", "offset", "payload", "error", "received_at",
                      "kind", "stage"])
    client.close()
    wh = DirectWarehouse(settings)
    refresh_rollups(wh)

    def reader(sql: str, parameters: dict) -> list[dict]:
        r = wh.read(sql, parameters)
        return [dict(zip(r.columns, row, strict=True)) for row in r.rows]

    yield reader
    wh.close()


def listing(read, **filters) -> list[tuple[str, float, int, int, str]]:
    page = data.accounts_page(read, data.AccountFilters(**filters), TODAY)
    return [(r["account_id"], r["score"], r["people"], r["new_people"], r["status"])
            for r in page.rows]


def test_accounts_exact_rows(read):
    rows = listing(read)
    assert rows[0] == ("acme", 11.5, 3, 2, "surging")
    assert rows[1:] == [("globex", 5.0, 1, 0, ""), ("acme-uk", 3.0, 1, 1, ""),
                        ("initech", 0.0, 0, 0, "")]
    page = data.accounts_page(read, data.AccountFilters(), TODAY)
    assert page.total == 4 and page.pages == 1
    acme = page.rows[0]
    assert acme["reason"] == "3 people from Acme" and acme["kind"] == "surge"
    assert acme["trend"][-1] == 5.0 and acme["trend"][-2] == 1.0  # e1 3 + e2 2; e3
    assert acme["trend"][-3] == 4.0 and sum(acme["trend"]) == 11.5  # stitched e9


def test_a_page_past_the_last_shows_the_last_page(read, monkeypatch):
    monkeypatch.setattr(data, "PAGE_SIZE", 3)
    for asked in (2, 3, 1000):
        page = data.accounts_page(read, data.AccountFilters(page=asked), TODAY)
        assert (page.page, page.pages, page.total) == (2, 2, 4)
        assert [r["account_id"] for r in page.rows] == ["initech"]
    assert data.accounts_page(read, data.AccountFilters(q="nobody", page=5), TODAY).rows == []
    monkeypatch.setattr(data, "PAGE_SIZE", 1)
    alerts = data.alerts_page(read, data.AlertFilters(page=9))
    assert (alerts.page, alerts.pages, [a["alert_id"] for a in alerts.rows]) == (2, 2, ["a2"])


def test_account_filters_and_search(read):
    ids = lambda **f: [r[0] for r in listing(read, **f)]  # noqa: E731
    assert ids(tier="2") == ["globex"]
    assert ids(owner="ann@seller.example") == ["acme", "acme-uk"]
    assert ids(customers=True) == ["globex"]
    assert ids(status="surging") == ["acme"]
    assert ids(status="cooling") == []  # its episode closed
    assert ids(q="ACME co") == ["acme"]  # name, any case
    assert ids(q="co.uk") == ["acme-uk"]  # domain
    assert ids(q="nothing-like-it") == []


def test_account_page_rolls_up_subsidiaries_and_explains_events(read):
    v = data.account_page(read, "acme", NOW)
    assert v is not None
    assert v.account["children"] == [("acme-uk", "Acme UK Ltd")]
    assert v.totals == {"events": 6.0, "score": 14.5, "people": 4, "new_people": 3}
    assert sum(v.daily["series"]["ad"]) == 3.0 and sum(v.daily["series"]["web"]) == 10.5
    assert {p["person_key"]: (p["events"], p["score"]) for p in v.committee} == {
        "p1": (2, 5.0), "p2": (2, 5.0), "p3": (1, 3.0), "p6": (1, 1.5)}
    assert [(m["value"], m["events"]) for m in v.methods] == [
        ("ip", 4), ("contact", 1), ("stitched", 1)]
    assert [(c["value"], c["events"]) for c in v.campaigns] == [("c-42", 1), ("c-7", 1)]
    assert [(p["value"], p["events"]) for p in v.pages] == [("/pricing", 3), ("/docs", 1)]
    assert [a["alert_id"] for a in v.alerts] == ["a1"]
    ids = [e["event_id"] for e in v.events]
    assert sorted(ids) == ["e1", "e2", "e3", "e4", "e6", "e8", "e9"]  # the bot shown, flagged
    e1 = next(e for e in v.events if e["event_id"] == "e1")
    assert e1["score"] == 3.0 and e1["evidence"] == ['ip_range: "203.0.113.0/24"']
    globex = data.account_page(read, "globex", NOW)
    assert globex is not None and [e["event_id"] for e in globex.events] == ["e5"]
    assert data.account_page(read, "nobody", NOW) is None


def test_alert_feed_newest_first_with_deliveries_and_filters(read):
    page = data.alerts_page(read, data.AlertFilters())
    assert [a["alert_id"] for a in page.rows] == ["a1", "a2"]
    assert page.rows[0]["deliveries"] == [("crm", "failed", 5, 503, "busy"),
                                          ("slack", "delivered", 1, 200, "")]
    assert page.rows[1]["deliveries"] == []
    def ids(**f: str) -> list[str]:
        return [a["alert_id"] for a in data.alerts_page(read, data.AlertFilters(**f)).rows]

    assert ids(kind="cooling") == ["a2"] and ids(tier="1") == ["a1"]
    assert data.alerts_page(read, data.AlertFilters(owner="nobody@x")).rows == []


def test_ops_page(read):
    v = data.ops_page(read, NOW)
    by = {(r["channel"], r["method"]): (r["events"], r["share"]) for r in v.match_table}
    # people's web events: e1 e2 e5 e8 e9(stitched) attributed, e7 not: 5 of 6
    assert by[("web", "ip")] == (4, round(4 / 6, 4))
    assert by[("web", "stitched")] == (1, round(1 / 6, 4))
    assert by[("web", "(not attributed)")] == (1, round(1 / 6, 4))
    assert v.match_chart["series"]["ad"][-1] == 1.0
    assert [(c["tier"], c["targets"], c["engaged"], c["coverage"]) for c in v.coverage] == [
        ("1", 3, 2, round(2 / 3, 4)), ("2", 1, 1, 1.0)]
    assert [(m["reason"], m["events"]) for m in v.machines] == [("bot_user_agent", 1)]
    assert [(d["kind"], d["stage"], d["n"]) for d in v.dead_kinds] == [
        ("not_json", "decode", 2), ("unknown_type", "validate", 1)]
    assert [(d["kind"], d["reason"], d["n"]) for d in v.dead_reasons] == [
        ("not_json", "invalid JSON: Expecting property name enclosed in double quotes at line N "
                     "column N", 2),
        ("unknown_type", "unknown event type: x", 1)]
    assert [(d["topic"], d["partition"], d["offset"]) for d in v.dead_examples][:1] in (
        [("web_visits", 0, 5)], [("email_opens", 0, 3)])
    assert v.freshness["watermark"] is not None


def test_owners_and_tiers(read):
    assert data.owners_and_tiers(read) == (["ann@seller.example", "bob@seller.example"],
                                           ["1", "2"])


def test_sparkline_fills_missing_days_and_ends_today():
    today = date(2026, 3, 31)
    line = data.sparkline([(date(2026, 3, 31), 2.5), (date(2026, 3, 2), 1.0),
                           (date(2026, 1, 1), 9.0)], today)
    assert len(line) == 30 and line[-1] == 2.5 and line[0] == 1.0 and sum(line) == 3.5


def test_match_rates_shares_and_gaps():
    rows = [{"day": date(2026, 3, 31), "channel": "web", "match_method": "ip", "events": 3},
            {"day": date(2026, 3, 31), "channel": "web", "match_method": "", "events": 1}]
    chart, table = data.match_rates(rows, date(2026, 3, 31))
    assert chart["series"]["web"][-1] == 0.75 and chart["series"]["web"][0] is None
    assert chart["series"]["email"][-1] is None  # no email: no rate, not 0%
    assert table == [{"channel": "web", "method": "ip", "events": 3, "share": 0.75},
                     {"channel": "web", "method": "(not attributed)", "events": 1,
                      "share": 0.25}]


def test_evidence_lines_as_pulse_explain_prints_them():
    assert data.evidence_lines('{"b": 1, "a": "x"}') == ['a: "x"', "b: 1"]
    assert data.evidence_lines("") == []
    assert data.evidence_lines("not json") == ["not json"]
