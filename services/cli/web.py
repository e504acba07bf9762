"""``pulse serve`` (the web app) and ``pulse password-hash`` (its users' password hashes)."""

from __future__ import annotations

import sys

import click

from services.cli import settings_of


@click.command()
@click.option("--host", help="address to bind (PULSE_WEB_HOST, default 127.0.0.1)")
@click.option("--port", type=int, help="port (PULSE_WEB_PORT, default 8080)")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> int:
    """The web app (read-only) on PULSE_WEB_HOST:PULSE_WEB_PORT: accounts, an account's
    engagement and people, the alert feed, the ops page."""
    from services.web.server import serve as run_server

    s = settings_of(ctx)
    try:
        return run_server(s, host or s.web_host, s.web_port if port is None else port)
    except ValueError as err:
        print(f"pulse serve: {err}", file=sys.stderr)
        return 2


@click.command("password-hash")
@click.option("--stdin", "from_stdin", is_flag=True, help="read the password from stdin")
def password_hash(from_stdin: bool) -> int:
    """Print a web user's scrypt password hash for PULSE_WEB_USERS or PULSE_WEB_USERS_FILE."""
    from services.web.auth import hash_password

    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 12:
        print("pulse password-hash: use at least 12 characters", file=sys.stderr)
        return 2
    print(hash_password(password))
    return 0


COMMANDS = [serve, password_hash]
