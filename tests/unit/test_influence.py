"""Pipeline influence: a world computed by hand for every model, and the invariants every
implementation has got wrong once, as properties over generated worlds."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.revenue.influence import (
    MODELS,
    NO_CAMPAIGN,
    UNITS,
    Opportunity,
    Touch,
    Weights,
    apportion,
    cents_of,
    credit,
    report,
)

CREATED = datetime(2026, 3, 1, tzinfo=UTC)
OPP = Opportunity("o1", "acme", CREATED, Decimal("1000.00"), "USD")


def at(days_before: float) -> datetime:
    return CREATED - timedelta(days=days_before)


# The world: four touches in the window, and three that must earn nothing.
T1 = Touch("e1", at(28), "web", "", "acme")
T2 = Touch("e2", at(19), "email", "spring-launch", "acme", known_contact=True)
T3 = Touch("e3", at(9), "ad", "li-retarget", "acme")
T4 = Touch("e4", at(1), "web", "", "acme")
AFTER = Touch("e5", CREATED + timedelta(hours=1), "email", "spring-launch", "acme")
AT_CREATION = Touch("e6", CREATED, "ad", "li-retarget", "acme")
TOO_OLD = Touch("e0", at(91), "email", "old", "acme")
ELSEWHERE = Touch("e7", at(2), "web", "", "globex")
WORLD = [T3, AFTER, T1, TOO_OLD, T4, ELSEWHERE, AT_CREATION, T2]

EXPECTED = {  # (parts per million, cents) for e1..e4, worked out by hand
    "first": ([UNITS, 0, 0, 0], [100000, 0, 0, 0]),
    "last": ([0, 0, 0, UNITS], [0, 0, 0, 100000]),
    "linear": ([250000] * 4, [25000] * 4),
    # 40 / (20 shared by the two between) / 40
    "u_shaped": ([400000, 100000, 100000, 400000], [40000, 10000, 10000, 40000]),
    # first 30, first known contact (e2) 30, last 30, the rest (e3) 10
    "w_shaped": ([300000, 300000, 100000, 300000], [30000, 30000, 10000, 30000]),
    # 2^(-age/7): ages 28, 19, 9 and 1 days; shares .0408, .0995, .2679, .5917, each
    # rounded down and the remainder handed out by the largest fractions
    "time_decay": ([40829, 99543, 267949, 591679], [4083, 9954, 26795, 59168]),
}


@pytest.mark.parametrize("model", MODELS)
def test_a_world_computed_by_hand(model):
    got = credit(OPP, WORLD, model, Weights(), lookback_days=90)
    assert [c.touch.event_id for c in got] == ["e1", "e2", "e3", "e4"]
    units, cents = EXPECTED[model]
    assert [c.units for c in got] == units
    assert [c.cents for c in got] == cents


def test_the_report_counts_influenced_once_and_sources_only_campaign_first_touches():
    unmatched = Opportunity("o2", "", CREATED, Decimal("50.00"), "USD")
    untouched = Opportunity("o3", "initech", CREATED, Decimal("70.00"), "USD")
    in_euros = Opportunity("o4", "globex", at(-3), Decimal("10.00"), "EUR")
    r = report([OPP, unmatched, untouched, in_euros], WORLD, "w_shaped", "channel", 90)
    assert (r.opportunities, r.matched_opportunities, r.influenced_opportunities) == (4, 3, 2)
    # Never added across currencies.
    assert r.pipeline == {"USD": 112000, "EUR": 1000}
    assert r.influenced == {"USD": 100000, "EUR": 1000}
    # acme's first touch is an organic visit: influenced, not sourced; globex's only touch
    # (ELSEWHERE) is organic too.
    assert r.sourced == {}
    assert r.rows["web"] == (600000 + UNITS, {"USD": 60000, "EUR": 1000})
    assert r.rows["email"] == (300000, {"USD": 30000})
    by_campaign = report([OPP], WORLD, "first", "campaign", 90)
    assert by_campaign.rows == {NO_CAMPAIGN: (UNITS, {"USD": 100000})}
    sourced = report([OPP], [T2, T3], "linear", "campaign", 90)
    assert sourced.sourced == {"USD": 100000}
    assert sourced.sourced_rows == {"spring-launch": {"USD": 100000}}


def test_edge_cases_of_a_checklist():
    """Read from PostHog's marketing-analytics attribution tests as a checklist: a touch
    just inside the window counts, one at or after the conversion never does, campaign
    names in any script are kept as they are, a single touch takes everything."""
    edge = Touch("edge", at(90), "ad", "кампания-春", "acme")
    got = credit(OPP, [edge, AT_CREATION, AFTER], "u_shaped", lookback_days=90)
    assert [(c.touch.campaign_id, c.units, c.cents) for c in got] == [
        ("кампания-春", UNITS, 100000)]
    assert credit(OPP, [AT_CREATION, AFTER, TOO_OLD], "linear", lookback_days=90) == []
    two = credit(OPP, [T1, T4], "u_shaped", lookback_days=90)
    assert [c.units for c in two] == [500000, 500000]
    alone = credit(OPP, [T3], "w_shaped", lookback_days=90)
    assert [c.units for c in alone] == [UNITS]


def test_weights_are_settings():
    w = Weights(u_shaped=(50.0, 0.0, 50.0), w_shaped=(25.0, 25.0, 25.0, 25.0))
    got = credit(OPP, WORLD, "u_shaped", w, lookback_days=90)
    assert [c.units for c in got] == [500000, 0, 0, 500000]
    got = credit(OPP, WORLD, "w_shaped", w, lookback_days=90)
    assert [c.units for c in got] == [250000] * 4


def test_apportion_is_exact_even_at_large_totals():
    assert apportion([1, 1, 1], 100) == [34, 33, 33]
    assert sum(apportion([3, 7, 11], 10**15 + 7)) == 10**15 + 7
    with pytest.raises(ValueError):
        apportion([0, 0], 10)


touch_times = st.floats(min_value=-200, max_value=5, allow_nan=False)
worlds = st.lists(st.tuples(touch_times, st.sampled_from(["web", "email", "ad"]),
                            st.sampled_from(["", "c1", "c2"]), st.booleans(),
                            st.sampled_from(["acme", "globex"])), max_size=25)


def _touches(spec: list[tuple[float, str, str, bool, str]]) -> list[Touch]:
    return [Touch(f"e{i}", at(days), ch, camp, acct, known)
            for i, (days, ch, camp, known, acct) in enumerate(spec)]


@settings(max_examples=150, deadline=None)
@given(worlds, st.sampled_from(MODELS), st.integers(min_value=0, max_value=10**12),
       st.integers(min_value=1, max_value=365), st.floats(min_value=0.5, max_value=60))
def test_invariants(spec, model, cents, lookback, half_life):
    touches = _touches(spec)
    opp = Opportunity("o", "acme", CREATED, Decimal(cents) / 100, "USD")
    w = Weights(half_life_days=half_life)
    got = credit(opp, touches, model, w, lookback)
    window = [t for t in touches if t.account_id == "acme"
              and CREATED - timedelta(days=lookback) <= t.ts < CREATED]
    if not window:
        assert got == []
        return
    # Credits sum exactly to one opportunity and to its amount.
    assert sum(c.units for c in got) == UNITS
    assert sum(c.cents for c in got) == cents_of(opp.amount)
    assert all(c.units >= 0 and c.cents >= 0 for c in got)
    # Nothing after (or at) creation, nothing before the window, nothing elsewhere.
    assert {c.touch.event_id for c in got} == {t.event_id for t in window}
    # The same input in another order gives the same answer.
    shuffled = touches[:]
    random.Random(len(spec)).shuffle(shuffled)
    assert credit(opp, shuffled, model, w, lookback) == got
