from datetime import date, timedelta

from streams.surge import DailyActivity, SurgeRules, daily_trend, surge_score, tier_priors

TODAY = date(2026, 11, 20)  # a Friday
RULES = SurgeRules()


def history(weekday_score: float, weekend_score: float, weeks: int = 5,
            recent: dict[int, float] | None = None) -> dict[date, DailyActivity]:
    """Baseline: steady weekdays, quiet weekends; ``recent`` overrides days ago -> score."""
    days = {}
    for i in range(weeks * 7):
        d = TODAY - timedelta(days=i)
        days[d] = DailyActivity(weekend_score if d.weekday() >= 5 else weekday_score, 3, 0)
    for ago, score in (recent or {}).items():
        days[TODAY - timedelta(days=ago)] = DailyActivity(score, 4, 2)
    return days


def test_score_scale():
    assert surge_score(1) == 50 and surge_score(2) == 73.1 and surge_score(0.5) == 26.9
    assert 87 < surge_score(4) < 89


def test_a_steady_account_is_usual_weekends_included():
    s = daily_trend("acme", history(10, 1), TODAY, people=5, new_people=0, tier_prior_week=20)
    assert s.status == "usual" and 45 <= s.score <= 60


def test_a_sustained_jump_surges_with_a_reason_a_rep_can_read():
    days = history(10, 1, recent={i: 40 for i in range(5)})
    s = daily_trend("acme", days, TODAY, people=6, new_people=3, tier_prior_week=20,
                    name="Acme")
    assert s.status == "surging" and s.score >= 70 and s.multiple > 2.5
    assert s.reason.startswith("6 people from Acme, 3 new; 10 pricing/demo page visits; ")
    assert s.reason.endswith("x the usual week")


def test_one_enthusiastic_person_is_not_a_surge():
    days = history(10, 1, recent={i: 40 for i in range(5)})
    s = daily_trend("acme", days, TODAY, people=1, new_people=0, tier_prior_week=20)
    assert s.status == "too_small" and "breadth floor" in s.reason


def test_two_visits_after_nothing_are_not_infinite_growth():
    days = {TODAY: DailyActivity(2, 2, 0)}
    s = daily_trend("tiny", days, TODAY, people=2, new_people=2, tier_prior_week=20)
    assert s.status in ("usual", "cooling") and s.multiple < 1


def test_a_new_account_is_judged_against_its_tier():
    days = {TODAY - timedelta(days=i): DailyActivity(20, 4, 1) for i in range(3)}
    hot = daily_trend("new", days, TODAY, people=5, new_people=5, tier_prior_week=10)
    calm = daily_trend("new", days, TODAY, people=5, new_people=5, tier_prior_week=60)
    assert hot.status == "surging" and calm.status == "usual"


def test_a_customer_going_quiet_is_cooling():
    days = history(10, 1, recent={i: 0.5 for i in range(7)})
    s = daily_trend("cust", days, TODAY, people=2, new_people=0, tier_prior_week=20)
    assert s.status == "cooling" and s.score <= 30


def test_tier_priors_are_medians():
    assert tier_priors({"1": [5, 50, 10], "2": [1, 3]}) == {"1": 10, "2": 2}
