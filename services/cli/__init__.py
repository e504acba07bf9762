"""``pulse``: one console script (click), a command group per concern:

- ``stack.py``      up, down, status, migrate
- ``reference.py``  accounts / contacts / ip-ranges load (remove), forget
- ``events.py``     publish, run, replay, explain, attribute
- ``analysis.py``   query, surging, rescore
- ``alerts.py``     alerts test
- ``demo.py``       demo
- ``web.py``        serve, password-hash
- ``collect.py``    collect
- ``revenue.py``    opportunities load / rates, influence, backtest
- ``targeting.py``  fit, stages replay, control, lift, audience export

Options mirror PULSE_* settings. A command fails with ``pulse <command>: <reason>`` and exit
code 1 (a list of problems, such as a CSV file's bad lines, is printed whole).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click
from clickhouse_connect.driver.exceptions import ClickHouseError
from kafka.errors import KafkaError

from services.runtime import logs
from streams.settings import Settings

log = logging.getLogger("pulse.cli")


def private_home(settings: Settings) -> None:
    """PULSE_HOME holds contacts, dead-letter payloads and the holder's token: only its
    owner may read it. New files are created 0600 and folders 0700 (umask), and a home an
    older version created open is closed."""
    os.umask(0o077)
    home = settings.home_dir
    if home.is_dir() and home.stat().st_uid == os.getuid() and home.stat().st_mode & 0o077:
        home.chmod(0o700)


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


# What a command fails with for a reason a user can act on: bad input or settings
# (ValueError, incl. a CSV's problems), a refusal (RuntimeError), the broker, the warehouse
# or the disk (OSError, KafkaError, ClickHouse's errors). Anything else is a bug.
EXPECTED = (ValueError, RuntimeError, OSError, KafkaError, ClickHouseError)


class PulseGroup(click.Group):
    """Turns a failing command into one clear line (and exit code 1) instead of a trace;
    a bug in AccountPulse is named as one, and its traceback logged."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            return 130
        except Exception as err:
            if not isinstance(err, EXPECTED):  # a bug: said so, with its traceback logged
                log.error("pulse command failed", exc_info=err,
                          extra={"command": ctx.invoked_subcommand})
                print(f"pulse {ctx.invoked_subcommand}: AccountPulse failed: "
                      f"{type(err).__name__}: {_first_line(err)} (a bug; its traceback is "
                      "logged above)", file=sys.stderr)
                return 1
            text = str(err).strip() if getattr(err, "problems", None) else _first_line(err)
            print(f"pulse {ctx.invoked_subcommand}: {text}", file=sys.stderr)
            return 1


@click.group(cls=PulseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def pulse(ctx: click.Context) -> None:
    """AccountPulse: ABM engagement tracking."""
    try:
        settings = Settings()
    except ValueError as err:  # settings errors never echo the values (URLs, secrets)
        print(f"pulse: invalid settings: {err}", file=sys.stderr)
        ctx.exit(2)
    logs.configure(settings.log_level)
    private_home(settings)
    ctx.obj = settings


def settings_of(ctx: click.Context) -> Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def _register() -> None:
    from services.cli import (
        alerts,
        analysis,
        collect,
        demo,
        events,
        reference,
        revenue,
        stack,
        targeting,
        web,
    )

    for module in (stack, reference, events, analysis, revenue, targeting, alerts, demo, web,
                   collect):
        for command in module.COMMANDS:
            pulse.add_command(command)


_register()


def main(argv: list[str] | None = None) -> int:
    try:
        code = pulse.main(args=argv, prog_name="pulse", standalone_mode=False)
    except click.exceptions.Exit as exit_:
        code = exit_.exit_code
    except click.ClickException as err:
        err.show()
        code = err.exit_code
    except click.Abort:
        code = 130
    code = int(code or 0)
    if (argv if argv is not None else sys.argv[1:])[:1] in (["run"], ["demo"]):
        # faust's consumer thread (non-daemon) can outlive a stopped worker and keep the
        # interpreter waiting forever; by now everything is landed and the warehouse closed.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
