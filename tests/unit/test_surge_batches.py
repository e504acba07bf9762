"""The surge agent's batch step alerts exactly as one pass over the whole history does,
however the touches are cut into batches: the logic behind "a drained backlog alerts
like live traffic". The warehouse is replaced by an in-memory store with the same reads.
"""

import random
from bisect import bisect_left, bisect_right
from collections import defaultdict

import pytest

from streams.surge.agent import evaluate_batch
from streams.surge.detection import AccountInfo, Detector, detect_all, prior_days, tier_priors
from streams.surge.episodes import Alert, Episode, HygieneRules, restore
from streams.surge.model import DAY, SurgeRules, Touch
from tests.support.surge_sim import simulate


class MemoryStore:
    def __init__(self, touches: list[tuple[str, str, Touch]]) -> None:
        self.by_account: dict[str, list[tuple[float, str, Touch]]] = defaultdict(list)
        for a, e, t in touches:  # in event-time order
            self.by_account[a].append((t.ts, e, t))
        self.saved: dict[tuple[str, str], Episode] = {}
        self.alerts: dict[str, Alert] = {}  # stored before published, as the agent does

    def _range(self, account: str, start: float, end: float,
               inclusive: bool) -> list[tuple[float, str, Touch]]:
        rows = self.by_account[account]
        hi = bisect_right(rows, (end, "\uffff")) if inclusive else bisect_left(rows, (end,))
        return rows[bisect_left(rows, (start,)):hi]

    def prime(self, detector: Detector, accounts: list[str], start: float,
              raw_from: float) -> None:
        for a in accounts:
            hours: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
            for ts, _, t in self._range(a, start, raw_from, inclusive=False):
                h = hours[int(ts // 3600)]
                h[0] += t.score
                h[1] += t.score * t.score
                h[2] += t.high_intent
                detector.histories[a].add_person(t.person, ts, ts)
            for hour, (score, sq, intent) in hours.items():
                detector.histories[a].add_hours(hour, score, sq, int(intent))

    def touches(self, accounts: list[str], start: float,
                end: float) -> list[tuple[str, str, Touch]]:
        rows = [(ts, e, a, t) for a in accounts
                for ts, e, t in self._range(a, start, end, inclusive=True)]
        return [(a, e, t) for _, e, a, t in sorted(rows, key=lambda r: (r[0], r[1]))]

    def episodes(self, accounts: list[str]) -> list[Episode]:
        return [e for (a, _), e in self.saved.items() if a in accounts]

    def save_alerts(self, alerts: list[Alert]) -> None:
        self.alerts.update({a.alert_id: a for a in alerts})

    def state(self, accounts: list[str]) -> tuple[list[Episode], list[Alert]]:
        saved = {(e.account_id, e.mode): e for e in self.episodes(accounts)}
        latest: dict[tuple[str, str], Alert] = {}
        for a in self.alerts.values():
            key = (a.surge.account_id, a.surge.mode)
            if a.surge.account_id in accounts and (
                    key not in latest or (a.detected_at, a.level) > (latest[key].detected_at,
                                                                     latest[key].level)):
                latest[key] = a
        resend = []
        for key, a in latest.items():
            restored = restore(saved.get(key), key[0], key[1], a.detected_at,
                               a.episode_started_at, a.surge.score, a.level)
            if restored is not saved.get(key):
                saved[key] = restored
                resend.append(a)
        return list(saved.values()), resend


@pytest.fixture(scope="module")
def history():
    sim = simulate(n_accounts=30, days=60, seed=5)
    touches = [(a, f"e{i:06d}", t) for i, (a, t) in enumerate(sim.touches())]
    one_pass = {a.alert_id for a in detect_all(((a, t) for a, _, t in touches), sim.accounts)}
    return sim.accounts, touches, one_pass


def priors_from(accounts: dict[str, AccountInfo], touches: list[tuple[str, str, Touch]]):
    first = int(touches[0][2].ts // DAY)

    def priors_for(day: int) -> dict[str, float]:
        days = prior_days(day, first)
        if not days:
            return {}
        weeks: dict[str, float] = defaultdict(float)
        for a, _, t in touches:
            if (day - days) * DAY <= t.ts < day * DAY:
                weeks[a] += t.score * 7 / days
        return tier_priors(accounts, weeks)

    return priors_for


@pytest.mark.parametrize("cut", ["small batches", "random batches", "days at a time"])
def test_batches_alert_like_one_pass(history, cut):
    accounts, touches, expected = history
    rules, hygiene = SurgeRules(), HygieneRules.default()
    assert len(expected) >= 5

    store = MemoryStore(touches)
    priors = priors_from(accounts, touches)
    rng = random.Random(1)
    batches: list[list[tuple[str, str, Touch]]] = []
    i = 0
    while i < len(touches):
        if cut == "small batches":
            n = 60
        elif cut == "random batches":
            n = rng.randint(1, 400)
        else:
            day = int(touches[i][2].ts // DAY)
            n = sum(1 for _, _, t in touches[i:] if int(t.ts // DAY) == day)
        batches.append(touches[i:i + n])
        i += n
    customers = [a for a, info in accounts.items() if info.customer]
    got: set[str] = set()
    day = None
    for batch in batches:
        bodies: dict[str, dict] = {}
        for a, e, t in batch:
            today = int(t.ts // DAY)
            if day is not None and today > day:  # the watermark passed midnight
                for d in range(day + 1, today + 1):
                    for c in customers:
                        bodies.setdefault(f"tick{d}{c}", {"account_id": c, "tick": d * DAY * 1000})
            day = today
            bodies.setdefault(a, {"account_id": a, "touches": []})["touches"].append(
                [t.ts * 1000, e])
        raised, episodes, _ = evaluate_batch(store, accounts, rules, hygiene, priors,
                                             list(bodies.values()))
        got |= {r.alert_id for r in raised}
        store.saved.update({(e.account_id, e.mode): e for e in episodes})
    assert got == expected
