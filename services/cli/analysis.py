"""``pulse query``, ``surging``, ``rescore``: reading (and re-scoring) what has landed."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import click

from services.cli import settings_of

FORMAT = click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
                      default="table", show_default=True)


def formatter(name: str) -> Callable[[Sequence[str], Sequence[Sequence[Any]]], str]:
    from services import render

    return {"table": render.table, "csv": render.as_csv, "json": render.as_json}[name]


@click.command()
@click.argument("sql")
@FORMAT
@click.pass_context
def query(ctx: click.Context, sql: str, fmt: str) -> int:
    """Run one read-only SQL statement ('-' reads it from stdin)."""
    from services.warehouse import open_warehouse

    s = settings_of(ctx)
    result = open_warehouse(s).analyze(sys.stdin.read() if sql == "-" else sql)
    print(formatter(fmt)(result.columns, result.rows))
    if result.truncated:
        print(f"pulse query: only the first {s.query_max_rows} rows are shown "
              "(PULSE_QUERY_MAX_ROWS); add a LIMIT or an aggregate", file=sys.stderr)
    return 0


@click.command()
@click.option("--since", default="7d", metavar="DURATION", show_default=True,
              help="alerts raised in this period (90m, 36h, 7d, 2w)")
@click.option("--at", help="instead, read every account from history as of this time "
              "(RFC 3339)")
@click.option("--date", help="instead, read every account as of the end of this day")
@click.option("--all", "every", is_flag=True, help="with --at/--date: every engaged account")
@FORMAT
@click.pass_context
def surging(ctx: click.Context, since: str, at: str | None, date: str | None, every: bool,
            fmt: str) -> int:
    """Accounts surging or cooling, with reasons: the alerts of a recent period, or a
    reading of every account at a moment."""
    from services.surging import parse_duration, read_all, recent_alerts
    from services.warehouse import open_warehouse
    from streams.config import surge_rules

    s = settings_of(ctx)
    wh = open_warehouse(s)
    out = formatter(fmt)
    if at or date:
        when = (datetime.fromisoformat(at.replace("Z", "+00:00")) if at else
                datetime.combine(datetime.fromisoformat(str(date)).date() + timedelta(days=1),
                                 time(), UTC))
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        surges = [x for x in read_all(wh, when, surge_rules(s))
                  if every or x.status in ("surging", "cooling")]
        columns = ["account", "mode", "status", "score", "multiple", "people", "reason"]
        rows: list[tuple[object, ...]] = [
            (x.account_id, x.mode, x.status, x.score, x.multiple, x.people, x.reason)
            for x in surges]
        print(out(columns, rows) if rows or fmt != "table" else
              f"no account is surging or cooling as of {when.isoformat()}")
        return 0
    try:
        start = datetime.now(UTC) - parse_duration(since)
    except ValueError as err:
        print(f"pulse surging: {err}", file=sys.stderr)
        return 2
    alerts = recent_alerts(wh, start)
    columns = ["account", "name", "kind", "detected_at", "score", "multiple", "people",
               "episode", "reason"]
    rows = [(a.account_id, a.name, a.kind, a.detected_at.strftime("%Y-%m-%d %H:%M"), a.score,
             a.multiple, a.people, "open" if a.open else "over", a.reason) for a in alerts]
    print(out(columns, rows) if rows or fmt != "table" else
          f"no surge or cooling alert since {start.strftime('%Y-%m-%d %H:%M')} UTC")
    return 0


@click.command()
@click.option("--rules", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="rules file (default PULSE_SCORING_RULES or the shipped one)")
@click.pass_context
def rescore(ctx: click.Context, rules: Path | None) -> int:
    """Re-score history under the current scoring rules."""
    from services.rescore import rescore as apply
    from services.warehouse import DirectWarehouse, migrate, open_warehouse
    from streams.ingest.scoring import DEFAULT_RULES

    s = settings_of(ctx)
    wh = open_warehouse(s)
    if isinstance(wh, DirectWarehouse):
        migrate(wh.writer)
    path = Path(rules or s.scoring_rules or DEFAULT_RULES)
    version, n = apply(wh, path)
    print(f"re-scored {n} event(s) under rules {version} ({path})")
    return 0


COMMANDS = [query, surging, rescore]
