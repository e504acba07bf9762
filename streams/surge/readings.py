"""A reading of an account's history at a moment: its daily trend, its hourly spike, or
(customers) its cooling, with a status and a reason a rep can read. Pure."""

from __future__ import annotations

import math
from dataclasses import replace

from streams.surge.history import AccountHistory
from streams.surge.model import DAY, HOUR, Mode, Status, Surge, SurgeRules, surge_score


def _z(recent: float, expected: float, unit: float, spread: float = 0.0,
       baseline_share: float = 1.0) -> float:
    """How far from the expectation, in standard deviations: those of a compound Poisson
    sum of touches (plus the baseline's own noise, ``baseline_share`` of it; +1 touch: an
    empty baseline is not certainty), or the account's own week-to-week spread if it is
    noisier than that."""
    poisson = ((1 + baseline_share) * expected + unit) * unit
    return (recent - expected) / math.sqrt(max(poisson, spread))


def _without_top_person(history: AccountHistory, start: float, now: float) -> float:
    """The window's score minus its busiest person's share: a surge must survive it."""
    per: dict[str, float] = {}
    for t in history.touches_since(start, now):
        per[t.person] = per.get(t.person, 0.0) + t.score
    return sum(per.values()) - max(per.values(), default=0.0)


def evaluate(account_id: str, mode: Mode, history: AccountHistory, now: float,
             rules: SurgeRules, prior_week: float, name: str = "", explain: bool = False,
             ) -> Surge:
    """The account's daily trend or hourly spike as of ``now`` (event time); the reason is
    written for unusual readings, or always with ``explain``."""
    if mode == "daily":
        reading = history.daily(now, rules, prior_week)
        enter, floor = rules.daily_enter, rules.daily_volume_floor
        span = rules.daily_window_hours * HOUR
    else:
        reading = history.spike(now, rules, prior_week)
        enter, floor, span = rules.spike_enter, rules.spike_volume_floor, HOUR
    recent, expected, people, new, intent, spread, own = reading
    if own < rules.min_own_weeks:  # cold start: no idea yet what usual is; say so, stay quiet
        s = Surge(account_id, mode, "new", 50.0, 1.0, round(recent, 2), 0.0, int(people),
                  int(new), int(intent), now - span, now)
        return replace(s, reason=reason(s, name or account_id)) if explain else s
    multiple = (recent + 1.0) / (expected + 1.0)  # +1: no division by an empty baseline
    score = surge_score(multiple)
    status: Status = "usual"
    unit = history.unit(now)
    if expected > 0 and score >= enter and _z(recent, expected, unit, spread) >= rules.min_z:
        rest = _without_top_person(history, now - span, now)
        big_enough = (recent >= floor and people >= rules.breadth_floor
                      and surge_score((rest + 1.0) / (expected + 1.0)) >= enter
                      and _z(rest, expected, unit, spread) >= rules.min_z)
        status = "surging" if big_enough else "too_small"
    s = Surge(account_id, mode, status, score, round(multiple, 2), round(recent, 2),
              round(expected, 2), int(people), int(new), int(intent), now - span, now)
    return replace(s, reason=reason(s, name or account_id)) if explain or status != "usual" else s


def evaluate_cooling(account_id: str, history: AccountHistory, day_start: float,
                     rules: SurgeRules, name: str = "") -> Surge | None:
    """A customer's sustained drop, as of midnight ``day_start``; None without history.

    Read over the last week, and over the last two for accounts too quiet for one week to
    tell a drop from chance (with the same 28-day baseline before either)."""
    readings = []
    for days in (rules.cooling_days, 2 * rules.cooling_days):
        measured = history.cooling(day_start, rules, days)
        if measured is None:
            break
        recent, expected, people, unit = measured
        multiple = (recent + 1.0) / (expected + 1.0)
        score = surge_score(multiple)
        cooling = (score <= rules.cooling_score and expected >= rules.cooling_floor
                   and -_z(recent, expected, unit, baseline_share=days / 28)
                   >= rules.cooling_min_z)
        readings.append(Surge(account_id, "cooling", "cooling" if cooling else "usual", score,
                              round(multiple, 2), round(recent, 2), round(expected, 2),
                              int(people), 0, 0, day_start - days * DAY, day_start))
        if cooling:
            break
    if not readings:
        return None
    s = readings[-1] if readings[-1].status == "cooling" else readings[0]
    return replace(s, reason=reason(s, name or account_id))


def reason(s: Surge, name: str) -> str:
    """What a rep reads: who, how many, what they looked at, against what usual."""
    if s.mode == "cooling":
        return (f"{name}'s engagement over the last {round((s.window_end - s.window_start) / DAY)}"
                f" days is {s.multiple:.1f}x its usual level ({s.recent:g} against "
                f"{s.expected:g} expected); {s.people} "
                f"{'person' if s.people == 1 else 'people'} active")
    if s.status == "new":
        return (f"{name}: too little history of its own to tell what is usual (a week of it "
                f"is needed); {s.people} {'person' if s.people == 1 else 'people'} active")
    who = f"{s.people} {'person' if s.people == 1 else 'people'} from {name}"
    if s.mode == "spike":
        who += " in the last hour"
    parts = [who + (f", {s.new_people} new" if s.new_people else "")]
    if s.high_intent:
        parts.append(f"{s.high_intent} pricing/demo page visit{'s' if s.high_intent > 1 else ''}")
    days = round((s.window_end - s.window_start) / DAY)
    parts.append(f"{s.multiple:.1f}x the usual " + (
        "hour" if s.mode == "spike" else "day" if days == 1 else "week" if days == 7
        else f"{days} days"))
    if s.status == "too_small":
        parts.append("below the volume or breadth floor")
    return "; ".join(parts)
