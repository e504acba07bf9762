"""``pulse accounts | contacts | ip-ranges load``, ``pulse ip-ranges remove``, ``pulse
forget``: reference data and erasure, each change on its topic and in the warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from services.cli import settings_of
from services.progress import Steps, progress
from streams.settings import Settings

if TYPE_CHECKING:
    from services.reference.topics import ReferencePublisher
    from services.warehouse import Warehouse


@contextmanager
def reference_writer(s: Settings) -> Iterator[tuple[Warehouse, ReferencePublisher]]:
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


FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def accounts() -> None:
    """Target accounts (CSV: account_id, name, domains, ip_ranges, tier, ...)."""


@click.group()
def contacts() -> None:
    """Known contacts (CSV: email, account_id, title)."""


@click.group(name="ip-ranges")
def ip_ranges() -> None:
    """Company and shared networks (CSV: cidr, account_id, kind, source)."""


@accounts.command(name="load")
@click.argument("file", type=FILE)
@click.pass_context
def load_accounts(ctx: click.Context, file: Path) -> int:
    """Load target accounts from a CSV file, all or nothing, to the compacted topic and the
    ClickHouse copy (running workers apply it within seconds)."""
    from services.cli.targeting import fit_rules, grade_counts
    from services.reference import loader
    from services.targeting.store import score_accounts

    s = settings_of(ctx)
    rules = fit_rules(s)  # a broken points file stops the load before anything lands
    with reference_writer(s) as (wh, publisher), progress() as bar:
        n = loader.load_accounts(wh, publisher, file, s.min_prefix, Steps(bar))
        grades = score_accounts(wh, rules)
    print(f"loaded {n} accounts from {file}; fit {rules.version}: {grade_counts(grades, rules)}")
    return 0


@contacts.command(name="load")
@click.argument("file", type=FILE)
@click.pass_context
def load_contacts(ctx: click.Context, file: Path) -> int:
    """Load known contacts from a CSV file (ours, or a CRM export's headers), all or nothing."""
    from services.reference import loader

    s = settings_of(ctx)
    with reference_writer(s) as (wh, publisher), progress() as bar:
        n = loader.load_contacts(wh, publisher, file, s.person_key_secret.get_secret_value()
                                 .encode(), Steps(bar))
    print(f"loaded {n} contacts from {file}")
    return 0


@ip_ranges.command(name="load")
@click.argument("file", type=FILE)
@click.pass_context
def load_ip_ranges(ctx: click.Context, file: Path) -> int:
    """Load IP ranges from a CSV file, all or nothing; claims on one network that conflict are
    printed with the winner."""
    from services.reference import loader

    s = settings_of(ctx)
    with reference_writer(s) as (wh, publisher), progress() as bar:
        n, conflicts = loader.load_ip_ranges(wh, publisher, file, s.min_prefix, Steps(bar))
    print(f"loaded {n} ip-ranges from {file}")
    for conflict in conflicts:
        print(f"conflict: {conflict}")
    return 0


@ip_ranges.command(name="remove")
@click.argument("file", type=FILE)
@click.pass_context
def remove_ip_ranges(ctx: click.Context, file: Path) -> int:
    """Withdraw the ranges a CSV file lists (same format as load)."""
    from services.reference import loader

    with reference_writer(settings_of(ctx)) as (wh, publisher):
        n = loader.remove_ip_ranges(wh, publisher, file)
    print(f"removed {n} ip-ranges listed in {file}")
    return 0


@click.command()
@click.argument("email")
@click.pass_context
def forget(ctx: click.Context, email: str) -> int:
    """Erase a person from every table (their events, their linked browsers' events, identity
    links, the contact and so their name, dead letters containing the address as a whole
    address, their key in alerts) and suppress them at ingest, so a replay does not bring
    them back. The address is validated first: a blank or partial one erases nothing."""
    from services.privacy import forget as erase

    s = settings_of(ctx)
    with reference_writer(s) as (wh, publisher):
        done = erase(s, wh, publisher, email)
    print(f"forgot {email}: {done.events} event(s), {done.visitors} linked visitor(s), "
          f"{done.contacts} contact(s), {done.dead_letters} dead letter(s) erased; "
          "suppressed at ingest from now on")
    return 0


COMMANDS = [accounts, contacts, ip_ranges, forget]
