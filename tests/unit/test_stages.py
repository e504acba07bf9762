"""Journey-stage rules: the order from the top down, every threshold's edge, per-tier
overrides, the file's checks, and when entering MQA raises an alert (once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from streams.stages import rules as stage_rules
from streams.stages.changes import Change, changes, mqa_alerts
from streams.stages.rules import Facts, stage_of
from streams.surge.detection import AccountInfo

RULES = stage_rules.load()  # the shipped defaults, tier 1 engaged from 2 people
AT = datetime(2026, 12, 6, 12, tzinfo=UTC)
MQA = Facts(tier="2", grade="A", fit=80, aware_people=3, engaged_people=3,
            engaged_score=10.0, high_intent=2)


def stage(**kw: object) -> str:
    return stage_of(Facts(**kw), RULES).stage  # type: ignore[arg-type]


def test_the_shipped_defaults_are_the_documented_ones():
    d = RULES.defaults
    assert (d.aware_people, d.aware_days, d.engaged_people, d.engaged_score, d.engaged_days,
            d.mqa_grades, d.mqa_high_intent, d.mqa_days) == (1, 30, 3, 30.0, 30, ["A", "B"],
                                                              2, 14)


def test_stages_are_evaluated_from_the_top_down():
    everything = MQA._replace(customer=True, open_opportunities=1, won=1)
    assert stage_of(everything, RULES) == ("customer", "the customer flag")
    assert stage_of(everything._replace(customer=False), RULES) == (
        "customer", "1 won opportunity")
    assert stage_of(everything._replace(customer=False, won=0, open_opportunities=2),
                    RULES) == ("opportunity", "2 open opportunities")
    assert stage_of(MQA, RULES) == (
        "mqa", "fit A (80); 3 people and score 10.0 in 30 days; 2 high-intent visits in 14 "
        "days")
    assert stage_of(MQA._replace(grade="C"), RULES).stage == "engaged"
    assert stage_of(MQA._replace(high_intent=1), RULES).stage == "engaged"
    assert stage_of(MQA._replace(engaged_people=2), RULES).stage == "aware"
    assert stage_of(Facts(aware_people=0), RULES) == ("unaware", "0 people in 30 days")


def test_each_threshold_at_its_edge():
    assert stage(aware_people=1) == "aware"
    assert stage(aware_people=2, engaged_people=2, engaged_score=29.9) == "aware"
    assert stage(aware_people=2, engaged_people=2, engaged_score=30.0) == "engaged"
    assert stage(aware_people=3, engaged_people=3) == "engaged"
    assert stage_of(MQA._replace(grade="B"), RULES).stage == "mqa"
    assert stage_of(MQA._replace(grade=""), RULES).stage == "engaged"  # not scored: no fit


def test_a_surge_stands_for_high_intent_visits_when_the_rules_say_so():
    surged = MQA._replace(high_intent=0, surged=True)
    assert stage_of(surged, RULES) == (
        "mqa", "fit A (80); 3 people and score 10.0 in 30 days; a surge in 14 days")
    strict = RULES.model_copy(update={"defaults": RULES.defaults.model_copy(
        update={"mqa_on_surge": False})})
    assert stage_of(surged, strict).stage == "engaged"


def test_tier_overrides_change_only_their_tier():
    two = Facts(aware_people=2, engaged_people=2)
    assert stage_of(two._replace(tier="1"), RULES).stage == "engaged"
    assert stage_of(two._replace(tier="2"), RULES).stage == "aware"
    assert stage_of(two._replace(tier=""), RULES).stage == "aware"
    assert RULES.for_tier("1").engaged_days == RULES.defaults.engaged_days


@pytest.mark.parametrize(("text", "problem"), [
    ('version = "x"\n[defaults]\nengaged_people = 0\n', "defaults.engaged_people"),
    ('version = "x"\n[tiers."1"]\nmqa_dayz = 3\n', "tiers.1: mqa_dayz: Extra inputs"),
    ('version = "x"\n[tiers."1"]\n', "tiers.1 overrides nothing"),
    ('[defaults]\n', "version: Field required"),
])
def test_a_bad_rules_file_says_where_and_why(tmp_path: Path, text: str, problem: str):
    path = tmp_path / "stages.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match="stages.toml") as err:
        stage_rules.load(path)
    assert problem in str(err.value)


def _enter(at: datetime, before: str = "engaged") -> list[Change]:
    return [Change("acme", "mqa", before, at, RULES.version, "fit A")]


def test_entering_mqa_raises_one_alert_and_not_again_within_the_quiet_days():
    infos = {"acme": AccountInfo("Acme", "2", False, "rep@example.com")}
    facts = {"acme": MQA}
    [alert] = mqa_alerts(RULES, _enter(AT), facts, infos, {})
    assert (alert.kind, alert.mode, alert.account_name, alert.owner_email, alert.score) == (
        "mqa", "stage", "Acme", "rep@example.com", 80.0)
    assert alert.reason == "became a marketing-qualified account: fit A"
    assert alert.window_start == AT - timedelta(days=14)
    # The same entry evaluated again has the same id (deduplicated when stored and sent).
    assert mqa_alerts(RULES, _enter(AT), facts, infos, {})[0].alert_id == alert.alert_id
    # Back in MQA 10 days after the last alert: quiet; after 30 days: news again.
    assert mqa_alerts(RULES, _enter(AT + timedelta(days=10)), facts, infos,
                      {"acme": AT}) == []
    assert len(mqa_alerts(RULES, _enter(AT + timedelta(days=30)), facts, infos,
                          {"acme": AT})) == 1
    # Down from an opportunity (a deal lost) is not news for sales.
    assert mqa_alerts(RULES, _enter(AT, before="opportunity"), facts, infos, {}) == []


def test_changes_are_only_the_accounts_whose_stage_moved():
    facts = {"acme": MQA, "quiet": Facts(tier="2"), "seen": Facts(aware_people=1)}
    found = changes(RULES, facts, {"acme": "engaged", "seen": "aware"}, AT)
    assert [(c.account_id, c.previous_stage, c.stage) for c in found] == [
        ("acme", "engaged", "mqa")]
    found = changes(RULES, facts, {"acme": "mqa", "seen": "engaged"}, AT)
    assert [(c.account_id, c.previous_stage, c.stage) for c in found] == [
        ("seen", "engaged", "aware")]



def test_each_account_is_evaluated_by_the_one_worker_owning_its_activity_partition():
    from types import SimpleNamespace

    from faust.types import TP

    from streams.stages.live import StageEvaluation
    from streams.surge.activity import activity_partition

    def worker(partitions: set[int]) -> StageEvaluation:
        ev = StageEvaluation.__new__(StageEvaluation)
        ev.topic = "account_activity"
        ev.surge = SimpleNamespace(settings=SimpleNamespace(input_partitions=4))
        ev.app = SimpleNamespace(consumer=SimpleNamespace(assignment=lambda: {
            TP("account_activity", p) for p in partitions} | {TP("other", 0)}))
        return ev

    first, second = worker({0, 3}).owner(), worker({1, 2}).owner()
    assert first is not None and second is not None
    accounts = [f"acc-{i}" for i in range(200)]
    assert all(first(a) != second(a) for a in accounts)
    assert all(first(a) == (activity_partition(a, 4) in {0, 3}) for a in accounts)
    assert worker(set()).owner() is None
    alone = worker({0, 1, 2, 3}).owner()
    assert alone is not None and all(alone(a) for a in accounts)


def test_a_data_failure_is_logged_and_the_next_tick_runs_but_a_bug_is_raised(caplog):
    import asyncio
    import time
    from types import SimpleNamespace

    from faust.types import TP

    from streams.stages.live import StageEvaluation

    answers: list[object] = [ValueError("a row the query cannot read")]

    def query(sql: str, parameters: dict | None = None) -> list:
        if answers:
            raise answers.pop()  # type: ignore[misc]
        return []

    async def blocking(fn, *args):
        return fn(*args)

    ev = StageEvaluation.__new__(StageEvaluation)
    ev.topic, ev.rules, ev.evaluations, ev.changes = "account_activity", RULES, 0, 0
    ev.lock = asyncio.Lock()
    ev.app = SimpleNamespace(consumer=SimpleNamespace(
        assignment=lambda: {TP("account_activity", p) for p in range(4)}))
    ev.surge = SimpleNamespace(
        settings=SimpleNamespace(input_partitions=4), blocking=blocking,
        sources=SimpleNamespace(low=lambda wall: time.time() - 60), infos=dict,
        sink=SimpleNamespace(query=query, insert=lambda *a: None),
        store=SimpleNamespace(save_alerts=lambda alerts: 0), stats=SimpleNamespace(alerts=0))
    asyncio.run(ev.tick())
    assert ev.evaluations == 0
    assert "stage evaluation failed; the next tick tries again" in caplog.text
    asyncio.run(ev.tick())
    assert ev.evaluations == 1
    answers.append(KeyError("a bug of ours"))  # not about the data: fails loudly
    with pytest.raises(KeyError, match="a bug of ours"):
        asyncio.run(ev.tick())
