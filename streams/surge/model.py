"""Surge: an account's engagement now against its own usual level. Pure functions.

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
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import deque
from dataclasses import dataclass, replace

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
    mode: str  # daily | spike | cooling
    status: str  # surging | cooling | usual | too_small | new (too little history to tell)
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


class AccountHistory:
    """One account's hourly engagement, its people and its latest touches.

    Fed in event-time order (late touches are counted where they belong). The daily
    measure is cached per hour, so evaluating at every touch costs O(1) within an hour.
    """

    __slots__ = ("hours", "active", "intent", "days", "days_sq", "people", "window", "_cache",
                 "_weeks", "_noise")

    def __init__(self) -> None:
        self.hours: dict[int, float] = {}
        self.active: list[int] = []  # the hours with engagement, ascending
        self.intent: dict[int, int] = {}
        self.days: dict[int, float] = {}  # day number -> score (tier priors)
        self.people: dict[str, list[float]] = {}  # person -> [first seen, last seen]
        self.window: deque[Touch] = deque()  # the touches of the daily window, in order
        self._cache: list[float] | None = None  # [hour, window, recent before hour, intent,
        #                                          people, new people]
        # hour, span, baseline totals, their variance, first active hour
        self._weeks: tuple[int, int, list[float], float, int] | None = None
        self.days_sq: dict[int, float] = {}  # day number -> sum of squared scores (noise)
        self._noise: tuple[int, float, float] | None = None  # day, sums of the days before

    def add_hours(self, hour: int, score: float, score_sq: float, high_intent: int) -> None:
        """Aggregated history (as read back from the warehouse)."""
        self.days_sq[hour // 24] = self.days_sq.get(hour // 24, 0.0) + score_sq
        if hour not in self.hours and score > 0:
            insort(self.active, hour)
        self.hours[hour] = self.hours.get(hour, 0.0) + score
        self.intent[hour] = self.intent.get(hour, 0) + high_intent
        self.days[hour // 24] = self.days.get(hour // 24, 0.0) + score
        self._cache = self._weeks = self._noise = None

    def add_person(self, person: str, first: float, last: float) -> None:
        seen = self.people.get(person)
        if seen is None:
            self.people[person] = [first, last]
        else:
            seen[0], seen[1] = min(seen[0], first), max(seen[1], last)
        self._cache = None

    def add(self, t: Touch) -> None:
        h = int(t.ts // HOUR)
        cache = self._cache
        if (cache is not None and h < cache[0]) or (self._weeks and h < self._weeks[0]):
            self._cache = cache = None  # a late touch changes cached hours
            self._weeks = None
        if self._noise is not None and h // 24 < self._noise[0]:
            self._noise = None
        seen = self.people.get(t.person)
        if cache is not None and h == cache[0]:
            window_start = (h - cache[1] + 1) * HOUR
            if seen is None or seen[1] < window_start:
                cache[4] += 1
            if seen is None:
                cache[5] += 1
        if seen is None:
            self.people[t.person] = [t.ts, t.ts]
        else:
            seen[0], seen[1] = min(seen[0], t.ts), max(seen[1], t.ts)
        self.days_sq[h // 24] = self.days_sq.get(h // 24, 0.0) + t.score * t.score
        if h not in self.hours and t.score > 0:
            if not self.active or h > self.active[-1]:
                self.active.append(h)
            else:
                insort(self.active, h)
        self.hours[h] = self.hours.get(h, 0.0) + t.score
        self.days[h // 24] = self.days.get(h // 24, 0.0) + t.score
        if t.high_intent:
            self.intent[h] = self.intent.get(h, 0) + 1
        self.window.append(t)

    def unit(self, now: float) -> float:
        """E[w^2]/E[w] of the account's touch scores over the days to ``now``: a sum of
        Poisson-many touches with expectation m has variance m times this."""
        day = int(now // DAY)
        noise = self._noise
        if noise is None or noise[0] != day:
            noise = self._noise = (
                day, sum(self.days.get(d, 0.0) for d in range(day - NOISE_DAYS, day)),
                sum(self.days_sq.get(d, 0.0) for d in range(day - NOISE_DAYS, day)))
        total = noise[1] + self.days.get(day, 0.0)
        squares = noise[2] + self.days_sq.get(day, 0.0)
        return squares / total if total > 0 else 1.0

    def first_active(self, h: int) -> int:
        """The first active hour within the look-back before hour ``h`` (``h`` if none)."""
        cached = self._weeks
        if cached is not None and cached[0] == h:
            return cached[4]
        i = bisect_left(self.active, h - LOOKBACK_DAYS * 24)
        return self.active[i] if i < len(self.active) and self.active[i] <= h else h

    def touches_since(self, start: float, now: float) -> list[Touch]:
        """The touches in (start, now], newest first (the window is kept in arrival order,
        which is event-time order but for a few late ones)."""
        q = self.window
        while q and q[0].ts <= now - WEEK_HOURS * HOUR:
            q.popleft()
        out = []
        for t in reversed(q):
            if t.ts <= start:
                break
            if t.ts <= now:
                out.append(t)
        return out

    def daily(self, now: float, rules: SurgeRules, prior_week: float) -> tuple[float, ...]:
        """(recent, expected, people, new people, high intent, spread, own weeks) for the
        window to now."""
        h = int(now // HOUR)
        span = rules.daily_window_hours
        cache = self._cache
        if cache is None or cache[0] != h or cache[1] != span:
            cache = self._build_cache(h, span)
        cached = self._weeks
        if cached is None or cached[0] != h or cached[1] != span:
            first = self.first_active(h)
            totals = _baseline(self, h, span, rules.baseline_weeks, first)
            cached = self._weeks = (h, span, totals, _variance(totals), first)
        weeks, spread = cached[2], cached[3]
        expected = _expected(weeks, prior_week * span / WEEK_HOURS, rules)
        recent = cache[2] + self.hours.get(h, 0.0)
        return (recent, expected, cache[4], cache[5], cache[3] + self.intent.get(h, 0), spread,
                len(weeks))

    def _build_cache(self, h: int, span: int) -> list[float]:
        lo = h - span + 1
        hours, intents = self.hours.get, self.intent.get
        recent = sum(hours(x, 0.0) for x in range(lo, h))
        intent = sum(intents(x, 0) for x in range(lo, h))
        start = lo * HOUR
        people = sum(1 for _, last in self.people.values() if last >= start)
        new = sum(1 for first, _ in self.people.values() if first >= start)
        self._cache = [h, span, recent, intent, people, new]
        return self._cache

    def spike(self, now: float, rules: SurgeRules, prior_week: float) -> tuple[float, ...]:
        """(recent, expected, people, new people, high intent, spread, own weeks) for the 60
        minutes to now."""
        touches = self.touches_since(now - HOUR, now)
        recent = sum(t.score for t in touches)
        persons = {t.person for t in touches}
        new = sum(1 for p in persons if self.people[p][0] > now - HOUR)
        h = int(now // HOUR)
        frac = (now % HOUR) / HOUR  # the window covers this much of hour h, the rest of h-1
        first = self.first_active(h)
        weeks = [self.hours.get(e, 0.0) * frac + self.hours.get(e - 1, 0.0) * (1 - frac)
                 for e in (h - WEEK_HOURS * w for w in range(1, rules.baseline_weeks + 1))
                 if e - 1 >= first]
        expected = _expected(weeks, prior_week / rules.working_hours_week, rules)
        return (recent, expected, len(persons), new, sum(1 for t in touches if t.high_intent),
                _variance(weeks), len(weeks))

    def cooling(self, day_start: float, rules: SurgeRules,
                days: int) -> tuple[float, ...] | None:
        """(recent, expected, people, noise unit) for the ``days`` ending at ``day_start``;
        None while the account lacks the full baseline."""
        h = int(day_start // HOUR)
        span = days * 24
        base_span = rules.baseline_weeks * WEEK_HOURS
        if self.first_active(h) > h - span - base_span:
            return None
        recent = base = 0.0
        for hr, s in self.hours.items():
            d = h - hr
            if 0 < d <= span:
                recent += s
            elif span < d <= span + base_span:
                base += s
        people = sum(1 for _, last in self.people.values() if last >= day_start - span * HOUR)
        return recent, base * span / base_span, people, self.unit(day_start)

    def week_score(self, day: int, days: int = 28) -> float:
        """Average weekly score over the ``days`` before ``day`` (for tier priors)."""
        return sum(self.days.get(d, 0.0) for d in range(day - days, day)) * 7 / days

    def forget_before(self, ts: float) -> None:
        """Drop what no window reaches any more (keeps long runs bounded)."""
        h = int(ts // HOUR)
        for hr in [hr for hr in self.hours if hr < h]:
            del self.hours[hr]
            self.intent.pop(hr, None)
        del self.active[:bisect_left(self.active, h)]
        for d in [d for d in self.days if d < h // 24]:
            del self.days[d]
            self.days_sq.pop(d, None)
        self._cache = self._weeks = self._noise = None


def _baseline(history: AccountHistory, h: int, span: int, weeks: int,
              first: int) -> list[float]:
    """Totals of the same ``span`` hours in each of the weeks before; a week counts only
    if the account was already active when its window began (a new account has no usual
    level yet)."""
    get = history.hours.get
    return [sum(get(x, 0.0) for x in range(h - WEEK_HOURS * w - span + 1, h - WEEK_HOURS * w + 1))
            for w in range(1, weeks + 1) if h - WEEK_HOURS * w - span + 1 >= first]


def _expected(weeks: list[float], prior: float, rules: SurgeRules) -> float:
    """The usual level: the account's own weeks, shrunk toward the tier prior (worth
    ``prior_weight_weeks``), but never below its own average: shrinking a big account
    toward the median of its tier would make it look hot for being big. 0 (nothing is
    unusual) until the account has ``min_own_weeks`` of its own history: a fresh
    deployment, or an account just added, has no idea yet what usual is."""
    if len(weeks) < rules.min_own_weeks:
        return 0.0
    k = rules.prior_weight_weeks
    own = sum(weeks) / len(weeks) if weeks else 0.0
    return (sum(weeks) + k * max(prior, own)) / (len(weeks) + k)


def _variance(weeks: list[float]) -> float:
    n = len(weeks)
    if n < 2:
        return 0.0
    mean = sum(weeks) / n
    return sum((w - mean) ** 2 for w in weeks) / (n - 1)


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


def evaluate(account_id: str, mode: str, history: AccountHistory, now: float,
             rules: SurgeRules, prior_week: float, name: str = "", explain: bool = False,
             ) -> Surge:
    """The account's daily trend or hourly spike as of ``now`` (event time); the reason is
    written for unusual readings, or always with ``explain``."""
    if mode == "daily":
        recent, expected, people, new, intent, spread, own = history.daily(now, rules,
                                                                          prior_week)
        enter, floor = rules.daily_enter, rules.daily_volume_floor
        span = rules.daily_window_hours * HOUR
    else:
        recent, expected, people, new, intent, spread, own = history.spike(now, rules,
                                                                          prior_week)
        enter, floor, span = rules.spike_enter, rules.spike_volume_floor, HOUR
    if own < rules.min_own_weeks:  # cold start: no idea yet what usual is; say so, stay quiet
        s = Surge(account_id, mode, "new", 50.0, 1.0, round(recent, 2), 0.0, int(people),
                  int(new), int(intent), now - span, now)
        return replace(s, reason=reason(s, name or account_id)) if explain else s
    multiple = (recent + 1.0) / (expected + 1.0)  # +1: no division by an empty baseline
    score = surge_score(multiple)
    status = "usual"
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


def median(values: list[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
