"""``pulse collect``: the HTTP collector."""

from __future__ import annotations

import sys

import click

from services.cli import settings_of


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="address to bind")
@click.option("--port", type=int, help="port (PULSE_COLLECT_PORT, default 8081)")
@click.pass_context
def collect(ctx: click.Context, host: str, port: int | None) -> int:
    """The HTTP collector: events API, publishing to the input topics."""
    import uvicorn

    from services.collector.app import create_app

    s = settings_of(ctx)
    if not s.collect_write_keys:
        print("pulse collect: no write keys: set PULSE_COLLECT_WRITE_KEYS "
              '(JSON list of {"key", "source", "origins"})', file=sys.stderr)
        return 2
    port = s.collect_port if port is None else port
    print(f"AccountPulse collector on http://{host}:{port}/  "
          f"({len(s.collect_write_keys)} write keys)  Ctrl-C stops it", flush=True)
    uvicorn.run(create_app(s), host=host, port=port, log_level="warning", access_log=False,
                server_header=False)
    return 0


COMMANDS = [collect]
