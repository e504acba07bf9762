"""``pulse surging``: which accounts are surging or cooling, and why.

Two views: the alerts the surge agent raised in a recent period (what reps were told),
and an on-the-spot reading of every account at a moment from the landed history, with
the same model and rules the agent uses (useful before any alert, or after changing the
rules).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from infra import query
from services.warehouse import Warehouse
from streams.surge.detection import AccountInfo, Detector
from streams.surge.model import DAY, HOUR, LOOKBACK_DAYS, Surge, SurgeRules
from streams.surge.readings import evaluate, evaluate_cooling
from streams.surge.store import AlertStore


@dataclass(frozen=True)
class AlertRow:
    account_id: str
    name: str
    kind: str
    mode: str
    detected_at: datetime
    score: float
    multiple: float
    people: int
    reason: str
    open: bool  # the episode is still going


def parse_duration(text: str) -> timedelta:
    """'90m', '36h', '7d', '2w' -> timedelta."""
    units = {"m": 60, "h": HOUR, "d": DAY, "w": 7 * DAY}
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in units or not text[:-1].replace(".", "", 1).isdigit():
        raise ValueError(f"{text!r} is not a duration like 90m, 36h, 7d or 2w")
    return timedelta(seconds=float(text[:-1]) * units[text[-1]])


def recent_alerts(warehouse: Warehouse, since: datetime) -> list[AlertRow]:
    rows = warehouse.query_params(query("surging_alerts"),
                                  {"since": since})
    return [AlertRow(str(a), str(n), str(k), str(m), t, float(sc), float(x), int(p), str(r),
                     bool(o)) for a, n, k, m, t, sc, x, p, r, o in rows]


def account_infos(warehouse: Warehouse) -> dict[str, AccountInfo]:
    return {a: AccountInfo(n, t, bool(c), o) for a, n, t, c, o in warehouse.query(
        "SELECT account_id, name, tier, customer, owner_email FROM abm.accounts FINAL").rows}


def read_all(warehouse: Warehouse, at: datetime, rules: SurgeRules | None = None) -> list[Surge]:
    """Every account with recent engagement, read as of ``at``: its daily trend, its spike
    and (customers) cooling; the strongest signal first."""
    rules = rules or SurgeRules()
    store = AlertStore(query=warehouse.query_params)
    infos = account_infos(warehouse)
    now = at.timestamp()
    raw_from = (int((now - rules.daily_window_hours * HOUR) // HOUR) - 1) * HOUR
    accounts = sorted({r[0] for r in warehouse.query_params(
        "SELECT DISTINCT account_id FROM abm.events WHERE account_id != '' "
        "AND ts >= {start:DateTime64(3, 'UTC')} AND ts <= {end:DateTime64(3, 'UTC')}",
        {"start": at - timedelta(days=LOOKBACK_DAYS), "end": at})})
    if not accounts:
        return []
    day = int(now // DAY)
    priors = store.tier_priors(infos, day)
    detector = Detector(infos, rules, priors_for=lambda _: priors)
    store.prime(detector, accounts, raw_from - LOOKBACK_DAYS * DAY, raw_from)
    for account_id, _, touch in store.touches(accounts, raw_from, now):
        detector.observe(account_id, touch, alert=False)
    out = []
    for account_id in accounts:
        info = detector.info(account_id)
        history = detector.histories[account_id]
        prior = priors.get(info.tier, 0.0)
        readings = [evaluate(account_id, mode, history, now, rules, prior, info.name, True)
                    for mode in ("daily", "spike")]
        if info.customer:
            cooling = evaluate_cooling(account_id, history, now, rules, info.name)
            if cooling is not None:
                readings.append(cooling)
        rank = {"surging": 2, "cooling": 2, "too_small": 1}
        out.append(max(readings, key=lambda r: (rank.get(r.status, 0), r.mode == "daily")))
    return sorted(out, key=lambda s: -abs(s.score - 50))
