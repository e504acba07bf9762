"""``pulse alerts test``: a sample alert to every destination, delivered for real."""

from __future__ import annotations

import asyncio
import sys

import click

from services.cli import settings_of


@click.group()
def alerts() -> None:
    """Alert delivery."""


@alerts.command()
@click.pass_context
def test(ctx: click.Context) -> int:
    """Send a sample alert to every configured destination and print each outcome (exit 1 if
    any failed)."""
    from streams.alerts.sample import send_test_alerts

    s = settings_of(ctx)
    if not s.alert_destinations:
        print("no alert destination configured (PULSE_ALERT_DESTINATIONS)", file=sys.stderr)
        return 1
    outcomes = asyncio.run(send_test_alerts(s))
    for o in outcomes:
        detail = f"HTTP {o.http_status}" if o.http_status else o.error
        print(f"{o.destination:20} {o.status:10} after {o.attempts} attempt(s): {detail}")
    return 0 if all(o.status == "delivered" for o in outcomes) else 1


COMMANDS = [alerts]
