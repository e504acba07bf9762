"""The warehouse edge of revenue: read opportunities, touches and alerts with the query files,
hand them to the pure ``influence`` and ``backtest``, and shape what people read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, cast

from infra import query
from services.revenue import backtest, influence

Read = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]  # warehouse.query_params


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def rates(read: Read) -> dict[str, tuple[str, Decimal]]:
    """currency -> (base, rate), as loaded by ``pulse opportunities rates``."""
    return {c: (b, Decimal(r)) for c, b, r in read(
        "SELECT currency, base, rate FROM abm.currency_rates FINAL", {})}


def convert(opps: list[influence.Opportunity], rated: dict[str, tuple[str, Decimal]]
            ) -> list[influence.Opportunity]:
    """Amounts in the rates' base currency when every currency has a rate; otherwise as
    they are (reported per currency, never added across)."""
    if not rated or any(o.currency not in rated for o in opps):
        return opps
    out = []
    for o in opps:
        base, rate = rated[o.currency]
        amount = (o.amount * rate).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
        out.append(influence.Opportunity(o.opportunity_id, o.account_id, o.created_at,
                                         amount, base))
    return out


def influence_inputs(read: Read, since: datetime, until: datetime, lookback_days: int
                     ) -> tuple[list[influence.Opportunity], list[influence.Touch]]:
    """The opportunities created in [since, until) (amounts converted when rates are
    loaded) and the touches that can earn their credit: rows in Touch's field order,
    ordered by account, time and event id (``report(..., presorted=True)``)."""
    params = {"since": since, "until": until, "lookback_days": lookback_days}
    opps = [influence.Opportunity(i, a, _utc(c), Decimal(m), cur)
            for i, a, c, m, cur in read(query("influence_opportunities"), params)]
    touches = cast(list[influence.Touch], read(query("influence_touches"), params))
    return convert(opps, rates(read)), touches


def influence_report(read: Read, model: str, by: str, lookback_days: int, since: datetime,
                     until: datetime, w: influence.Weights) -> influence.Report:
    opps, touches = influence_inputs(read, since, until, lookback_days)
    return influence.report(opps, touches, model, by, lookback_days, w, presorted=True)


def money(cents: dict[str, int]) -> str:
    """'USD 12,000.00' (several currencies: each, never added)."""
    if not cents:
        return "0"
    return "; ".join(f"{c} {v / 100:,.2f}" for c, v in sorted(cents.items()))


def _amounts(cents: dict[str, int]) -> dict[str, float]:
    return {c: round(v / 100, 2) for c, v in sorted(cents.items())}


def influence_json(r: influence.Report) -> dict[str, Any]:
    """The documented keys; amounts are {currency: amount}, one entry per currency."""
    return {"model": r.model, "lookback_days": r.lookback_days, "by": r.by,
            "opportunities": r.opportunities,
            "matched_opportunities": r.matched_opportunities,
            "pipeline_amount": _amounts(r.pipeline),
            "influenced_opportunities": r.influenced_opportunities,
            "influenced_amount": _amounts(r.influenced),
            "sourced_amount": _amounts(r.sourced),
            "rows": [{"key": k, "credit": round(u / influence.UNITS, 6),
                      "amount": _amounts(c)} for k, (u, c) in ranked(r)]}


def ranked(r: influence.Report) -> list[tuple[str, tuple[int, dict[str, int]]]]:
    return sorted(r.rows.items(), key=lambda kv: (-kv[1][0], kv[0]))


def influence_rows(r: influence.Report) -> tuple[list[str], list[tuple[object, ...]]]:
    """Table and CSV rows: key, credit (opportunities), influenced amount, sourced amount."""
    rows: list[tuple[object, ...]] = [
        (k, f"{u / influence.UNITS:.2f}", money(c),
         money(r.sourced_rows[k]) if k in r.sourced_rows else "–")
        for k, (u, c) in ranked(r)]
    return [r.by, "credit", "amount", "sourced"], rows


def influence_csv_rows(r: influence.Report) -> tuple[list[str], list[tuple[object, ...]]]:
    """CSV for spreadsheets: plain numbers, a row per key and currency."""
    rows: list[tuple[object, ...]] = []
    for k, (u, cents) in ranked(r):
        sourced = r.sourced_rows.get(k, {})
        for currency in sorted(set(cents) | set(sourced)):
            rows.append((k, f"{u / influence.UNITS:.6f}", currency,
                         f"{cents.get(currency, 0) / 100:.2f}",
                         f"{sourced.get(currency, 0) / 100:.2f}"))
    return [r.by, "credit", "currency", "amount", "sourced_amount"], rows


def influence_headline(r: influence.Report) -> str:
    return (f"{r.influenced_opportunities} of {r.opportunities} opportunities influenced "
            f"({r.matched_opportunities} matched to an account): {money(r.influenced)} of "
            f"{money(r.pipeline)}; sourced {money(r.sourced)}")


def day_bounds(since: date | None, until: date | None, first: date | None,
               today: date) -> tuple[date, date]:
    """[since, until) in days: by default from the first event's day through today."""
    return since or first or today, until or today + timedelta(days=1)


def backtest_from_warehouse(read: Read, since: date, until: date, horizon_days: int,
                            alerts: list[backtest.Alert] | None = None) -> backtest.Result:
    accounts = [r[0] for r in read("SELECT account_id FROM abm.accounts FINAL", {})]
    if alerts is None:
        alerts = [backtest.Alert(a, _utc(t)) for a, t in read(query("backtest_alerts"), {})]
    opps = [backtest.Opportunity(a, _utc(c), d, bool(closed))
            for a, c, d, closed in read(query("backtest_opportunities"), {})]
    return backtest.run(accounts, alerts, opps, since, until, horizon_days)


def replayed_alerts(read: Read, since: date, until: date, rules: Any) -> list[backtest.Alert]:
    """The current surge rules re-run over the stored touches in event-time order, alerting
    only from ``since`` (what came before is history), each moment seeing only its past."""
    from streams.surge.detection import AccountInfo, detect_all
    from streams.surge.model import LOOKBACK_DAYS, Touch

    start = datetime.combine(since, time(), UTC)
    end = datetime.combine(until, time(), UTC)
    infos = {a: AccountInfo(n, t, bool(c), o) for a, n, t, c, o in read(
        "SELECT account_id, name, tier, customer, owner_email FROM abm.accounts FINAL", {})}
    rows = read(query("surge_touches"),
                {"accounts": [], "start": start - timedelta(days=LOOKBACK_DAYS), "end": end})
    touches = ((a, Touch(float(t), float(s), p, bool(hi))) for a, _, t, s, p, hi in rows)
    found = detect_all(touches, infos, rules, alert_from=start.timestamp())
    return [backtest.Alert(a.surge.account_id, datetime.fromtimestamp(a.detected_at, UTC))
            for a in found if a.kind in ("surge", "spike") and a.detected_at < end.timestamp()]


def backtest_sentence(r: backtest.Result) -> str:
    """One sentence a marketer can quote, with how much stands behind it."""
    behind = (f"{r.alerts:,} alert{'s' if r.alerts != 1 else ''}, "
              f"{r.units:,} account-days")
    if r.lift is None:
        why = ("no alert in the period" if not r.alerts else
               "no opportunity followed a quiet account-day" if r.alerted_units else
               "no alert fell on an account-day without an open opportunity")
        if r.alerts and r.opportunity_rate_alerted is not None and not r.converted_alerted:
            why = "no alerted account-day was followed by an opportunity"
        return f"Surge backtest: no lift can be measured yet ({why}; {behind})."
    ci = r.lift_ci95
    interval = f"95%: {ci[0]:.1f}–{ci[1]:.1f}; " if ci else ""
    return (f"Accounts that surged opened opportunities {r.lift:.1f}× as often within "
            f"{r.horizon_days} days ({interval}{behind}).")


def backtest_rows(r: backtest.Result) -> list[tuple[str, str]]:
    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1%}"

    ci = r.lift_ci95
    return [("accounts", f"{r.accounts:,}"), ("account-days (units)", f"{r.units:,}"),
            ("alerted account-days", f"{r.alerted_units:,}"), ("alerts", f"{r.alerts:,}"),
            ("alerted accounts", f"{r.alerted_accounts:,}"),
            ("opportunities created", f"{r.opportunities:,}"),
            ("opportunity rate, alerted", pct(r.opportunity_rate_alerted)),
            ("opportunity rate, not alerted", pct(r.opportunity_rate_not_alerted)),
            ("lift", "n/a" if r.lift is None else f"{r.lift:.2f}×"),
            ("lift, 95% interval", "n/a" if ci is None else f"{ci[0]:.2f}–{ci[1]:.2f}"),
            ("precision", pct(r.precision)), ("recall", pct(r.recall)),
            ("median lead, days", "n/a" if r.median_lead_days is None
             else f"{r.median_lead_days:.1f}")]
