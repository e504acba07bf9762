"""Surge detection over a stream of touches: histories, episodes, alerts. Pure.

The same ``Detector`` runs inside the surge agent (primed from the warehouse for the
accounts of each batch) and in the evaluation over simulated traffic, so the measured
precision and recall are those of the code that alerts reps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from streams.surge.episodes import Alert, Episode, HygieneRules, decide, is_late
from streams.surge.history import AccountHistory
from streams.surge.model import DAY, LOOKBACK_DAYS, Mode, Surge, SurgeRules, Touch, median
from streams.surge.readings import evaluate, evaluate_cooling

MODES: tuple[Mode, ...] = ("daily", "spike")


@dataclass(frozen=True)
class AccountInfo:
    name: str = ""
    tier: str = ""
    customer: bool = False
    owner_email: str = ""


def prior_days(day: int, first_day: int | None) -> int:
    """Days of history tier priors are taken over: up to 28, and none before a week of
    history exists (a fresh deployment has no idea what usual is, so it stays quiet)."""
    covered = min(28, day - first_day) if first_day is not None else 0
    return covered if covered >= 7 else 0


def tier_priors(accounts: Mapping[str, AccountInfo],
                week_scores: Mapping[str, float]) -> dict[str, float]:
    """Tier -> median weekly score of its accounts (quiet ones count as 0): the usual
    level a new account is expected to have."""
    by_tier: dict[str, list[float]] = defaultdict(list)
    for account_id, info in accounts.items():
        by_tier[info.tier].append(week_scores.get(account_id, 0.0))
    return {tier: median(values) for tier, values in by_tier.items()}


PriorsFor = Callable[[int], Mapping[str, float]]  # day number -> tier -> weekly prior


class Detector:
    def __init__(self, accounts: Mapping[str, AccountInfo], rules: SurgeRules | None = None,
                 hygiene: HygieneRules | None = None, priors_for: PriorsFor | None = None,
                 episodes: Iterable[Episode] = ()) -> None:
        self.accounts = accounts
        self.rules = rules or SurgeRules()
        self.hygiene = hygiene or HygieneRules.default()
        self.histories: dict[str, AccountHistory] = defaultdict(AccountHistory)
        self.episodes: dict[tuple[str, str], Episode] = {(e.account_id, e.mode): e
                                                         for e in episodes}
        self.changed: set[tuple[str, str]] = set()  # episodes to persist
        self._priors_for = priors_for or self._own_priors
        self._priors: tuple[int, Mapping[str, float]] = (-1, {})
        self.first_day: int | None = None  # of the history seen (own priors)

    def _own_priors(self, day: int) -> Mapping[str, float]:
        days = prior_days(day, self.first_day)
        if not days:
            return {}
        return tier_priors(self.accounts, {a: h.week_score(day, days)
                                           for a, h in self.histories.items()})

    def prior(self, account_id: str, now: float) -> float:
        day = int(now // DAY)
        if self._priors[0] != day:
            self._priors = (day, self._priors_for(day))
        return self._priors[1].get(self.info(account_id).tier, 0.0)

    def info(self, account_id: str) -> AccountInfo:
        return self.accounts.get(account_id) or AccountInfo(account_id)

    def observe(self, account_id: str, touch: Touch, alert: bool = True) -> list[Alert]:
        """Add a touch; with ``alert``, evaluate both modes as of its time."""
        history = self.histories[account_id]
        history.add(touch)
        if self.first_day is None:
            self.first_day = int(touch.ts // DAY)
        if not alert:
            return []
        out = []
        prior = self.prior(account_id, touch.ts)
        name = self.info(account_id).name
        for mode in MODES:
            if is_late(self.episode(account_id, mode), touch.ts):
                continue
            surge = evaluate(account_id, mode, history, touch.ts, self.rules, prior, name)
            raised = self._decide(account_id, mode, surge, touch.ts)
            if raised:
                out.append(raised)
        return out

    def close_day(self, account_id: str, day_start: float) -> list[Alert]:
        """Cooling, for customers, as of midnight ``day_start`` (event time)."""
        info = self.info(account_id)
        if not info.customer:
            return []
        if is_late(self.episode(account_id, "cooling"), day_start):
            return []
        surge = evaluate_cooling(account_id, self.histories[account_id], day_start,
                                 self.rules, info.name)
        if surge is None:
            return []
        raised = self._decide(account_id, "cooling", surge, day_start)
        return [raised] if raised else []

    def episode(self, account_id: str, mode: str) -> Episode:
        return self.episodes.get((account_id, mode)) or Episode(account_id, mode)

    def _decide(self, account_id: str, mode: str, surge: Surge, now: float) -> Alert | None:
        key = (account_id, mode)
        before = self.episode(account_id, mode)
        after, raised = decide(before, surge, now, self.rules, self.hygiene)
        if after != before:
            self.episodes[key] = after
            self.changed.add(key)
        return raised

    def forget_old(self, now: float) -> None:
        for history in self.histories.values():
            history.forget_before(now - (LOOKBACK_DAYS + 1) * DAY)


def detect_all(touches: Iterable[tuple[str, Touch]], accounts: Mapping[str, AccountInfo],
               rules: SurgeRules | None = None, hygiene: HygieneRules | None = None,
               alert_from: float = 0.0) -> list[Alert]:
    """Every alert over a whole history of touches in event-time order; cooling is read at
    each midnight the stream passes. Touches before ``alert_from`` are history only (a
    deployment starts with its warehouse's past, not from nothing)."""
    detector = Detector(accounts, rules, hygiene)
    customers = [a for a, info in accounts.items() if info.customer]
    alerts: list[Alert] = []
    day = None
    for account_id, touch in touches:
        today = int(touch.ts // DAY)
        live = touch.ts >= alert_from
        if day is not None and today > day and live:
            for d in range(day + 1, today + 1):
                for c in customers:
                    alerts += detector.close_day(c, d * DAY)
            if today % 7 == 0:
                detector.forget_old(touch.ts)
        day = today
        alerts += detector.observe(account_id, touch, alert=live)
    return alerts
