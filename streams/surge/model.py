"""Surge: an account's engagement now against its own usual level. The model's terms.

Everything runs on event time (epoch seconds), so a backfill drained in minutes meets the
same windows as the traffic did live. Three measures, all against the account's own past:

- daily: the last 24 hours against the same 24 hours of each of the 4
  weeks before, so weekdays meet weekdays and a quiet weekend is neither a surge nor a
  drop;
- spike: the last 60 minutes against the same 60 minutes of the weeks before;
- cooling (customers): the last 7 (or 14) days against the 28 before, once a day.

Expectations are shrunk toward the account's tier prior (worth one week of evidence), so
a tiny or brand-new account cannot look infinitely hot after two visits; volume and
breadth floors (distinct people) keep one enthusiastic person from raising an alert.
Scores map the multiple of the expectation onto 0-100, 50 meaning "as usual"; a surge
also has to stand clear of the account's own noise (``min_z`` standard deviations, the
score treated as a compound Poisson count), which is what keeps busy accounts from
alerting on an ordinary good day.

The model lives in three modules: this one (terms, rules, the score scale), ``history.py``
(what an account did, hour by hour) and ``readings.py`` (a reading of a history at a
moment: usual, surging, too small, cooling, or too new to tell).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Mode = Literal["daily", "spike", "cooling"]
Status = Literal["surging", "cooling", "usual", "too_small", "new"]

HOUR = 3600
DAY = 86400
WEEK_HOURS = 168
# Every measure reads only the LOOKBACK_DAYS before the moment it is read at (an account
# first seen within them is "new"), so any reader holding at least that much history
# (the surge agent primes a little more) reads exactly the same numbers.
LOOKBACK_DAYS = 49  # cooling's 14 days, its 28-day baseline, and a week to know it existed
NOISE_DAYS = 28  # the noise unit comes from the days before, up to the moment of reading


@dataclass(frozen=True, slots=True)
class Touch:
    """One attributed human event, as surge detection sees it."""

    ts: float  # event time, epoch seconds
    score: float
    person: str
    high_intent: bool = False  # a pricing or demo page


@dataclass(frozen=True)
class SurgeRules:
    daily_window_hours: int = 24  # the recent window of the daily trend (at most 168)
    baseline_weeks: int = 4
    min_z: float = 3.0  # least distance from the expectation, in standard deviations
    breadth_floor: int = 2  # least distinct people behind a surge or a spike
    prior_weight_weeks: float = 1.0  # the tier prior counts as this many weeks of evidence
    min_own_weeks: int = 3  # history of its own an account needs before anything alerts
    daily_volume_floor: float = 15.0  # least score in the 7 days to call it a surge
    daily_enter: float = 70.0  # about 1.9x the expectation
    daily_exit: float = 60.0  # an episode ends below this (hysteresis)
    spike_volume_floor: float = 20.0  # least score in the hour to call it a spike
    spike_enter: float = 85.0  # about 3.3x
    spike_exit: float = 65.0
    working_hours_week: float = 40.0  # spike prior: a tier's week spread over working hours
    cooling_days: int = 7
    cooling_score: float = 21.0  # about 0.4x
    cooling_floor: float = 20.0  # least usual level for a drop to mean anything
    cooling_min_z: float = 3.0  # its own knob: read once a day, not at every touch


@dataclass(frozen=True)
class Surge:
    account_id: str
    mode: Mode
    status: Status  # new: too little history of its own to tell
    score: float  # 0-100, 50 = usual
    multiple: float  # recent volume / expected volume
    recent: float
    expected: float
    people: int
    new_people: int
    high_intent: int
    window_start: float
    window_end: float
    reason: str = ""


def surge_score(multiple: float) -> float:
    """0-100 with 50 at 1x: 2x -> 73, 4x -> 88, 0.5x -> 27."""
    return round(50 + 50 * math.tanh(math.log2(max(multiple, 1e-9)) / 2), 1)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
