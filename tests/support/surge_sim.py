"""Simulated engagement with labelled surges, for measuring surge detection.

90 days of hourly traffic for a population of accounts of different sizes, with business
hours, quiet weekends, a two-day holiday dip for everyone, and per account either nothing
special, an injected surge (a step or a ramp for the daily trend, a one-hour burst of a
buying group for the spike mode), a cooling customer, or a decoy that must not alert:
weekly seasonality, noisy small accounts, one enthusiastic person, a crawler burst, an
account that only appears late, and (one in 25, on top) a big steady account with a week of
history: the cold start, bigger than its tier's usual level but as usual as ever for itself.
Seeded: the same seed gives the same traffic.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from streams.ingest.non_human import is_bot
from streams.ingest.scoring import ScoringRules, default_rules
from streams.surge.detection import AccountInfo
from streams.surge.model import DAY, HOUR, Touch

START = datetime(2026, 6, 1, tzinfo=UTC).timestamp()  # a Monday
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0"
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
PAGES = [("/blog/post", 0.40), ("/product", 0.28), ("/docs/start", 0.15), ("/pricing", 0.08),
         ("/demo", 0.02), ("/careers", 0.07)]
HOT_PAGES = [("/pricing", 0.35), ("/demo", 0.15), ("/product", 0.35), ("/docs/start", 0.15)]
CHANNELS = [("web_visit", 0.75), ("email_open", 0.20), ("ad_click", 0.05)]
WARMUP_DAYS = 35  # history before alerting starts: the baseline's 4 weeks and a window
HOLIDAY_DAYS = (59, 60)  # a Thursday and Friday
# Share of a weekday's traffic in each hour (UTC business hours) and per weekday.
HOUR_SHAPE = np.array([0.2] * 7 + [1, 2, 3, 3, 3, 2, 3, 3, 3, 2, 1] + [0.5] * 6)
HOUR_SHAPE = HOUR_SHAPE / HOUR_SHAPE.sum()
WEEKDAY = np.array([1.0, 1.0, 1.0, 1.0, 0.9, 0.12, 0.1])
SEASONAL_WEEKDAY = np.array([1.9, 1.3, 1.0, 0.6, 0.3, 0.05, 0.05])


@dataclass(frozen=True)
class Label:
    account_id: str
    shape: str  # step | ramp | burst | cooling
    mode: str  # the mode expected to catch it: daily | spike | cooling
    start: float
    end: float


@dataclass(frozen=True)
class SimEvent:
    account_id: str
    ts: float
    person: str
    type: str
    path: str
    user_agent: str = BROWSER


@dataclass
class Simulation:
    accounts: dict[str, AccountInfo]
    events: list[SimEvent]
    labels: list[Label]
    decoys: dict[str, str] = field(default_factory=dict)  # account -> decoy kind
    days: int = 90

    def touches(self, rules: ScoringRules | None = None) -> Iterator[tuple[str, Touch]]:
        """What the pipeline hands surge detection: human events, scored by the rules."""
        rules = rules or default_rules()
        for e in self.events:
            if is_bot(e.user_agent):
                continue  # the pipeline marks these non_human; detection never sees them
            url_class = rules.url_class(e.path) if e.type == "web_visit" else ""
            score = rules.score(e.type, url_class, self.accounts[e.account_id].tier, "")
            yield e.account_id, Touch(e.ts, score, e.person, url_class in ("pricing", "demo"))


def _pick(rng: np.random.Generator, options: list[tuple[str, float]], n: int) -> list[str]:
    names, weights = zip(*options, strict=True)
    return list(rng.choice(names, size=n, p=np.array(weights) / sum(weights)))


def simulate(n_accounts: int = 500, days: int = 90, seed: int = 7) -> Simulation:
    rng = np.random.default_rng(seed)
    accounts: dict[str, AccountInfo] = {}
    events: list[SimEvent] = []
    labels: list[Label] = []
    decoys: dict[str, str] = {}
    hours = days * 24
    day_of = np.arange(hours) // 24
    hour_of_day = np.arange(hours) % 24
    holiday = np.isin(day_of, HOLIDAY_DAYS)
    roles = rng.choice(["plain", "daily", "burst", "customer", "seasonal", "noisy", "solo",
                        "bot", "new"], size=n_accounts,
                       p=[0.38, 0.14, 0.08, 0.12, 0.06, 0.08, 0.05, 0.05, 0.04])
    # The cold-start decoys come on top, from a generator of their own, so the rest of the
    # population is the same traffic with or without them.
    cold_start_rng = np.random.default_rng(seed + 1_000_003)
    plan = [(i, str(roles[i]), rng) for i in range(n_accounts)] + [
        (n_accounts + j, "fresh_heavy", cold_start_rng) for j in range(max(1, n_accounts // 25))]
    for i, kind, rng in plan:  # noqa: B020 (each account draws from its own generator)
        aid = f"acc{i:04d}"
        role = str(rng.choice(["small", "medium", "large"], p=[0.4, 0.4, 0.2]))
        size = {"noisy": "small", "fresh_heavy": "large"}.get(kind, role)
        per_day = {"small": rng.uniform(0.6, 2.5), "medium": rng.uniform(3, 10),
                   "large": rng.uniform(12, 40)}[size]
        pool = {"small": 5, "medium": 20, "large": 60}[size]
        tier = {"small": "3", "medium": "2", "large": "1"}[size]
        accounts[aid] = AccountInfo(f"Company {i}", tier, customer=kind == "customer")
        weekday = SEASONAL_WEEKDAY if kind == "seasonal" else WEEKDAY
        rate = per_day * HOUR_SHAPE[hour_of_day] * weekday[(day_of % 7)] / WEEKDAY[:5].mean()
        rate = np.where(holiday, rate * 0.1, rate)
        if kind == "noisy":  # over-dispersed: some days far busier than others
            rate = rate * rng.gamma(0.6, 1 / 0.6, size=days)[day_of]
        if kind == "fresh_heavy":  # cold start: a big, steady account with a week of history
            begin = int(rng.integers(WARMUP_DAYS - 7, max(WARMUP_DAYS - 6, days - 21)))
            rate = np.where(day_of >= begin, rate * 1.5, 0.0)
            decoys[aid] = "fresh_heavy"
        elif kind == "new":
            begin = int(rng.integers(55, 75))
            rate = np.where(day_of >= begin, rate, 0.0)
            decoys[aid] = "new_account"
        elif kind in ("seasonal", "noisy", "solo", "bot"):
            decoys[aid] = kind
        extra = np.zeros(hours)
        if kind == "daily":
            start_day = int(rng.integers(38, days - 10))
            while start_day % 7 >= 5 or start_day in HOLIDAY_DAYS:  # buyers start on workdays
                start_day += 1
            shape = str(rng.choice(["step", "ramp"], p=[0.6, 0.4]))
            length = int(rng.integers(5, 12))
            lift = max(per_day * (rng.uniform(2.5, 6.0) - 1), 5.0)
            ramp = np.clip((day_of - start_day + 1) / 4, 0, 1) if shape == "ramp" else 1.0
            on = (day_of >= start_day) & (day_of < start_day + length)
            extra = np.where(on, lift * ramp * HOUR_SHAPE[hour_of_day] * 24 / 24, 0.0)
            extra = extra * WEEKDAY[day_of % 7] / WEEKDAY[:5].mean()
            labels.append(Label(aid, shape, "daily", START + start_day * DAY,
                                START + (start_day + length) * DAY))
        if kind == "customer" and rng.random() < 0.4 and size != "small":
            drop_day = int(rng.integers(50, 68))
            rate = np.where(day_of >= drop_day, rate * 0.2, rate)
            labels.append(Label(aid, "cooling", "cooling", START + drop_day * DAY,
                                START + days * DAY))
        counts = rng.poisson(rate)
        hot_counts = rng.poisson(extra)
        base_people = [f"{aid}-p{j}" for j in range(pool)]
        new_people = [f"{aid}-n{j}" for j in range(int(rng.integers(3, 8)))]
        people_w = 1 / np.arange(1, pool + 1)  # a few people do most of the visiting
        people_w = people_w / people_w.sum()
        for h in np.flatnonzero(counts):
            n = int(counts[h])
            who = rng.choice(base_people, size=n, p=people_w)
            for person, ch, page, off in zip(who, _pick(rng, CHANNELS, n), _pick(rng, PAGES, n),
                                             rng.uniform(0, HOUR, n), strict=True):
                events.append(SimEvent(aid, START + h * HOUR + off, str(person), ch, page))
        for h in np.flatnonzero(hot_counts):
            n = int(hot_counts[h])
            who = rng.choice(base_people[:5] + new_people, size=n)
            for person, page, off in zip(who, _pick(rng, HOT_PAGES, n), rng.uniform(0, HOUR, n),
                                         strict=True):
                events.append(SimEvent(aid, START + h * HOUR + off, str(person), "web_visit",
                                       page))
        if kind == "burst":  # a buying group lands in the same hour
            day = int(rng.integers(36, days - 3))
            while day % 7 >= 5 or day in HOLIDAY_DAYS:
                day += 1
            at = START + day * DAY + int(rng.integers(9, 17)) * HOUR + rng.uniform(0, 1800)
            group = new_people[: int(rng.integers(3, 7))] + base_people[:2]
            for person in group:
                for page, off in zip(_pick(rng, HOT_PAGES, int(rng.integers(2, 5))),
                                     rng.uniform(0, 1800, 5), strict=False):
                    events.append(SimEvent(aid, at + off, person, "web_visit", page))
            labels.append(Label(aid, "burst", "spike", at, at + HOUR))
        if kind == "solo":  # one enthusiastic person reads everything in an afternoon
            at = START + int(rng.integers(40, days - 2)) * DAY + 13 * HOUR
            for off in np.sort(rng.uniform(0, 4 * HOUR, int(rng.integers(20, 45)))):
                events.append(SimEvent(aid, at + off, base_people[0], "web_visit",
                                       _pick(rng, HOT_PAGES, 1)[0]))
        if kind == "bot":  # a crawler from the company's network
            at = START + int(rng.integers(40, days - 2)) * DAY + 2 * HOUR
            for j, off in enumerate(np.sort(rng.uniform(0, 2 * HOUR, 300))):
                events.append(SimEvent(aid, at + off, f"{aid}-bot{j % 7}", "web_visit",
                                       _pick(rng, PAGES, 1)[0], CRAWLER))
    events.sort(key=lambda e: (e.ts, e.account_id))
    return Simulation(accounts, events, labels, decoys, days)


@dataclass(frozen=True)
class ModeQuality:
    mode: str
    alerts: int
    true_alerts: int
    labelled: int
    detected: int
    delays_s: list[float]

    @property
    def precision(self) -> float:
        return self.true_alerts / self.alerts if self.alerts else 1.0

    @property
    def recall(self) -> float:
        return self.detected / self.labelled if self.labelled else 1.0

    @property
    def median_delay_s(self) -> float:
        d = sorted(self.delays_s)
        return d[len(d) // 2] if d else math.nan


GRACE = {"daily": 3 * DAY, "spike": HOUR, "cooling": 0.0}


def score_alerts(sim: Simulation, alerts: list[tuple[str, str, str, float]]) -> list[ModeQuality]:
    """Precision, recall and detection delay per mode for (account, mode, kind, detected_at)
    alerts. An alert is true if it falls in any labelled episode of its account (up to
    the mode's grace after it ends); a label is detected by an alert of its own mode."""
    by_account: dict[str, list[Label]] = {}
    for lb in sim.labels:
        by_account.setdefault(lb.account_id, []).append(lb)
    out = []
    for mode in ("daily", "spike", "cooling"):
        mine = [a for a in alerts if a[1] == mode]
        wanted = [lb for lb in sim.labels if lb.mode == mode]
        true = 0
        for account_id, _, _, at in mine:
            labelled = by_account.get(account_id, [])
            surges = [lb for lb in labelled if (lb.mode == "cooling") == (mode == "cooling")]
            if any(lb.start <= at <= lb.end + GRACE[mode] for lb in surges):
                true += 1
        delays = []
        for lb in wanted:
            hits = [at for a, m, kind, at in mine if a == lb.account_id and kind != "escalation"
                    and lb.start <= at <= lb.end + GRACE[mode]]
            if hits:
                delays.append(min(hits) - lb.start)
        out.append(ModeQuality(mode, len(mine), true, len(wanted), len(delays), delays))
    return out
