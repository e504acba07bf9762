"""Stage history on the real ClickHouse engine: an account that moves up and down, each
moment seeing only its past; a tier with its own windows; a replay that is repeatable; and
the live evaluation after it (baseline, an MQA alert, a deal)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import clickhouse_connect
import pytest

from services.warehouse import DirectWarehouse, migrate
from streams.settings import Settings
from streams.stages import rules as stage_rules
from streams.stages import store
from streams.surge.detection import AccountInfo

D0 = datetime(2026, 10, 1, 10, tzinfo=UTC)
RULES = stage_rules.load().model_copy(update={
    "version": "t.1", "tiers": {"1": {"engaged_people": 2, "engaged_days": 7}}})
EVENT_COLUMNS = ["event_id", "ts", "type", "channel", "account_id", "person_key", "score",
                 "url_class", "non_human"]


def day(n: int) -> datetime:
    return D0 + timedelta(days=n)


def visit(event_id: str, account: str, person: str, when: datetime, url_class: str = "other",
          non_human: str = "") -> list[Any]:
    return [event_id, when, "web_visit", "web", account, person, 1.0, url_class, non_human]


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DirectWarehouse]:
    settings = Settings(home=tmp_path_factory.mktemp("stages"))
    client = clickhouse_connect.get_client(dsn=settings.dsn)
    migrate(client)
    client.insert("abm.accounts", [["acme", "Acme", "2"], ["bob", "Bob", "1"],
                                   ["cara", "Cara", "2"]],
                  column_names=["account_id", "name", "tier"])
    client.insert("abm.account_fit", [[a, 80, "A", [], "f", D0] for a in ("acme", "bob", "cara")],
                  column_names=["account_id", "score", "grade", "points", "version",
                                "scored_at"])
    client.insert("abm.events", [
        visit("e1", "acme", "p1", day(1)),
        visit("e2", "acme", "p2", day(3)), visit("e3", "acme", "p3", day(3)),
        visit("e4", "acme", "p2", day(5), "pricing"), visit("e5", "acme", "p2", day(5), "demo"),
        visit("e6", "bob", "q1", day(2)), visit("e7", "bob", "q2", day(2)),
        visit("m1", "cara", "bot", day(4), "pricing", "bot_user_agent"),  # not a person
    ], column_names=EVENT_COLUMNS)
    client.close()
    w = DirectWarehouse(settings)
    yield w
    w.close()


def history(wh: DirectWarehouse, version: str = "t.1") -> list[tuple[Any, ...]]:
    return wh.query_params(
        "SELECT account_id, toDate(changed_at), previous_stage, stage, reason "
        "FROM abm.account_stage_changes FINAL WHERE rules_version = {v:String} "
        "ORDER BY account_id, changed_at", {"v": version})


def replay(wh: DirectWarehouse, days: int, rules: stage_rules.StageRules = RULES) -> int:
    moments = store.day_ends(D0.date(), (D0 + timedelta(days=days)).date(), day(days + 5))
    return len(store.replay(wh.query_params, lambda t, c, rows: wh.insert(t, c, rows),
                            wh.command, rules, moments))


def test_an_account_moves_up_and_down_and_a_replay_repeats(wh: DirectWarehouse):
    assert replay(wh, 40) == 9
    d = D0.date()
    assert history(wh) == [
        ("acme", d + timedelta(1), "unaware", "aware", "1 person in 30 days"),
        ("acme", d + timedelta(3), "aware", "engaged", "3 people and score 3.0 in 30 days"),
        ("acme", d + timedelta(5), "engaged", "mqa",
         "fit A (80); 3 people and score 5.0 in 30 days; 2 high-intent visits in 14 days"),
        # Day 5's visits leave the 14-day window at the end of day 19 ...
        ("acme", d + timedelta(19), "mqa", "engaged", "3 people and score 5.0 in 30 days"),
        # ... p1 (day 1) the 30-day window at the end of day 31, p2 and p3 at day 35.
        ("acme", d + timedelta(31), "engaged", "aware", "2 people in 30 days"),
        ("acme", d + timedelta(35), "aware", "unaware", "0 people in 30 days"),
        # Tier 1: engaged from 2 people, in its own 7-day window.
        ("bob", d + timedelta(2), "unaware", "engaged", "2 people and score 2.0 in 7 days"),
        ("bob", d + timedelta(9), "engaged", "aware", "2 people in 30 days"),
        ("bob", d + timedelta(32), "aware", "unaware", "0 people in 30 days"),
    ]  # cara's only visitor is a bot: it never leaves unaware
    assert replay(wh, 40) == 9
    assert len(history(wh)) == 9
    # A partial replay from a later day keeps what came before it.
    moments = store.day_ends((D0 + timedelta(days=20)).date(),
                             (D0 + timedelta(days=40)).date(), day(45))
    assert len(store.replay(wh.query_params, lambda t, c, rows: wh.insert(t, c, rows),
                            wh.command, RULES, moments)) == 3
    assert len(history(wh)) == 9


def test_live_evaluation_after_the_replay(wh: DirectWarehouse):
    replay(wh, 40)
    infos = {"cara": AccountInfo("Cara", "2", False, "rep@example.com")}
    at = day(41)
    ev = store.evaluate(wh.query_params, RULES, at, infos)
    assert (ev.changes, ev.alerts, ev.accounts, ev.baseline) == ([], [], 3, False)

    # Cara: three people, two pricing visits on day 41: MQA, and an alert.
    wh.insert("abm.events", EVENT_COLUMNS, [
        visit("c1", "cara", "r1", day(41)), visit("c2", "cara", "r2", day(41), "pricing"),
        visit("c3", "cara", "r3", day(41), "pricing")])
    ev = store.evaluate(wh.query_params, RULES, day(41) + timedelta(hours=1), infos)
    assert [(c.account_id, c.previous_stage, c.stage) for c in ev.changes] == [
        ("cara", "unaware", "mqa")]
    [alert] = ev.alerts
    assert (alert.kind, alert.account_name, alert.people, alert.high_intent) == (
        "mqa", "Cara", 3, 2)
    store.save(lambda t, c, rows: wh.insert(t, c, rows), ev.changes)
    assert store.current(wh.query_params, "t.1", day(42))["cara"] == "mqa"

    # An open deal on acme from day 41: opportunity, and no alert.
    wh.insert("abm.opportunities", ["opportunity_id", "account_id", "amount", "currency",
                                    "created_at", "is_closed", "is_won", "updated_at"],
              [["o1", "acme", Decimal("10.00"), "USD", day(41), 0, 0, day(41)]])
    ev = store.evaluate(wh.query_params, RULES, day(42), infos)
    assert [(c.account_id, c.stage, c.reason) for c in ev.changes] == [
        ("acme", "opportunity", "1 open opportunity")]
    assert ev.alerts == []

    # New rules, not replayed, while the old ones have history: a baseline, no alerts.
    fresh = RULES.model_copy(update={"version": "t.2"})
    ev = store.evaluate(wh.query_params, fresh, day(42), infos)
    assert ev.baseline and ev.alerts == []
    assert {c.account_id: c.stage for c in ev.changes} == {"acme": "opportunity",
                                                           "cara": "mqa"}
