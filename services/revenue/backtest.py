"""Are surge alerts followed by opportunities more often than silence is?

- **Unit**: an account-day of the window on which the account has no open opportunity (one
  created on an earlier day and not closed before that day; a closed one without a close
  date closes on the day it was created).
- **Alerted unit**: a surge or spike alert was raised on the account that day.
- **Conversion**: an opportunity on the account is created on that day or within the
  ``horizon - 1`` days after it.
- ``lift``: conversion rate of alerted units over that of the others, with a 95% interval
  (Katz's log method for a ratio of two proportions; when a cell of the 2×2 table is 0,
  as when every alerted unit converted, 0.5 is added to each cell, the Haldane-Anscombe
  correction, so one lucky alert gets a wide interval rather than none or a narrow one).
- ``precision``: the share of alerts followed by an opportunity on the account within the
  horizon (created after the alert, at most ``horizon`` days later).
- ``recall``: the share of opportunities created in the window that had an alert on their
  account within the horizon before them; ``median_lead_days``: the median time from the
  first such alert to the opportunity.

Only what was known at each moment counts: alerts as raised, opportunities by their
creation time. Days are UTC days. Intervals of days, never day-by-day loops, so a year of
100,000 accounts is counted in about a second.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Alert:
    account_id: str
    detected_at: datetime


@dataclass(frozen=True, slots=True)
class Opportunity:
    account_id: str
    created_at: datetime
    close_date: date | None
    is_closed: bool


@dataclass(frozen=True)
class Result:
    horizon_days: int
    accounts: int
    units: int
    alerted_units: int
    converted_alerted: int
    converted_not_alerted: int
    alerts: int
    alerted_accounts: int
    opportunities: int
    alerts_followed: int
    opportunities_preceded: int
    median_lead_days: float | None

    @property
    def opportunity_rate_alerted(self) -> float | None:
        return _rate(self.converted_alerted, self.alerted_units)

    @property
    def opportunity_rate_not_alerted(self) -> float | None:
        return _rate(self.converted_not_alerted, self.units - self.alerted_units)

    @property
    def lift(self) -> float | None:
        a, b = self.opportunity_rate_alerted, self.opportunity_rate_not_alerted
        return a / b if a is not None and b else None

    @property
    def lift_ci95(self) -> tuple[float, float] | None:
        a, n1 = float(self.converted_alerted), float(self.alerted_units)
        c, n2 = float(self.converted_not_alerted), float(self.units - self.alerted_units)
        if not (n1 and n2):
            return None
        if 0 in (a, n1 - a, c, n2 - c):
            a, n1, c, n2 = a + 0.5, n1 + 1, c + 0.5, n2 + 1
        se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
        ratio = (a / n1) / (c / n2)
        return ratio * math.exp(-Z95 * se), ratio * math.exp(Z95 * se)

    @property
    def precision(self) -> float | None:
        return _rate(self.alerts_followed, self.alerts)

    @property
    def recall(self) -> float | None:
        return _rate(self.opportunities_preceded, self.opportunities)

    def as_json(self) -> dict[str, object]:
        ci = self.lift_ci95
        return {"horizon_days": self.horizon_days, "accounts": self.accounts,
                "units": self.units, "alerted_units": self.alerted_units,
                "alerts": self.alerts, "alerted_accounts": self.alerted_accounts,
                "opportunities": self.opportunities, "precision": self.precision,
                "recall": self.recall,
                "opportunity_rate_alerted": self.opportunity_rate_alerted,
                "opportunity_rate_not_alerted": self.opportunity_rate_not_alerted,
                "lift": self.lift, "lift_ci95": list(ci) if ci else None,
                "median_lead_days": self.median_lead_days}


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Half-open day spans [a, b) merged."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _length(spans: list[tuple[int, int]]) -> int:
    return sum(b - a for a, b in spans)


def _inside(day: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= day < b for a, b in spans)


def _minus(spans: list[tuple[int, int]], cut: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for a, b in spans:
        pieces = [(a, b)]
        for c, d in cut:
            pieces = [p for x, y in pieces for p in ((x, min(y, c)), (max(x, d), y))
                      if p[1] > p[0]]
        out += pieces
    return out


def run(accounts: Iterable[str], alerts: Iterable[Alert], opportunities: Iterable[Opportunity],
        since: date, until: date, horizon_days: int) -> Result:
    """The backtest over the days [since, until)."""
    start, end = since.toordinal(), until.toordinal()
    accounts = set(accounts)
    window = [(start, end)]
    opps: dict[str, list[Opportunity]] = {}
    for o in opportunities:
        if o.account_id in accounts:
            opps.setdefault(o.account_id, []).append(o)
    raised: dict[str, list[Alert]] = {}  # in the window
    earlier: dict[str, list[datetime]] = {}  # any time: recall looks back from each opportunity
    for a in alerts:
        if a.account_id in accounts:
            earlier.setdefault(a.account_id, []).append(a.detected_at)
            if start <= a.detected_at.date().toordinal() < end:
                raised.setdefault(a.account_id, []).append(a)
    span = max(end - start, 0)
    units = span * len(accounts)
    alerted_units = converted_alerted = converted_not_alerted = 0
    for account in set(opps) | set(raised):
        mine = opps.get(account, [])
        open_ = _union([(o.created_at.date().toordinal() + 1, _closes(o) + 1) for o in mine])
        free = _minus(window, open_)
        units -= span - _length(free)
        converting = _union([(o.created_at.date().toordinal() - horizon_days + 1,
                              o.created_at.date().toordinal() + 1) for o in mine])
        converted = _length(_minus(free, _minus(free, converting)))
        days = {a.detected_at.date().toordinal() for a in raised.get(account, [])}
        alerted = [d for d in days if _inside(d, free)]
        alerted_units += len(alerted)
        hits = sum(1 for d in alerted if _inside(d, converting))
        converted_alerted += hits
        converted_not_alerted += converted - hits
    horizon = timedelta(days=horizon_days)
    every_alert = [a for xs in raised.values() for a in xs]
    followed = sum(1 for a in every_alert if any(
        a.detected_at < o.created_at <= a.detected_at + horizon
        for o in opps.get(a.account_id, ())))
    in_window = [o for xs in opps.values() for o in xs
                 if start <= o.created_at.date().toordinal() < end]
    leads = []
    for o in in_window:
        before = [t for t in earlier.get(o.account_id, ())
                  if o.created_at - horizon <= t < o.created_at]
        if before:
            leads.append((o.created_at - min(before)).total_seconds() / 86400)
    return Result(horizon_days, len(accounts), units, alerted_units, converted_alerted,
                  converted_not_alerted, len(every_alert), len(raised), len(in_window),
                  followed, len(leads), round(statistics.median(leads), 1) if leads else None)


def _closes(o: Opportunity) -> int:
    """The last day an opportunity is open: never closed, or its close day."""
    if not o.is_closed:
        return date.max.toordinal()
    closes = o.close_date or o.created_at.date()
    return max(closes.toordinal(), o.created_at.date().toordinal())
