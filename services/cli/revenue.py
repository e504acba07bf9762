"""``pulse opportunities load | rates``, ``pulse influence``, ``pulse backtest``: CRM
opportunities in, and what engagement was worth against them."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, time
from pathlib import Path

import click

from services.cli import settings_of
from services.cli.analysis import formatter
from services.cli.reference import FILE, reference_writer

DAY = click.DateTime(formats=["%Y-%m-%d"])


@click.group()
def opportunities() -> None:
    """CRM opportunities (Salesforce, HubSpot or AccountPulse CSV exports)."""


@opportunities.command(name="load")
@click.argument("file", type=FILE)
@click.option("--format", "fmt", type=click.Choice(["salesforce", "salesforce_report",
                                                     "hubspot", "pulse"]),
              help="the export's format (default: told from its header)")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path),
              help="write one CSV row per input line: imported, updated, unchanged, deleted, "
              "unmatched or refused, with the reason (also when nothing loads)")
@click.option("--locale", help="how a report export writes dates and amounts "
              "(default PULSE_CRM_LOCALE)")
@click.option("--currency", help="the currency of files without a currency column "
              "(default PULSE_CRM_CURRENCY)")
@click.pass_context
def load(ctx: click.Context, file: Path, fmt: str | None, report: Path | None,
         locale: str | None, currency: str | None) -> int:
    """Load opportunities from a CRM export, all or nothing: matched to accounts by CRM id,
    then by website or domain (never by name alone), to the compacted topic
    `opportunities` and abm.opportunities. Unmatched ones are kept and listed; the newest
    version of an opportunity wins across loads; IsDeleted rows remove it."""
    from services.revenue import opportunities as opps

    s = settings_of(ctx)
    try:
        with reference_writer(s) as (wh, publisher):
            result = opps.load(wh, publisher, file, fmt, locale or s.crm_locale,
                               currency or s.crm_currency)
    except opps.OpportunityFileError as err:
        if report:
            opps.write_report(report, err.lines)
        raise
    if report:
        opps.write_report(report, result.lines)
    counts = ", ".join(f"{result.count(k)} {k}" for k in
                       ("imported", "updated", "unchanged", "deleted", "unmatched")
                       if result.count(k))
    print(f"loaded {len(result.lines)} opportunities from {file} ({result.fmt}): "
          f"{counts or 'nothing new'}")
    for line in result.lines:
        if line.status == "unmatched":
            print(f"unmatched: line {line.line}, {line.opportunity_id}: {line.reason}")
    for conflict in result.conflicts:
        print(f"conflict: {conflict}")
    return 0


@opportunities.command(name="match")
@click.pass_context
def match(ctx: click.Context) -> int:
    """Match every stored opportunity again against the accounts as they are now: after an
    accounts file with more CRM ids or domains, unmatched opportunities find their account
    without reloading the CRM export."""
    from services.revenue.opportunities import rematch

    with reference_writer(settings_of(ctx)) as (wh, publisher):
        r = rematch(wh, publisher)
    print(f"re-matched {r.stored} opportunities: {r.newly_matched} newly matched, {r.moved} "
          f"moved to another account, {r.unmatched} unmatched")
    return 0


@opportunities.command(name="rates")
@click.argument("file", type=FILE)
@click.option("--base", required=True, help="the currency the rates convert to, e.g. USD")
@click.pass_context
def rates(ctx: click.Context, file: Path, base: str) -> int:
    """Load exchange rates (CSV: currency,rate; an amount times rate is in BASE), replacing
    the ones loaded before. With rates for every currency, influence is reported in BASE."""
    from services.revenue.opportunities import load_rates
    from services.warehouse import DirectWarehouse, migrate, open_warehouse

    wh = open_warehouse(settings_of(ctx))
    if isinstance(wh, DirectWarehouse):
        migrate(wh.writer)
    n = load_rates(wh, file, base)
    print(f"loaded {n} rates to {base.upper()} from {file}")
    return 0


def _start(day: datetime | None) -> datetime | None:
    return datetime.combine(day.date(), time(), UTC) if day else None


@click.command()
@click.option("--model", type=click.Choice(["first", "last", "linear", "u_shaped", "w_shaped",
                                            "time_decay"]), default="w_shaped",
              show_default=True)
@click.option("--by", type=click.Choice(["campaign", "channel", "account"]), default="channel",
              show_default=True)
@click.option("--lookback-days", type=click.IntRange(1, 730),
              help="touches this many days before each opportunity's creation "
              "(default PULSE_INFLUENCE_LOOKBACK_DAYS)")
@click.option("--since", type=DAY, help="opportunities created on or after this day")
@click.option("--until", type=DAY, help="opportunities created before this day")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.pass_context
def influence(ctx: click.Context, model: str, by: str, lookback_days: int | None,
              since: datetime | None, until: datetime | None, fmt: str) -> int:
    """Influenced and sourced pipeline by campaign, channel or account: each opportunity's
    credit split over its account's human touches before it was created (weights in
    PULSE_INFLUENCE_*). Credits per opportunity add up to exactly 1 and to its amount;
    amounts in different currencies are never added (unless rates are loaded)."""
    from services.revenue import reports
    from services.revenue.influence import Weights
    from services.warehouse import open_warehouse

    s = settings_of(ctx)
    wh = open_warehouse(s)
    w = Weights(s.influence_u_shaped, s.influence_w_shaped, s.influence_half_life_days)
    start = _start(since) or datetime(1970, 1, 1, tzinfo=UTC)
    end = _start(until) or datetime(9999, 1, 1, tzinfo=UTC)
    r = reports.influence_report(wh.query_params, model, by,
                                 lookback_days or s.influence_lookback_days, start, end, w)
    if fmt == "json":
        print(json.dumps(reports.influence_json(r), ensure_ascii=False, indent=2))
        return 0
    if fmt == "csv":
        print(formatter("csv")(*reports.influence_csv_rows(r)))
        return 0
    columns, rows = reports.influence_rows(r)
    print(f"Pipeline influence by {by} ({model}, {r.lookback_days} days before each "
          "opportunity)")
    print(reports.influence_headline(r))
    print(formatter("table")(columns, rows) if rows else "no touch earned credit")
    return 0


@click.command()
@click.option("--horizon-days", type=click.IntRange(1, 730),
              help="an opportunity this many days after an account-day converts it "
              "(default PULSE_BACKTEST_HORIZON_DAYS)")
@click.option("--since", type=DAY, help="first day of the window (default: the first "
              "event's day)")
@click.option("--until", type=DAY, help="the day after the window (default: tomorrow, so "
              "today is in it)")
@click.option("--replay", is_flag=True, help="re-run the current surge rules over the "
              "stored events (each moment sees only its past) instead of reading the alerts "
              "as they were raised: what a rule change would have done")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.pass_context
def backtest(ctx: click.Context, horizon_days: int | None, since: datetime | None,
             until: datetime | None, replay: bool, fmt: str) -> int:
    """Are surge alerts followed by opportunities more often than quiet days are? Conversion
    rates of alerted and other account-days, lift with its 95% interval, precision,
    recall and the median lead (definitions: docs/revenue.md). Recent days are censored:
    their opportunities may not exist yet."""
    from services.revenue import reports
    from services.warehouse import open_warehouse
    from streams.config import surge_rules

    s = settings_of(ctx)
    wh = open_warehouse(s)
    horizon = horizon_days or s.backtest_horizon_days
    first = wh.query_params("SELECT min(ts), count() FROM abm.events", {})
    first_day = first[0][0].date() if first and first[0][1] else None
    start, end = reports.day_bounds(since.date() if since else None,
                                    until.date() if until else None, first_day,
                                    datetime.now(UTC).date())
    if end <= start:
        print(f"pulse backtest: the window {start} to {end} is empty", file=sys.stderr)
        return 2
    alerts = (reports.replayed_alerts(wh.query_params, start, end, surge_rules(s))
              if replay else None)
    r = reports.backtest_from_warehouse(wh.query_params, start, end, horizon, alerts)
    if fmt == "json":
        print(json.dumps({**r.as_json(), "since": str(start), "until": str(end),
                          "alerts_from": "replay" if replay else "raised"}, indent=2))
        return 0
    print(f"Surge backtest {start} to {end} (alerts {'replayed' if replay else 'as raised'}, "
          f"{horizon}-day horizon)")
    print(formatter("table")(["measure", "value"], reports.backtest_rows(r)))
    print(reports.backtest_sentence(r))
    return 0


COMMANDS = [opportunities, influence, backtest]
