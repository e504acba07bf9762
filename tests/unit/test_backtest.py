"""The surge backtest against a plain day-by-day count written apart from it, over planted
alerts and opportunities, and a world small enough to count by hand."""

from __future__ import annotations

import math
import random
import statistics
from datetime import UTC, date, datetime, timedelta

import pytest

from services.revenue import backtest
from services.revenue.backtest import Alert, Opportunity
from services.revenue.reports import backtest_sentence

SINCE, UNTIL = date(2026, 1, 1), date(2026, 3, 1)  # 59 days


def moment(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def by_hand(accounts, alerts, opps, since, until, horizon):
    """Every account-day looked at one by one."""
    units = alerted = conv_alerted = conv_quiet = 0
    day = since
    while day < until:
        for a in accounts:
            mine = [o for o in opps if o.account_id == a]
            busy = any(o.created_at.date() < day and (
                not o.is_closed or (o.close_date or o.created_at.date()) >= day) for o in mine)
            if busy:
                continue
            units += 1
            converts = any(day <= o.created_at.date() <= day + timedelta(days=horizon - 1)
                           for o in mine)
            if any(x.account_id == a and x.detected_at.date() == day for x in alerts):
                alerted += 1
                conv_alerted += converts
            else:
                conv_quiet += converts
        day += timedelta(days=1)
    window_alerts = [x for x in alerts if since <= x.detected_at.date() < until
                     and x.account_id in accounts]
    h = timedelta(days=horizon)
    followed = sum(any(x.detected_at < o.created_at <= x.detected_at + h for o in opps
                       if o.account_id == x.account_id) for x in window_alerts)
    created = [o for o in opps if since <= o.created_at.date() < until
               and o.account_id in accounts]
    leads = []
    for o in created:
        before = [x.detected_at for x in alerts if x.account_id == o.account_id
                  and o.created_at - h <= x.detected_at < o.created_at]
        if before:
            leads.append((o.created_at - min(before)).total_seconds() / 86400)
    return (units, alerted, conv_alerted, conv_quiet, len(window_alerts), followed,
            len(created), len(leads), round(statistics.median(leads), 1) if leads else None)


def planted(seed: int):
    rng = random.Random(seed)
    accounts = [f"a{i}" for i in range(rng.randint(1, 12))]
    alerts, opps = [], []
    for a in accounts:
        for _ in range(rng.randint(0, 4)):
            alerts.append(Alert(a, moment(SINCE + timedelta(days=rng.randint(-20, 70)),
                                          rng.randint(0, 23))))
        for _ in range(rng.randint(0, 3)):
            created = moment(SINCE + timedelta(days=rng.randint(-40, 80)), rng.randint(0, 23))
            closed = rng.random() < 0.5
            close = (created.date() + timedelta(days=rng.randint(0, 40))
                     if closed and rng.random() < 0.8 else None)
            opps.append(Opportunity(a, created, close, closed))
    alerts.append(Alert("not-a-target", moment(SINCE)))
    return accounts, alerts, opps


@pytest.mark.parametrize("seed", range(40))
def test_agrees_with_a_day_by_day_count(seed):
    accounts, alerts, opps = planted(seed)
    horizon = random.Random(seed).choice([1, 7, 30, 90])
    r = backtest.run(accounts, alerts, opps, SINCE, UNTIL, horizon)
    assert (r.units, r.alerted_units, r.converted_alerted, r.converted_not_alerted, r.alerts,
            r.alerts_followed, r.opportunities, r.opportunities_preceded,
            r.median_lead_days) == by_hand(accounts, alerts, opps, SINCE, UNTIL, horizon)
    assert r.accounts == len(accounts)


def test_a_world_counted_by_hand():
    # Two accounts, 59 days each. hot: an alert on Jan 10, an opportunity on Jan 20 (open
    # from Jan 21 on). cold: no alert, an opportunity on Feb 15, closed lost on Feb 20.
    alerts = [Alert("hot", moment(date(2026, 1, 10), 9))]
    opps = [Opportunity("hot", moment(date(2026, 1, 20)), None, False),
            Opportunity("cold", moment(date(2026, 2, 15)), date(2026, 2, 20), True)]
    r = backtest.run(["hot", "cold"], alerts, opps, SINCE, UNTIL, 30)
    # hot: units Jan 1-20 (20); cold: 59 - 5 open days (Feb 16-20) = 54.
    assert r.units == 74 and r.alerted_units == 1
    # Converting: hot Jan 1-20 (the opportunity within 30 days), cold Jan 17 - Feb 15.
    assert (r.converted_alerted, r.converted_not_alerted) == (1, 19 + 30)
    assert r.opportunity_rate_alerted == 1.0
    assert r.opportunity_rate_not_alerted == pytest.approx(49 / 73)
    assert r.lift == pytest.approx(73 / 49)
    # Every alerted unit converted (a 0 cell): 0.5 added to each cell, so one alert gets a
    # wide interval: 1.5/2 over 49.5/74.
    se = math.sqrt(1 / 1.5 - 1 / 2 + 1 / 49.5 - 1 / 74)
    ratio = (1.5 / 2) / (49.5 / 74)
    assert r.lift_ci95 == pytest.approx((ratio * math.exp(-1.959964 * se),
                                         ratio * math.exp(1.959964 * se)), rel=1e-6)
    assert r.lift_ci95[0] < 1 < r.lift_ci95[1]
    assert (r.precision, r.recall, r.median_lead_days) == (1.0, 0.5, 10.1)


def test_lift_interval_is_katz_log_method():
    r = backtest.Result(90, 10, units=1000, alerted_units=100, converted_alerted=20,
                        converted_not_alerted=45, alerts=100, alerted_accounts=5,
                        opportunities=30, alerts_followed=20, opportunities_preceded=10,
                        median_lead_days=12.0)
    assert r.lift == pytest.approx(0.2 / 0.05)
    se = math.sqrt(1 / 20 - 1 / 100 + 1 / 45 - 1 / 900)
    low, high = r.lift_ci95
    assert low == pytest.approx(4 * math.exp(-1.959964 * se), rel=1e-6)
    assert high == pytest.approx(4 * math.exp(1.959964 * se), rel=1e-6)
    assert backtest_sentence(r) == (
        "Accounts that surged opened opportunities 4.0× as often within 90 days "
        f"(95%: {low:.1f}–{high:.1f}; 100 alerts, 1,000 account-days).")


def test_the_sentence_says_when_nothing_can_be_measured():
    r = backtest.run(["a"], [], [], SINCE, UNTIL, 90)
    assert backtest_sentence(r) == ("Surge backtest: no lift can be measured yet (no alert "
                                    "in the period; 0 alerts, 59 account-days).")
