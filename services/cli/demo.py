"""``pulse demo``: the whole job on a generated sample, end to end."""

from __future__ import annotations

import click

from services.cli import settings_of


@click.command()
@click.option("--days", type=int, default=28, show_default=True,
              help="days of history (an account alerts once it has three weeks)")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--serve", "serve", is_flag=True,
              help="then keep the web app running on the demo data until Ctrl-C")
@click.pass_context
def demo(ctx: click.Context, days: int, seed: int, serve: bool) -> int:
    """The whole job on a generated sample (28 days by default: an account alerts once it has
    three weeks of history), printing the result; --serve keeps the web app (and the broker)
    running on the demo data until Ctrl-C."""
    from services.demo import run_demo

    return run_demo(settings_of(ctx), days, seed, serve=serve)


COMMANDS = [demo]
