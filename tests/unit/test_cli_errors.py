"""A failing `pulse` command: one line for what a user can act on, and a bug named as
AccountPulse's own, with its traceback logged (never disguised as bad input)."""

from __future__ import annotations

import logging

import click
from click.testing import CliRunner

from services.cli import PulseGroup


@click.group(cls=PulseGroup)
def cli() -> None:
    pass


@cli.command()
def load() -> None:
    raise ValueError("accounts.csv: nothing loaded, 1 problem(s)")


@cli.command()
def broken() -> None:
    {}["missing"]


def test_a_users_problem_is_one_line_and_a_bug_is_named_with_its_traceback(caplog):
    runner = CliRunner()
    result = runner.invoke(cli, ["load"], standalone_mode=False)
    assert result.return_value == 1
    assert result.stderr == "pulse load: accounts.csv: nothing loaded, 1 problem(s)\n"
    with caplog.at_level(logging.ERROR, logger="pulse.cli"):
        result = runner.invoke(cli, ["broken"], standalone_mode=False)
    assert result.return_value == 1
    assert result.stderr == ("pulse broken: AccountPulse failed: KeyError: 'missing' (a bug; "
                             "its traceback is logged above)\n")
    assert [r.exc_info[0] for r in caplog.records] == [KeyError]
