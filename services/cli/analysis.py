"""``pulse query``, ``surging``, ``rescore``: reading (and re-scoring) what has landed."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import click

from services.cli import settings_of
from streams.ingest.rows import KINDS, STAGES

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
    """Run one read-only SQL statement ('-' reads it from stdin) on a session of its own that
    ingestion never waits for: writes, file() and url() are refused; it stops after
    PULSE_QUERY_TIMEOUT_SECONDS and cuts at PULSE_QUERY_MAX_ROWS rows (and says so). Tables
    show control characters escaped; CSV prefixes cells a spreadsheet would run as formulas
    with '."""
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
    """Surging and cooling accounts with their reasons: the latest alerts of a period, or every
    account read from history at a moment."""
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
    """Re-score every event under the scoring rules, deterministically; roll-ups and
    abm.account_scores follow."""
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


@click.command(name="dead-letters")
@click.option("--kind", type=click.Choice(list(KINDS)), help="only this kind")
@click.option("--stage", type=click.Choice(list(STAGES)), help="only this stage")
@click.option("--since", default="7d", metavar="DURATION", show_default=True,
              help="received in this period (90m, 36h, 7d, 2w)")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@FORMAT
@click.pass_context
def dead_letters(ctx: click.Context, kind: str | None, stage: str | None, since: str,
                 limit: int, fmt: str) -> int:
    """The newest dead letters, with kind, stage, source position and reason."""
    from infra import query as sql
    from services.surging import parse_duration
    from services.warehouse import open_warehouse

    try:
        start = datetime.now(UTC) - parse_duration(since)
    except ValueError as err:
        print(f"pulse dead-letters: {err}", file=sys.stderr)
        return 2
    result = open_warehouse(settings_of(ctx)).read(sql("dead_letters"), {
        "since": start, "kind": kind or "", "stage": stage or "", "limit": limit})
    print(formatter(fmt)(result.columns, result.rows) if result.rows or fmt != "table" else
          "no dead letter" + (f" of kind {kind}" if kind else "")
          + (f" at stage {stage}" if stage else "") + f" in the last {since}")
    return 0


COMMANDS = [query, surging, rescore, dead_letters]
