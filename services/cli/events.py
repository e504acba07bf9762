"""``pulse publish``, ``run``, ``replay``, ``explain``, ``attribute``: events in, through
the workers, and why each landed where it did."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from services.cli import settings_of
from streams.topology import Role

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command()
@click.argument("file", type=FILE)
@click.pass_context
def publish(ctx: click.Context, file: Path) -> int:
    """Publish each line of a JSONL file to its topic by `type`, keyed by event id. Lines that
    cannot be published (no routable type, not JSON, nested too deeply, over 4 MB, refused
    by the broker) are listed by number, the rest is published, and the exit code is 1."""
    from services.publisher import publish as send
    from services.publisher import read_lines
    from services.runtime.topics_admin import ensure_topics

    s = settings_of(ctx)
    ensure_topics(s)
    report = send(s, read_lines(file), progress=sys.stderr.isatty())
    total = sum(report.published.values())
    detail = ", ".join(f"{t}: {n}" for t, n in sorted(report.published.items()))
    print(f"published {total} event(s) ({detail or 'none'})")
    if report.rejected:
        print(f"{len(report.rejected)} line(s) not published:", file=sys.stderr)
        for line in report.rejected:
            print(f"  {line}", file=sys.stderr)
        return 1
    return 0


ROLES = click.Choice([r.value for r in Role])


@click.command()
@click.option("--drain", is_flag=True, help="exit once everything published so far is done")
@click.option("--role", "roles", multiple=True, type=ROLES,
              help="run only this role (repeatable); default: all of them")
@click.pass_context
def run(ctx: click.Context, drain: bool, roles: tuple[str, ...]) -> int:
    """Run a worker: every role by default, or only the roles named (each role alone has its
    own consumer group). --drain exits once everything published before it started is done
    for its roles (landed, evaluated, delivered); in the split shape drain pipeline, then
    surge, then delivery."""
    from services.runtime.worker import run as work
    from services.runtime.worker import summary_line

    print(summary_line(work(settings_of(ctx), [Role(r) for r in roles], drain=drain)))
    return 0


@click.command()
@click.option("--from", "from_", required=True, metavar="TIMESTAMP",
              help="RFC 3339 time, e.g. 2026-11-01T00:00:00Z (Kafka record time)")
@click.pass_context
def replay(ctx: click.Context, from_: str) -> int:
    """Rewind the pipeline's consumer group to the first records at or after a time (Kafka
    record time) and re-process what the topics retain; every table ends exactly as one
    clean run left it. Stop running workers first."""
    from services.runtime.replay import parse_when, rewind
    from services.warehouse import running_holder

    s = settings_of(ctx)
    if s.embedded and running_holder(s):
        print("stop the running workers first: a replay rewinds their consumer group",
              file=sys.stderr)
        return 2
    offsets = rewind(s, parse_when(from_))
    print(f"rewound {len(offsets)} partition(s) to {from_}; re-processing")
    return int(ctx.invoke(run, drain=True, roles=()) or 0)


@click.command()
@click.argument("event_id")
@click.pass_context
def explain(ctx: click.Context, event_id: str) -> int:
    """How an event was attributed: account, method, confidence, evidence, counted or why not,
    provenance."""
    from services.explain import explain as why
    from services.warehouse import open_warehouse

    text = why(open_warehouse(settings_of(ctx)), event_id)
    if text is None:
        print(f"no event {event_id!r} in abm.events", file=sys.stderr)
        return 1
    print(text)
    return 0


@click.command()
@click.argument("file", type=FILE)
@click.pass_context
def attribute(ctx: click.Context, file: Path) -> int:
    """Run the attribution chain on a JSONL file against the loaded reference data, without
    Kafka; one JSON line per event."""
    from services.explain import attribute_lines
    from services.publisher import read_lines
    from services.warehouse import open_warehouse

    s = settings_of(ctx)
    for line in attribute_lines(s, open_warehouse(s), read_lines(file)):
        print(line)
    return 0


COMMANDS = [publish, run, replay, explain, attribute]
