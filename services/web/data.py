"""What each page shows, read from ClickHouse: one function per page part, each running one
query file (``infra/clickhouse/queries/web_*.sql``) with bound parameters. Pure shaping
(sparklines, shares, evidence) is kept apart from the reading so it can be tested alone."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from infra import query
from services.revenue import backtest, influence, reports
from streams.alerts.contacts import CONTACTS_SQL, known_contacts, with_names
from streams.ingest.scoring import ScoringRules, default_rules
from streams.stages.rules import STAGES

Row = dict[str, Any]
Reader = Callable[[str, dict[str, Any]], list[Row]]  # (SQL, parameters) -> rows

PAGE_SIZE = 50
CHANNELS = ("web", "email", "ad")


def run(read: Reader, name: str, **parameters: Any) -> list[Row]:
    return read(query(name), parameters)


# A page's independent queries run side by side: each is a range read or a small table,
# and together they would otherwise add up.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pulse-web-query")


def run_all(read: Reader, queries: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, list[Row]]:
    """{key: (query name, parameters)} -> {key: rows}, the queries run concurrently."""
    futures = {k: _POOL.submit(read, query(name), params)
               for k, (name, params) in queries.items()}
    return {k: f.result() for k, f in futures.items()}


@dataclass(frozen=True)
class AccountFilters:
    q: str = ""
    tier: str = ""
    owner: str = ""
    status: str = ""  # '' | surging | cooling
    customers: bool = False
    grade: str = ""  # '' any, '-' not scored
    stage: str = ""
    page: int = 1

    @property
    def active(self) -> bool:
        return bool(self.q or self.tier or self.owner or self.status or self.customers
                    or self.grade or self.stage)


@dataclass(frozen=True)
class Matrix:
    """Accounts by fit grade (columns; '-' not scored) and journey stage (rows, top first)."""

    grades: list[str]
    stages: list[str]
    counts: dict[tuple[str, str], int]

    def total(self, grade: str | None = None, stage: str | None = None) -> int:
        return sum(n for (g, s), n in self.counts.items()
                   if grade in (None, g) and stage in (None, s))


@dataclass(frozen=True)
class Listing:
    rows: list[Row]
    total: int
    page: int
    pages: int


def sparkline(points: Sequence[tuple[date, float]], today: date, days: int = 30) -> list[float]:
    """One value per day, oldest first, ending today (days without engagement are 0)."""
    by_day = dict(points)
    return [float(by_day.get(today - timedelta(days=days - 1 - i), 0.0)) for i in range(days)]


def paged(read: Reader, name: str, page: int, **parameters: Any) -> Listing:
    """One page of a listing query (its rows carry ``total``). A page past the last one
    (an old link, a hand-typed number) shows the last page, never "nothing here"."""
    page = max(page, 1)

    def rows_of(p: int) -> list[Row]:
        return run(read, name, **parameters, limit=PAGE_SIZE, offset=(p - 1) * PAGE_SIZE)

    rows = rows_of(page)
    if not rows and page > 1:
        first = run(read, name, **parameters, limit=1, offset=0)
        page = max(1, -(-int(first[0]["total"]) // PAGE_SIZE)) if first else 1
        rows = rows_of(page) if first else []
    total = int(rows[0]["total"]) if rows else 0
    return Listing(rows, total, page, max(1, -(-total // PAGE_SIZE)))


def accounts_page(read: Reader, f: AccountFilters, today: date, stages: str = "") -> Listing:
    listing = paged(read, "web_accounts", f.page, today=today, q=f.q, tier=f.tier,
                    owner=f.owner, status=f.status, customers=int(f.customers),
                    grade=f.grade, stage=f.stage, stages=stages)
    rows = listing.rows
    ids = [r["account_id"] for r in rows]
    trends: dict[str, list[tuple[date, float]]] = {}
    if ids:
        for t in run(read, "web_account_trends", accounts=ids, today=today):
            trends.setdefault(t["account_id"], []).append((t["day"], t["score"]))
    for r in rows:
        r["trend"] = sparkline(trends.get(r["account_id"], []), today)
    return listing


def fit_matrix(read: Reader, stages: str) -> Matrix:
    counts = {(r["grade"] or "-", r["stage"]): int(r["accounts"])
              for r in run(read, "web_fit_matrix", stages=stages)}
    grades = sorted({g for g, _ in counts if g != "-"})
    return Matrix(grades + (["-"] if any(g == "-" for g, _ in counts) else []),
                  list(reversed(STAGES)), counts)


@dataclass(frozen=True)
class ProgramView:
    assignment: Any  # experiment.InForce | None
    lift: dict[str, Any] | None
    lift_rows: tuple[list[str], list[list[str]]] | None
    coverage: list[Row]
    stages: dict[str, Any]  # chart data: x (week ends) and a series per stage
    error: str = ""


def program_page(read: Reader, stages: str, now: datetime, horizon_days: int = 90
                 ) -> ProgramView:
    """Lift of the control group in force over its first ``horizon_days``, coverage per arm
    and stage counts at the last 12 week ends."""
    from services.targeting import experiment
    from services.targeting.lift import lift, table

    def tuples(sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [tuple(r.values()) for r in read(sql, parameters)]

    current = experiment.in_force(tuples)
    result, rows, error = None, None, ""
    if current is not None:
        since = current.assigned_at
        try:
            outcomes, currency = experiment.outcomes(tuples, stages, since,
                                                     since + timedelta(days=horizon_days))
        except ValueError as err:  # amounts in several currencies and no rates
            error = str(err)
        else:
            result = {**lift(outcomes, current.seed), "currency": currency}
            rows = table(result)
    coverage = run(read, "web_program_coverage", stages=stages)
    total = sum(int(c["accounts"]) for c in coverage)
    counts: dict[tuple[datetime, str], int] = {}
    for r in run(read, "web_program_stages", stages=stages, until=now, weeks=12):
        counts[(r["week_end"], r["stage"])] = int(r["accounts"])
    weeks = sorted({w for w, _ in counts}) or [now]
    series = {s: [counts.get((w, s), 0) for w in weeks] for s in reversed(STAGES)}
    series["unaware"] = [total - sum(counts.get((w, s), 0) for s in STAGES if s != "unaware")
                         for w in weeks]
    chart = {"x": [int(w.replace(tzinfo=UTC).timestamp()) if w.tzinfo is None
                   else int(w.timestamp()) for w in weeks], "series": series}
    return ProgramView(current, result, rows, coverage, chart, error)


def owners_and_tiers(read: Reader) -> tuple[list[str], list[str]]:
    rows = run(read, "web_filter_choices")
    return sorted(rows[0]["owners"]), sorted(rows[0]["tiers"])


def series(rows: Sequence[Row], key: str, start: datetime, step: timedelta, count: int,
           value: str = "score") -> dict[str, Any]:
    """Chart data: x (epoch seconds of each step) and one list per channel, 0 where none."""
    xs = [start + step * i for i in range(count)]
    index = {x: i for i, x in enumerate(xs)}
    ys = {c: [0.0] * count for c in CHANNELS}
    for r in rows:
        at = r[key]
        at = datetime(at.year, at.month, at.day, tzinfo=UTC) if type(at) is date else at
        at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
        i = index.get(at)
        if i is not None and r["channel"] in ys:
            ys[r["channel"]][i] += float(r[value])
    return {"x": [int(x.timestamp()) for x in xs], "series": ys}


def evidence_lines(evidence: str) -> list[str]:
    """The evidence `pulse explain` prints, one 'key: value' per line."""
    try:
        data = json.loads(evidence) if evidence else {}
    except ValueError:
        return [evidence]
    if not isinstance(data, dict):
        return [json.dumps(data, ensure_ascii=False)]
    return [f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in sorted(data.items())]


@dataclass(frozen=True)
class AccountView:
    account: Row
    daily: dict[str, Any]
    hourly: dict[str, Any]
    committee: list[Row]
    pages: list[Row]
    campaigns: list[Row]
    methods: list[Row]
    alerts: list[Row]
    events: list[Row]
    totals: dict[str, float]
    opportunities: list[Row]


def name_alerts(read: Reader, alerts: list[Row], rules: ScoringRules) -> None:
    """Each alert's known contacts named (as of now) in ``contacts`` and in its reason, and
    the opportunities its account had open when it was raised (and still has)."""
    keys = sorted({k for a in alerts for k in a["contact_keys"]})
    rows = [(r["person_key"], r["name"], r["email"], r["title"])
            for r in read(CONTACTS_SQL, {"keys": keys})] if keys else []
    accounts = sorted({a["account_id"] for a in alerts})
    deals = run(read, "account_open_opportunities", accounts=accounts,
                at=max(a["detected_at"] for a in alerts)) if alerts else []
    for a in alerts:
        a["contacts"] = known_contacts(a["contact_keys"], rows, rules)
        a["reason"] = with_names(a["reason"], a["contacts"])
        a["open_opportunities"] = [d for d in deals if d["account_id"] == a["account_id"]
                                   and _utc(d["created_at"]) <= _utc(a["detected_at"])]


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _tuples(read: Reader) -> Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]:
    """The revenue module's reader (rows as tuples, in column order) over the page reader."""
    return lambda sql, params: [tuple(r.values()) for r in read(sql, params)]


TOP_TOUCHES = 5  # W-shaped's milestones and the strongest of the rest (at least 1% each)


def account_opportunities(read: Reader, account_id: str, lookback_days: int,
                          w: influence.Weights) -> list[Row]:
    """The account's opportunities, each with the touches that influenced it and their
    W-shaped shares (the same split `pulse influence --model w_shaped` makes)."""
    opps = run(read, "account_opportunities", account_id=account_id)
    if not opps:
        return opps
    since = min(_utc(o["created_at"]) for o in opps) - timedelta(days=lookback_days)
    until = max(_utc(o["created_at"]) for o in opps)
    touches = [influence.Touch(t["t"], t["event_id"], t["channel"], t["campaign_id"],
                               account_id, bool(t["known"]))
               for t in run(read, "web_account_touches", accounts=[account_id], since=since,
                            until=until)]
    for o in opps:
        deal = influence.Opportunity(o["opportunity_id"], account_id, _utc(o["created_at"]),
                                     o["amount"], o["currency"])
        credits = influence.credit(deal, touches, "w_shaped", w, lookback_days)
        strongest = sorted(credits, key=lambda c: -c.units)[:TOP_TOUCHES]
        top = sorted((c for c in strongest if c.units >= influence.UNITS // 100),
                     key=lambda c: c.touch)
        o["touches"] = [{"ts": datetime.fromtimestamp(c.touch.ts, UTC),
                         "channel": c.touch.channel,
                         "campaign": c.touch.campaign_id, "known": c.touch.known_contact,
                         "share": c.units / influence.UNITS, "amount": c.cents / 100}
                        for c in top if c.units]
        o["more_touches"] = len(credits) - len(top)
        o["more_share"] = 1 - sum(c.units for c in top) / influence.UNITS if credits else 0
    return opps


@dataclass(frozen=True)
class PipelineView:
    model: str
    days: int  # 0: all time
    lookback_days: int
    by_channel: influence.Report
    by_campaign: influence.Report
    channel_rows: list[tuple[object, ...]]
    campaign_rows: list[tuple[object, ...]]
    headline: str
    sentence: str  # the backtest, as one quotable sentence
    result: backtest.Result | None


PIPELINE_PERIODS = (30, 90, 180, 365, 0)


def pipeline_page(read: Reader, model: str, days: int, now: datetime, lookback_days: int,
                  horizon_days: int, w: influence.Weights) -> PipelineView:
    """Influence by channel and by campaign for opportunities created in the period, and
    the backtest over the same days, as one sentence."""
    tuples = _tuples(read)
    until = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    since = (until - timedelta(days=days + 1) if days else datetime(1970, 1, 1, tzinfo=UTC))
    opps, touches = reports.influence_inputs(tuples, since, until, lookback_days)
    by_channel = influence.report(opps, touches, model, "channel", lookback_days, w, True)
    by_campaign = influence.report(opps, touches, model, "campaign", lookback_days, w, True)
    first = tuples("SELECT min(ts), count() FROM abm.events", {})
    first_day = first[0][0].date() if first and first[0][1] else None
    start = max(since.date(), first_day) if first_day else since.date()
    result = (reports.backtest_from_warehouse(tuples, start, until.date(), horizon_days)
              if start < until.date() else None)
    return PipelineView(
        model, days, lookback_days, by_channel, by_campaign,
        reports.influence_rows(by_channel)[1], reports.influence_rows(by_campaign)[1],
        reports.influence_headline(by_channel),
        reports.backtest_sentence(result) if result else "No events yet: nothing to backtest.",
        result)


def account_page(read: Reader, account_id: str, now: datetime,
                 rules: ScoringRules | None = None, lookback_days: int = 90,
                 weights: influence.Weights | None = None) -> AccountView | None:
    relatives = run(read, "web_account", account=account_id)
    if not relatives or relatives[0]["relation"] != "self":
        return None
    account = dict(relatives[0])
    parent = next((r for r in relatives if r["relation"] == "parent"), None)
    account["parent_name"] = parent["name"] if parent else ""
    account["children"] = [(r["account_id"], r["name"]) for r in relatives
                           if r["relation"] == "child"]
    family = [r["account_id"] for r in relatives if r["relation"] != "parent"]
    today = now.date()
    day0 = datetime.combine(today - timedelta(days=89), datetime.min.time(), UTC)
    hour0 = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=47)
    window = {"accounts": family, "since": day0}  # the 90 days of the daily chart
    got = run_all(read, {
        "daily": ("web_account_daily", {"accounts": family, "today": today}),
        "hourly": ("web_account_hourly", {"accounts": family, "since": hour0}),
        "committee": ("web_account_committee", {  # to the minute: one query a minute
            **window, "limit": 100,
            "new_since": now.replace(second=0, microsecond=0) - timedelta(days=7)}),
        "mix": ("web_account_mix", window),
        "alerts": ("web_alerts", {"kind": "", "tier": "", "owner": "", "accounts": family,
                                  "limit": 50, "offset": 0}),
        "events": ("web_account_events", {**window, "limit": 50}),
    })
    opportunities = account_opportunities(read, account_id, lookback_days,
                                          weights or influence.Weights())
    daily_rows, committee, mix, events = got["daily"], got["committee"], got["mix"], got["events"]
    rules = rules or default_rules()
    for p in committee:  # a contact loaded after their events: persona from the title now
        if p["named"] and not p["persona"] and p["contact_title"]:
            p["persona"] = rules.persona(p["contact_title"])
    name_alerts(read, got["alerts"], rules)
    for e in events:
        e["evidence"] = evidence_lines(e["match_evidence"])
    totals = {
        "events": sum(float(r["events"]) for r in daily_rows),
        "score": round(sum(float(r["score"]) for r in daily_rows), 1),
        "people": int(committee[0]["total_people"]) if committee else 0,
        "new_people": int(committee[0]["total_new"]) if committee else 0,
    }
    return AccountView(
        account=account,
        daily=series(daily_rows, "day", day0, timedelta(days=1), 90),
        hourly=series(got["hourly"], "hour", hour0, timedelta(hours=1), 48),
        committee=committee,
        pages=[m for m in mix if m["kind"] == "page"],
        campaigns=[m for m in mix if m["kind"] == "campaign"],
        methods=[m for m in mix if m["kind"] == "method"],
        alerts=got["alerts"],
        events=events,
        totals=totals,
        opportunities=opportunities,
    )


@dataclass(frozen=True)
class AlertFilters:
    kind: str = ""
    tier: str = ""
    owner: str = ""
    page: int = 1


def alerts_page(read: Reader, f: AlertFilters, rules: ScoringRules | None = None) -> Listing:
    listing = paged(read, "web_alerts", f.page, kind=f.kind, tier=f.tier, owner=f.owner,
                    accounts=[])
    name_alerts(read, listing.rows, rules or default_rules())
    return listing


def match_rates(rows: Sequence[Row], today: date) -> tuple[dict[str, Any], list[Row]]:
    """Daily share of people's events attributed, per channel (a chart), and per channel
    and method over the 30 days (a table, shares of the channel's events)."""
    start = datetime.combine(today - timedelta(days=29), datetime.min.time(), UTC)
    matched = series([r for r in rows if r["match_method"]], "day", start, timedelta(days=1),
                     30, value="events")
    every = series(rows, "day", start, timedelta(days=1), 30, value="events")
    rates = {c: [round(m / a, 4) if a else None
                 for m, a in zip(matched["series"][c], every["series"][c], strict=True)]
             for c in CHANNELS}
    totals: dict[tuple[str, str], int] = {}
    for r in rows:
        k = (r["channel"], r["match_method"])
        totals[k] = totals.get(k, 0) + int(r["events"])
    per_channel: dict[str, int] = {}
    for (channel, _), n in totals.items():
        per_channel[channel] = per_channel.get(channel, 0) + n
    table = [{"channel": c, "method": m or "(not attributed)", "events": n,
              "share": round(n / per_channel[c], 4)}
             for (c, m), n in sorted(totals.items(), key=lambda kv: (kv[0][0], -kv[1]))]
    return {"x": matched["x"], "series": rates}, table


@dataclass(frozen=True)
class OpsView:
    match_chart: dict[str, Any]
    match_table: list[Row]
    coverage: list[Row]
    machines: list[Row]
    dead_kinds: list[Row]
    dead_reasons: list[Row]
    dead_examples: list[Row]
    freshness: Row


def ops_page(read: Reader, now: datetime) -> OpsView:
    today = now.date()
    got = run_all(read, {
        "match": ("web_ops_match", {"today": today}),
        "dead": ("web_ops_dead_letters", {"since": now - timedelta(days=30)}),
        "fresh": ("web_ops_freshness", {"since": now - timedelta(days=2)}),
        "coverage": ("web_ops_coverage", {}),
        "machines": ("web_ops_machines", {"today": today}),
    })
    chart, table = match_rates(got["match"], today)
    dead, fresh = got["dead"], got["fresh"]
    return OpsView(
        match_chart=chart,
        match_table=table,
        coverage=got["coverage"],
        machines=got["machines"],
        dead_kinds=[d for d in dead if d["row"] == "kind"],
        dead_reasons=[d for d in dead if d["row"] == "reason"],
        dead_examples=[d for d in dead if d["row"] == "example"],
        freshness=fresh[0] if fresh else {},
    )
