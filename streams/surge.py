"""Surge: an account's recent engagement against its own usual level. Pure functions.

Daily trend: the last 7 days against what the 28 days before predict for those same
weekdays (so a quiet weekend is not a drop and a busy Monday is not a surge). The
expectation is shrunk toward the account's tier prior, so a tiny or brand-new account
cannot look infinitely hot after two visits; a volume floor and a breadth floor (distinct
people) keep one enthusiastic person from raising an alert. The score maps the multiple
of the expectation onto 0-100 with 50 meaning "as usual".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class SurgeRules:
    recent_days: int = 7
    baseline_weeks: int = 4
    volume_floor: float = 10.0  # least recent score to call anything a surge
    breadth_floor: int = 2  # least distinct people in the recent window
    prior_weight_weeks: float = 1.0  # how many weeks of evidence the tier prior is worth
    surging_score: float = 70.0  # about 1.9x the expectation
    cooling_score: float = 30.0  # about 0.5x


@dataclass(frozen=True)
class DailyActivity:
    score: float = 0.0
    people: int = 0
    high_intent: int = 0  # pricing / demo page visits


@dataclass(frozen=True)
class Surge:
    account_id: str
    score: float  # 0-100, 50 = usual
    multiple: float  # recent volume / expected volume
    recent: float
    expected: float
    people: int
    new_people: int
    high_intent: int
    status: str  # surging | cooling | usual | too_small
    reason: str = field(default="")


def surge_score(multiple: float) -> float:
    """0-100 with 50 at 1x: 2x -> 73, 4x -> 88, 0.5x -> 27."""
    return round(50 + 50 * math.tanh(math.log2(max(multiple, 1e-9)) / 2), 1)


def expected_recent(days: Mapping[date, DailyActivity], today: date, rules: SurgeRules,
                    tier_prior_week: float) -> tuple[float, int]:
    """Expected score for the recent window, shrunk toward the tier prior.

    Each baseline week is the recent window shifted by whole weeks, so the same weekdays
    are compared. Weeks before the account's first activity are not evidence (a new
    account); the tier prior counts as ``prior_weight_weeks`` weeks of evidence.
    Returns the expectation and the number of baseline weeks used."""
    recent = [today - timedelta(days=i) for i in range(rules.recent_days)]
    active = [d for d, a in days.items() if a.score > 0]
    first = min(active) if active else today
    totals = []
    for w in range(1, rules.baseline_weeks + 1):
        week = [d - timedelta(weeks=w) for d in recent]
        if max(week) >= first:  # the account existed during that week
            totals.append(sum(days.get(d, DailyActivity()).score for d in week))
    prior = tier_prior_week * rules.recent_days / 7
    k = rules.prior_weight_weeks
    expected = (sum(totals) + k * prior) / (len(totals) + k)
    return expected, len(totals)


def daily_trend(account_id: str, days: Mapping[date, DailyActivity], today: date,
                people: int, new_people: int, tier_prior_week: float,
                rules: SurgeRules | None = None, name: str = "") -> Surge:
    rules = rules or SurgeRules()
    recent_days = [today - timedelta(days=i) for i in range(rules.recent_days)]
    recent = sum(days.get(d, DailyActivity()).score for d in recent_days)
    high_intent = sum(days.get(d, DailyActivity()).high_intent for d in recent_days)
    expected, _ = expected_recent(days, today, rules, tier_prior_week)
    multiple = (recent + 1.0) / (expected + 1.0)  # +1: no division by an empty baseline
    score = surge_score(multiple)
    if score >= rules.surging_score:
        # A surge needs volume and more than one person behind it.
        big_enough = recent >= rules.volume_floor and people >= rules.breadth_floor
        status = "surging" if big_enough else "too_small"
    elif score <= rules.cooling_score and expected >= rules.volume_floor:
        status = "cooling"  # a drop from a level that meant something
    else:
        status = "usual"
    surge = Surge(account_id, score, round(multiple, 2), round(recent, 2), round(expected, 2),
                  people, new_people, high_intent, status)
    return Surge(**{**surge.__dict__, "reason": reason(surge, name or account_id)})


def reason(s: Surge, name: str) -> str:
    """What a rep reads: who, how many, what they looked at, against what usual."""
    parts = [f"{s.people} {'person' if s.people == 1 else 'people'} from {name}"
             + (f", {s.new_people} new" if s.new_people else "")]
    if s.high_intent:
        parts.append(f"{s.high_intent} pricing/demo page visit{'s' if s.high_intent > 1 else ''}")
    parts.append(f"{s.multiple:.1f}x the usual week")
    if s.status == "too_small":
        parts.append("below the volume or breadth floor")
    return "; ".join(parts)


def tier_priors(weekly_scores: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Tier -> median weekly score of its accounts: the expectation for a new account."""
    out = {}
    for tier, values in weekly_scores.items():
        ordered = sorted(values)
        if ordered:
            mid = len(ordered) // 2
            out[tier] = (ordered[mid] if len(ordered) % 2 else
                         (ordered[mid - 1] + ordered[mid]) / 2)
    return out
