"""``pulse``: one console script, a subcommand per job. Options mirror PULSE_* settings."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from services.runtime import logs
from streams.settings import Settings

if TYPE_CHECKING:
    from services.reference.topics import ReferencePublisher
    from services.warehouse import Warehouse


def _settings() -> Settings:
    return Settings()


def cmd_up(args: argparse.Namespace) -> int:
    from services.runtime.local_kafka import LocalKafka, is_local
    from services.runtime.topics_admin import ensure_topics
    from services.warehouse import DirectWarehouse, migrate, open_warehouse

    s = _settings()
    if is_local(s.kafka_bootstrap):
        started = LocalKafka(s).start()
        print(f"kafka     {'started' if started else 'already running'} on {s.kafka_bootstrap}")
    else:
        print(f"kafka     remote broker {s.kafka_bootstrap}: nothing started")
    created = ensure_topics(s)
    print(f"topics    {'created ' + ', '.join(created) if created else 'all present'}")
    wh = open_warehouse(s)
    if isinstance(wh, DirectWarehouse):
        applied = migrate(wh.writer)
        wh.close()
        print(f"warehouse {s.masked()['clickhouse_dsn']}: "
              f"{len(applied)} migration(s) applied" if applied else
              f"warehouse {s.masked()['clickhouse_dsn']}: up to date")
    else:
        print("warehouse owned by the running pipeline (migrated at its start)")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from services.runtime.local_kafka import LocalKafka

    stopped = LocalKafka(_settings()).stop()
    print("kafka     stopped" if stopped else "kafka     was not running (started by pulse)")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from services.runtime.local_kafka import LocalKafka, is_local, port_of, port_open
    from services.runtime.topics_admin import topic_partitions
    from services.warehouse import open_warehouse, running_holder

    s = _settings()
    ok = True
    if is_local(s.kafka_bootstrap):
        broker = LocalKafka(s)
        pid = broker.pid
        up = port_open(port_of(s.kafka_bootstrap))
        print(f"kafka     {s.kafka_bootstrap}: "
              + (f"running (pid {pid})" if pid and up else "listening (not started by pulse)"
                 if up else "stopped"))
        ok = up
    else:
        print(f"kafka     remote broker {s.kafka_bootstrap}")
    if ok:
        try:
            parts = topic_partitions(s)
            print("topics    " + ", ".join(f"{t}({n})" for t, n in parts.items()))
        except Exception as err:
            print(f"topics    unavailable: {err}")
            ok = False
    owner = running_holder(s)
    print(f"pipeline  {'running' if owner else 'not running'}")
    try:
        wh = open_warehouse(s)
        r = wh.query("SELECT count() FROM abm.schema_migrations FINAL")
        print(f"warehouse {s.masked()['clickhouse_dsn']}: {r.rows[0][0]} migration(s) applied")
    except Exception as err:
        print(f"warehouse {s.masked()['clickhouse_dsn']}: not ready ({_first_line(err)})")
        ok = False
    return 0 if ok else 1


def cmd_migrate(args: argparse.Namespace) -> int:
    from services.warehouse import DirectWarehouse, migrate, running_holder

    s = _settings()
    if s.embedded and running_holder(s):
        print("the running pipeline owns the warehouse and migrated it at start")
        return 0
    wh = DirectWarehouse(s)
    applied = migrate(wh.writer)
    wh.close()
    print("\n".join(applied) if applied else "up to date")
    return 0


@contextmanager
def _reference_writer(s: Settings) -> Iterator[tuple[Warehouse, ReferencePublisher]]:
    """What changes reference data needs: its topics, a migrated warehouse, a producer."""
    from services.reference.topics import ReferencePublisher
    from services.runtime.topics_admin import ensure_topics
    from services.warehouse import DirectWarehouse, migrate, open_warehouse

    ensure_topics(s)
    wh = open_warehouse(s)
    if isinstance(wh, DirectWarehouse):
        migrate(wh.writer)
    publisher = ReferencePublisher(s)
    try:
        yield wh, publisher
    finally:
        publisher.close()


def cmd_load(args: argparse.Namespace) -> int:
    from services.reference import loader as rl

    s = _settings()
    with _reference_writer(s) as (wh, publisher):
        if args.action == "remove":
            n = rl.remove_ip_ranges(wh, publisher, Path(args.file))
            print(f"removed {n} ip-ranges listed in {args.file}")
            return 0
        if args.kind == "ip-ranges":
            n, conflicts = rl.load_ip_ranges(wh, publisher, Path(args.file), s.min_prefix)
            print(f"loaded {n} ip-ranges from {args.file}")
            for conflict in conflicts:
                print(f"conflict: {conflict}")
            return 0
        if args.kind == "accounts":
            n = rl.load_accounts(wh, publisher, Path(args.file), s.min_prefix)
        else:
            n = rl.load_contacts(wh, publisher, Path(args.file))
    print(f"loaded {n} {args.kind} from {args.file}")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from services.privacy import forget

    s = _settings()
    with _reference_writer(s) as (wh, publisher):
        done = forget(s, wh, publisher, args.email)
    print(f"forgot {args.email}: {done.events} event(s), {done.visitors} linked visitor(s), "
          f"{done.contacts} contact(s), {done.dead_letters} dead letter(s) erased; "
          "suppressed at ingest from now on")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from services.explain import explain
    from services.warehouse import open_warehouse

    text = explain(open_warehouse(_settings()), args.event_id)
    if text is None:
        print(f"no event {args.event_id!r} in abm.events", file=sys.stderr)
        return 1
    print(text)
    return 0


def cmd_attribute(args: argparse.Namespace) -> int:
    from services.explain import attribute_lines
    from services.publisher import read_lines
    from services.warehouse import open_warehouse

    s = _settings()
    for line in attribute_lines(s, open_warehouse(s), read_lines(Path(args.file))):
        print(line)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from services.publisher import publish, read_lines
    from services.runtime.topics_admin import ensure_topics

    s = _settings()
    ensure_topics(s)
    report = publish(s, read_lines(Path(args.file)), progress=sys.stderr.isatty())
    total = sum(report.published.values())
    detail = ", ".join(f"{t}: {n}" for t, n in sorted(report.published.items()))
    print(f"published {total} event(s) ({detail or 'none'})")
    if report.rejected:
        print(f"{len(report.rejected)} line(s) not published:", file=sys.stderr)
        for line in report.rejected:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from services.runtime.worker import run_pipeline, summary_line

    print(summary_line(run_pipeline(_settings(), drain=args.drain)))
    return 0


def cmd_surging(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, time, timedelta

    from services import render
    from services.surging import parse_duration, read_all, recent_alerts
    from services.warehouse import open_warehouse

    s = _settings()
    wh = open_warehouse(s)
    fmt = {"table": render.table, "csv": render.as_csv, "json": render.as_json}[args.format]
    if args.at or args.date:
        at = (datetime.fromisoformat(args.at.replace("Z", "+00:00")) if args.at else
              datetime.combine(datetime.fromisoformat(args.date).date() + timedelta(days=1),
                               time(), UTC))
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        surges = [x for x in read_all(wh, at, s.surge_rules())
                  if args.all or x.status in ("surging", "cooling")]
        columns = ["account", "mode", "status", "score", "multiple", "people", "reason"]
        rows: list[tuple[object, ...]] = [
            (x.account_id, x.mode, x.status, x.score, x.multiple, x.people, x.reason)
            for x in surges]
        print(fmt(columns, rows) if rows or args.format != "table" else
              f"no account is surging or cooling as of {at.isoformat()}")
        return 0
    try:
        since = datetime.now(UTC) - parse_duration(args.since)
    except ValueError as err:
        print(f"pulse surging: {err}", file=sys.stderr)
        return 2
    alerts = recent_alerts(wh, since)
    columns = ["account", "name", "kind", "detected_at", "score", "multiple", "people",
               "episode", "reason"]
    rows = [(a.account_id, a.name, a.kind, a.detected_at.strftime("%Y-%m-%d %H:%M"), a.score,
             a.multiple, a.people, "open" if a.open else "over", a.reason) for a in alerts]
    print(fmt(columns, rows) if rows or args.format != "table" else
          f"no surge or cooling alert since {since.strftime('%Y-%m-%d %H:%M')} UTC")
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    import asyncio

    from streams.alerts.sample import send_test_alerts

    s = _settings()
    if not s.alert_destinations:
        print("no alert destination configured (PULSE_ALERT_DESTINATIONS)", file=sys.stderr)
        return 1
    outcomes = asyncio.run(send_test_alerts(s))
    for o in outcomes:
        detail = f"HTTP {o.http_status}" if o.http_status else o.error
        print(f"{o.destination:20} {o.status:10} after {o.attempts} attempt(s): {detail}")
    return 0 if all(o.status == "delivered" for o in outcomes) else 1


def cmd_rescore(args: argparse.Namespace) -> int:
    from services.rescore import rescore
    from services.warehouse import DirectWarehouse, migrate, open_warehouse
    from streams.ingest.scoring import DEFAULT_RULES

    s = _settings()
    wh = open_warehouse(s)
    if isinstance(wh, DirectWarehouse):
        migrate(wh.writer)
    path = Path(args.rules or s.scoring_rules or DEFAULT_RULES)
    version, n = rescore(wh, path)
    print(f"re-scored {n} event(s) under rules {version} ({path})")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from services.runtime.replay import parse_when, rewind
    from services.warehouse import running_holder

    s = _settings()
    if s.embedded and running_holder(s):
        print("stop the running pipeline first: a replay rewinds its consumer group",
              file=sys.stderr)
        return 2
    offsets = rewind(s, parse_when(args.from_))
    print(f"rewound {len(offsets)} partition(s) to {args.from_}; re-processing")
    return cmd_run(argparse.Namespace(drain=True))


def cmd_query(args: argparse.Namespace) -> int:
    from services import render
    from services.warehouse import open_warehouse

    s = _settings()
    sql = args.sql if args.sql != "-" else sys.stdin.read()
    result = open_warehouse(s).analyze(sql)
    fmt = {"table": render.table, "csv": render.as_csv, "json": render.as_json}[args.format]
    print(fmt(result.columns, result.rows))
    if result.truncated:
        print(f"pulse query: only the first {s.query_max_rows} rows are shown "
              "(PULSE_QUERY_MAX_ROWS); add a LIMIT or an aggregate", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from services.demo.run import run_demo

    return run_demo(_settings(), args.days, args.seed)


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pulse", description="AccountPulse: ABM engagement tracking")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start the local broker, create topics, migrate").set_defaults(
        fn=cmd_up)
    sub.add_parser("down", help="stop the local broker").set_defaults(fn=cmd_down)
    sub.add_parser("status", help="broker, topics, pipeline, warehouse").set_defaults(
        fn=cmd_status)
    sub.add_parser("migrate", help="apply ClickHouse migrations").set_defaults(fn=cmd_migrate)
    for kind in ("accounts", "contacts", "ip-ranges"):
        k = sub.add_parser(kind, help=f"{kind} reference data")
        ks = k.add_subparsers(dest="action", required=True)
        load = ks.add_parser("load", help=f"load {kind} from a CSV file")
        load.add_argument("file")
        load.set_defaults(fn=cmd_load, kind=kind)
        if kind == "ip-ranges":
            rm = ks.add_parser("remove", help="withdraw the ranges listed in a CSV file")
            rm.add_argument("file")
            rm.set_defaults(fn=cmd_load, kind=kind)
    pub = sub.add_parser("publish", help="publish a JSONL file of events by type")
    pub.add_argument("file")
    pub.set_defaults(fn=cmd_publish)
    run = sub.add_parser("run", help="run the pipeline")
    run.add_argument("--drain", action="store_true",
                     help="exit once everything published so far has landed")
    run.set_defaults(fn=cmd_run)
    fg = sub.add_parser("forget", help="erase a person everywhere and suppress them at ingest")
    fg.add_argument("email")
    fg.set_defaults(fn=cmd_forget)
    ex = sub.add_parser("explain", help="why an event was attributed as it was")
    ex.add_argument("event_id")
    ex.set_defaults(fn=cmd_explain)
    at = sub.add_parser("attribute", help="run attribution on a JSONL file, without Kafka")
    at.add_argument("file")
    at.set_defaults(fn=cmd_attribute)
    sg = sub.add_parser("surging", help="accounts surging or cooling, with reasons: the "
                        "alerts of a recent period, or a reading at a moment")
    sg.add_argument("--since", default="7d", metavar="DURATION",
                    help="alerts raised in this period (90m, 36h, 7d, 2w; default 7d)")
    sg.add_argument("--at", help="instead, read every account now from history as of this "
                    "time (RFC 3339)")
    sg.add_argument("--date", help="instead, read every account as of the end of this day")
    sg.add_argument("--all", action="store_true",
                    help="with --at/--date: list every engaged account")
    sg.add_argument("--format", choices=["table", "csv", "json"], default="table")
    sg.set_defaults(fn=cmd_surging)
    al = sub.add_parser("alerts", help="alert delivery: 'test' sends a sample alert to each "
                        "destination")
    al.add_argument("action", choices=["test"])
    al.set_defaults(fn=cmd_alerts)
    rs = sub.add_parser("rescore", help="re-score history under the current scoring rules")
    rs.add_argument("--rules", help="rules file (default PULSE_SCORING_RULES or the shipped one)")
    rs.set_defaults(fn=cmd_rescore)
    rp = sub.add_parser("replay", help="re-process the input topics from a point in time")
    rp.add_argument("--from", dest="from_", required=True, metavar="TIMESTAMP",
                    help="RFC 3339 time, e.g. 2026-11-01T00:00:00Z (Kafka record time)")
    rp.set_defaults(fn=cmd_replay)
    q = sub.add_parser("query", help="run read-only SQL ('-' reads it from stdin)")
    q.add_argument("sql")
    q.add_argument("--format", choices=["table", "csv", "json"], default="table")
    q.set_defaults(fn=cmd_query)
    d = sub.add_parser("demo", help="the whole job on a generated sample, end to end")
    d.add_argument("--days", type=int, default=28,
                   help="days of history (an account alerts once it has three weeks)")
    d.add_argument("--seed", type=int, default=7)
    d.set_defaults(fn=cmd_demo)
    return p


def private_home(settings: Settings) -> None:
    """PULSE_HOME holds contacts, dead-letter payloads and the holder's token: only its
    owner may read it. New files are created 0600 and folders 0700 (umask), and a home an
    older version created open is closed."""
    os.umask(0o077)
    home = settings.home_dir
    if home.is_dir() and home.stat().st_uid == os.getuid() and home.stat().st_mode & 0o077:
        home.chmod(0o700)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _settings()
    except ValueError as err:  # settings errors never echo the values (URLs, secrets)
        print(f"pulse: invalid settings: {err}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    private_home(settings)
    try:
        code = int(args.fn(args))
    except KeyboardInterrupt:
        code = 130
    except Exception as err:
        # A list of problems (a CSV file's bad lines) is printed whole, anything else by
        # its first line.
        text = str(err).strip() if getattr(err, "problems", None) else _first_line(err)
        print(f"pulse {args.command}: {text}", file=sys.stderr)
        code = 1
    if args.command == "run":
        # faust's consumer thread (non-daemon) can outlive a stopped worker and keep the
        # interpreter waiting forever; by now everything is landed and the warehouse closed.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
