"""``pulse surging``: the daily-trend surge of every account, as of a day, from ClickHouse."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from services.warehouse import CLICKHOUSE_DIR, Warehouse
from streams.surge import DailyActivity, Surge, SurgeRules, daily_trend, tier_priors

QUERIES = CLICKHOUSE_DIR / "queries"


def current_surges(warehouse: Warehouse, today: date,
                   rules: SurgeRules | None = None) -> list[Surge]:
    rules = rules or SurgeRules()
    end = datetime.combine(today + timedelta(days=1), time(), UTC)
    recent_start = end - timedelta(days=rules.recent_days)
    start = recent_start - timedelta(weeks=rules.baseline_weeks)
    rows = warehouse.query_params((QUERIES / "surge_inputs.sql").read_text(),
                                  {"start": start, "end": end})
    days: dict[str, dict[date, DailyActivity]] = defaultdict(dict)
    for account_id, day, score, people, high_intent in rows:
        d = day if isinstance(day, date) else date.fromisoformat(str(day))
        days[account_id][d] = DailyActivity(float(score), int(people), int(high_intent))
    people = {a: (int(p), int(n)) for a, p, n in warehouse.query_params(
        (QUERIES / "surge_people.sql").read_text(), {"recent_start": recent_start, "end": end})}
    accounts = {a: (n, t) for a, n, t in warehouse.query(
        "SELECT account_id, name, tier FROM abm.accounts FINAL").rows}
    weekly: dict[str, list[float]] = defaultdict(list)
    for account_id, (_, tier) in accounts.items():
        baseline = sum(a.score for d, a in days.get(account_id, {}).items()
                       if d < recent_start.date())
        weekly[tier].append(baseline / rules.baseline_weeks)
    priors = tier_priors(weekly)
    out = []
    for account_id, series in days.items():
        name, tier = accounts.get(account_id, (account_id, ""))
        p, new = people.get(account_id, (0, 0))
        out.append(daily_trend(account_id, series, today, p, new, priors.get(tier, 0.0),
                               rules, name))
    return sorted(out, key=lambda s: -s.score)
