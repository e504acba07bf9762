"""The surge model on hand-built histories: what a rep would call a surge, and what not."""

from datetime import UTC, datetime

from streams.surge.episodes import HygieneRules, decide
from streams.surge.history import AccountHistory
from streams.surge.model import DAY, HOUR, SurgeRules, Touch, surge_score
from streams.surge.readings import evaluate, evaluate_cooling

MONDAY = datetime(2026, 6, 1, tzinfo=UTC).timestamp()
RULES = SurgeRules()


def steady(weeks: int = 5, per_hour: int = 1, people: int = 8, weekend: bool = False,
           ) -> AccountHistory:
    """Business hours on weekdays: ``per_hour`` touches of score 2 from a pool of people."""
    h = AccountHistory()
    n = 0
    for day in range(weeks * 7):
        if day % 7 >= 5 and not weekend:
            continue
        for hour in range(9, 17):
            for _ in range(per_hour):
                n += 1
                h.add(Touch(MONDAY + day * DAY + hour * HOUR + n % 600, 2.0, f"p{n % people}"))
    return h


def burst(h: AccountHistory, start: float, people: int, each: int, page: bool = True) -> float:
    t = start
    for i in range(people * each):
        t = start + i * 60
        h.add(Touch(t, 10.0 if page else 2.0, f"new{i % people}", high_intent=page))
    return t


def test_score_scale():
    assert surge_score(1) == 50 and surge_score(2) == 73.1 and surge_score(0.5) == 26.9
    assert 87 < surge_score(4) < 89


def test_a_steady_account_is_usual_and_so_is_its_quiet_weekend():
    h = steady()
    friday_4pm = MONDAY + 32 * DAY + 16 * HOUR
    sunday = MONDAY + 34 * DAY + 12 * HOUR
    for now in (friday_4pm, sunday):
        for mode in ("daily", "spike"):
            assert evaluate("acme", mode, h, now, RULES, prior_week=80).status == "usual"


def test_a_buying_group_in_one_hour_is_a_spike_with_a_reason_a_rep_can_read():
    h = steady()
    end = burst(h, MONDAY + 35 * DAY + 10 * HOUR, people=5, each=3)
    s = evaluate("acme", "spike", h, end, RULES, prior_week=80, name="Acme")
    assert s.status == "surging" and s.score >= RULES.spike_enter
    assert s.reason.startswith("5 people from Acme in the last hour, 5 new; "
                               "15 pricing/demo page visits; ")
    assert s.reason.endswith("x the usual hour")


def test_one_enthusiastic_person_is_not_a_surge():
    """Hot by score (well over the entry score), stopped only by the breadth rules."""
    h = steady()
    end = burst(h, MONDAY + 35 * DAY + 10 * HOUR, people=1, each=20)
    for mode in ("daily", "spike"):
        s = evaluate("acme", mode, h, end, RULES, prior_week=80)
        enter = RULES.daily_enter if mode == "daily" else RULES.spike_enter
        assert s.score >= enter and s.status == "too_small", s


def test_two_visits_after_nothing_are_not_infinite_growth():
    h = AccountHistory()
    h.add(Touch(MONDAY - 15 * DAY, 0.5, "a"))  # three weeks of history of its own
    h.add(Touch(MONDAY + 7 * DAY + 10 * HOUR, 2.0, "a"))
    h.add(Touch(MONDAY + 7 * DAY + 11 * HOUR, 2.0, "b"))
    s = evaluate("tiny", "daily", h, MONDAY + 7 * DAY + 11 * HOUR, RULES, prior_week=20)
    assert s.status == "usual" and s.multiple < 3  # shrunk toward the tier, not infinite


def test_cold_start_a_big_new_account_is_not_a_surge_for_being_bigger_than_its_tier():
    """Right after deployment, or when an account is added, there is no history of its own:
    compared with its tier's usual level, a big account would alert in its first week."""
    h = AccountHistory()
    end = burst(h, MONDAY + 10 * HOUR, people=6, each=3, page=False)
    for mode in ("daily", "spike"):
        s = evaluate("new", mode, h, end, RULES, prior_week=5, name="New Co", explain=True)
        assert s.status == "new" and s.score == 50, s
        assert s.reason.startswith("New Co: too little history of its own"), s.reason
    # Heavy and steady with three weeks of its own: usual is its own level, not its tier's.
    big = steady(weeks=4, per_hour=6)
    tuesday_noon = MONDAY + 22 * DAY + 12 * HOUR
    daily = evaluate("big", "daily", big, tuesday_noon, RULES, prior_week=20)
    assert daily.status == "usual" and daily.expected >= 80, daily


def test_a_customer_whose_engagement_drops_for_a_week_is_cooling():
    h = steady(weeks=5)
    for day in range(35, 42):  # a fifth of the usual
        if day % 7 < 5:
            for hour in (10, 14):
                h.add(Touch(MONDAY + day * DAY + hour * HOUR, 2.0, "p1"))
    s = evaluate_cooling("acme", h, MONDAY + 42 * DAY, RULES, name="Acme")
    assert s is not None and s.status == "cooling"
    assert s.reason.startswith("Acme's engagement over the last 7 days is 0.")
    assert evaluate_cooling("acme", steady(weeks=6), MONDAY + 42 * DAY, RULES).status == "usual"
    assert evaluate_cooling("young", steady(weeks=2), MONDAY + 14 * DAY, RULES) is None


def test_one_alert_per_episode_escalation_only_on_a_clear_rise_then_cooldown():
    from streams.surge.episodes import Episode
    from streams.surge.model import Surge

    def reading(score: float, status: str = "surging") -> Surge:
        return Surge("acme", "spike", status, score, 3.0, 30, 10, 5, 2, 3, 0, 0)

    hygiene = HygieneRules.default()
    ep = Episode("acme", "spike")
    ep, first = decide(ep, reading(86), 1000, RULES, hygiene)
    assert first is not None and first.kind == "spike"
    ep, again = decide(ep, reading(92), 1100, RULES, hygiene)
    assert again is None  # same episode, no clear rise
    ep, up = decide(ep, reading(97), 1200, RULES, hygiene)
    assert up is not None and up.kind == "escalation" and up.alert_id != first.alert_id
    ep, _ = decide(ep, reading(50, "usual"), 1300, RULES, hygiene)  # the episode ends
    ep, soon = decide(ep, reading(95), 1400, RULES, hygiene)
    assert soon is None  # within the cooldown
    later = 1200 + hygiene.cooldown_s["spike"] + 1  # from the last alert (the escalation)
    _, next_one = decide(ep, reading(95), later, RULES, hygiene)
    assert next_one is not None and next_one.alert_id not in (first.alert_id, up.alert_id)


def test_alert_ids_are_the_same_when_the_same_readings_are_replayed():
    from streams.surge.episodes import Episode
    from streams.surge.model import Surge

    s = Surge("acme", "daily", "surging", 80, 2.5, 40, 15, 5, 2, 3, 0, 0)
    a = decide(Episode("acme", "daily"), s, 5000, RULES, HygieneRules.default())[1]
    b = decide(Episode("acme", "daily"), s, 5000, RULES, HygieneRules.default())[1]
    assert a is not None and b is not None and a.alert_id == b.alert_id
