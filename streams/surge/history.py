"""What one account did, hour by hour: the history a surge reading is taken from.

Fed in event-time order (late touches are counted where they belong). Each measure is
cached per hour, so reading at every touch costs O(1) within an hour:

- ``_Window``: the daily window's totals before the current hour, and its people;
- ``_Baseline``: the same window's totals in each of the weeks before, their spread, and
  when the account was first active;
- ``_Noise``: the sums behind the account's noise unit over the 28 days before.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

from streams.surge.model import DAY, HOUR, LOOKBACK_DAYS, NOISE_DAYS, WEEK_HOURS, SurgeRules, Touch


class Reading(NamedTuple):
    """A window of an account's history against its usual level."""

    recent: float  # score in the window
    expected: float  # the usual score of such a window (0: too new to tell)
    people: int
    new_people: int
    high_intent: int  # pricing and demo page visits
    spread: float  # week-to-week variance of the window's totals
    own_weeks: int  # weeks of the account's own history behind ``expected``


class CoolingReading(NamedTuple):
    recent: float
    expected: float
    people: int
    unit: float  # the noise unit (see ``AccountHistory.unit``)


@dataclass(slots=True)
class _Window:
    hour: int
    span: int
    recent_before: float  # score in the window's hours before ``hour``
    intent_before: int
    people: int  # people active in the window (updated as touches of ``hour`` arrive)
    new_people: int  # of whom first seen in it


@dataclass(frozen=True, slots=True)
class _Baseline:
    hour: int
    span: int
    totals: list[float]  # one per earlier week the account was already active in
    spread: float
    first_active: int  # hour


@dataclass(frozen=True, slots=True)
class _Noise:
    day: int
    total: float  # score over the NOISE_DAYS before ``day``
    squares: float  # sum of squared touch scores over the same days


class AccountHistory:
    """One account's hourly engagement, its people and its latest touches."""

    __slots__ = ("hours", "active", "intent", "days", "days_sq", "people", "window", "_window",
                 "_baseline", "_noise")

    def __init__(self) -> None:
        self.hours: dict[int, float] = {}
        self.active: list[int] = []  # the hours with engagement, ascending
        self.intent: dict[int, int] = {}
        self.days: dict[int, float] = {}  # day number -> score (tier priors)
        self.days_sq: dict[int, float] = {}  # day number -> sum of squared scores (noise)
        self.people: dict[str, list[float]] = {}  # person -> [first seen, last seen]
        self.window: deque[Touch] = deque()  # the touches of the last week, in order
        self._window: _Window | None = None
        self._baseline: _Baseline | None = None
        self._noise: _Noise | None = None

    def _forget_caches(self) -> None:
        self._window = self._baseline = self._noise = None

    def add_hours(self, hour: int, score: float, score_sq: float, high_intent: int) -> None:
        """Aggregated history (as read back from the warehouse)."""
        self.days_sq[hour // 24] = self.days_sq.get(hour // 24, 0.0) + score_sq
        if hour not in self.hours and score > 0:
            insort(self.active, hour)
        self.hours[hour] = self.hours.get(hour, 0.0) + score
        self.intent[hour] = self.intent.get(hour, 0) + high_intent
        self.days[hour // 24] = self.days.get(hour // 24, 0.0) + score
        self._forget_caches()

    def add_person(self, person: str, first: float, last: float) -> None:
        seen = self.people.get(person)
        if seen is None:
            self.people[person] = [first, last]
        else:
            seen[0], seen[1] = min(seen[0], first), max(seen[1], last)
        self._window = None

    def add(self, t: Touch) -> None:
        h = int(t.ts // HOUR)
        w = self._window
        if (w is not None and h < w.hour) or (self._baseline and h < self._baseline.hour):
            self._window = w = None  # a late touch changes cached hours
            self._baseline = None
        if self._noise is not None and h // 24 < self._noise.day:
            self._noise = None
        seen = self.people.get(t.person)
        if w is not None and h == w.hour:
            window_start = (h - w.span + 1) * HOUR
            if seen is None or seen[1] < window_start:
                w.people += 1
            if seen is None:
                w.new_people += 1
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
        if noise is None or noise.day != day:
            before = range(day - NOISE_DAYS, day)
            noise = self._noise = _Noise(day, sum(self.days.get(d, 0.0) for d in before),
                                         sum(self.days_sq.get(d, 0.0) for d in before))
        total = noise.total + self.days.get(day, 0.0)
        squares = noise.squares + self.days_sq.get(day, 0.0)
        return squares / total if total > 0 else 1.0

    def first_active(self, h: int) -> int:
        """The first active hour within the look-back before hour ``h`` (``h`` if none)."""
        cached = self._baseline
        if cached is not None and cached.hour == h:
            return cached.first_active
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

    def daily(self, now: float, rules: SurgeRules, prior_week: float) -> Reading:
        """The daily window to ``now`` against the same hours of the weeks before."""
        h = int(now // HOUR)
        span = rules.daily_window_hours
        w = self._window
        if w is None or w.hour != h or w.span != span:
            w = self._window = self._new_window(h, span)
        b = self._baseline
        if b is None or b.hour != h or b.span != span:
            first = self.first_active(h)
            totals = baseline(self, h, span, rules.baseline_weeks, first)
            b = self._baseline = _Baseline(h, span, totals, variance(totals), first)
        return Reading(w.recent_before + self.hours.get(h, 0.0),
                       expected(b.totals, prior_week * span / WEEK_HOURS, rules), w.people,
                       w.new_people, w.intent_before + self.intent.get(h, 0), b.spread,
                       len(b.totals))

    def _new_window(self, h: int, span: int) -> _Window:
        lo = h - span + 1
        hours, intents = self.hours.get, self.intent.get
        start = lo * HOUR
        return _Window(h, span, sum(hours(x, 0.0) for x in range(lo, h)),
                       sum(intents(x, 0) for x in range(lo, h)),
                       sum(1 for _, last in self.people.values() if last >= start),
                       sum(1 for first, _ in self.people.values() if first >= start))

    def spike(self, now: float, rules: SurgeRules, prior_week: float) -> Reading:
        """The 60 minutes to ``now`` against the same 60 minutes of the weeks before."""
        touches = self.touches_since(now - HOUR, now)
        persons = {t.person for t in touches}
        h = int(now // HOUR)
        frac = (now % HOUR) / HOUR  # the window covers this much of hour h, the rest of h-1
        first = self.first_active(h)
        weeks = [self.hours.get(e, 0.0) * frac + self.hours.get(e - 1, 0.0) * (1 - frac)
                 for e in (h - WEEK_HOURS * w for w in range(1, rules.baseline_weeks + 1))
                 if e - 1 >= first]
        return Reading(sum(t.score for t in touches),
                       expected(weeks, prior_week / rules.working_hours_week, rules),
                       len(persons), sum(1 for p in persons if self.people[p][0] > now - HOUR),
                       sum(1 for t in touches if t.high_intent), variance(weeks), len(weeks))

    def cooling(self, day_start: float, rules: SurgeRules, days: int) -> CoolingReading | None:
        """The ``days`` ending at ``day_start`` against the weeks before; None while the
        account lacks the full baseline."""
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
        return CoolingReading(recent, base * span / base_span, people, self.unit(day_start))

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
        self._forget_caches()


def baseline(history: AccountHistory, h: int, span: int, weeks: int, first: int) -> list[float]:
    """Totals of the same ``span`` hours in each of the weeks before; a week counts only
    if the account was already active when its window began (a new account has no usual
    level yet)."""
    get = history.hours.get
    return [sum(get(x, 0.0) for x in range(h - WEEK_HOURS * w - span + 1, h - WEEK_HOURS * w + 1))
            for w in range(1, weeks + 1) if h - WEEK_HOURS * w - span + 1 >= first]


def expected(weeks: list[float], prior: float, rules: SurgeRules) -> float:
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


def variance(weeks: list[float]) -> float:
    n = len(weeks)
    if n < 2:
        return 0.0
    mean = sum(weeks) / n
    return sum((w - mean) ** 2 for w in weeks) / (n - 1)
