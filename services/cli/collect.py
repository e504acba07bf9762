"""``pulse collect``: the HTTP collector."""

from __future__ import annotations

import gc
import logging
import sys

import click

from services.cli import settings_of

log = logging.getLogger("pulse.collect")


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="address to bind")
@click.option("--port", type=int, help="port (PULSE_COLLECT_PORT, default 8081)")
@click.pass_context
def collect(ctx: click.Context, host: str, port: int | None) -> int:
    """The HTTP collector: POST /v1/events with a write key, the website tag (/tag.js,
    /v1/tag), and the SendGrid, Mailgun and Postmark webhooks; events are published to the
    input topics once the broker acknowledges them."""
    import uvicorn

    from services.collector.app import WEBHOOK_SETTINGS, create_app, receivers
    from services.runtime import http_server

    s = settings_of(ctx)
    try:
        webhooks = list(receivers(s))
        app = create_app(s)
    except ValueError as err:  # a provider's key that cannot be read
        print(f"pulse collect: {err}", file=sys.stderr)
        return 2
    if not s.collect_write_keys and not webhooks:
        print("pulse collect: nothing to collect: set PULSE_COLLECT_WRITE_KEYS "
              '(JSON list of {"key", "source", "origins"}) or a provider\'s webhook key '
              f"({', '.join(WEBHOOK_SETTINGS.values())})", file=sys.stderr)
        return 2
    port = s.collect_port if port is None else port
    log.info("collector starting", extra={"settings": s.masked()})
    gc.collect()
    gc.freeze()  # the imports' objects out of the collector: young-generation sweeps only
    print(f"AccountPulse collector on http://{host}:{port}/  "
          f"({len(s.collect_write_keys)} write keys; webhooks: {', '.join(webhooks) or 'none'})"
          "  Ctrl-C stops it", flush=True)
    uvicorn.Server(http_server.config(
        app, host, port, s.http_request_timeout_seconds)).run()
    return 0


COMMANDS = [collect]
