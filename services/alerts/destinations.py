"""Where an alert goes and what it looks like there. Pure, but for name resolution.

Routing: a destination with ``tiers`` or ``owners`` takes only the alerts of accounts in
those tiers or owned by those people. Bodies: the alert JSON signed the Standard Webhooks
way (``webhook-id`` = alert_id, ``webhook-timestamp``, ``webhook-signature``), or a Slack
incoming-webhook message. Addresses: a destination resolving to a loopback, private,
link-local or otherwise non-public address is refused unless its network is explicitly
allowed; the check runs on the addresses the connection will actually use (see
``GuardedResolver``), so DNS cannot swap a public name for an internal one in between.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from standardwebhooks import Webhook

from schemas.alerts import SurgeAlert
from streams.settings import AlertDestination

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class RefusedDestination(Exception):
    """The destination resolves to an address alerts may not be sent to."""


def routes(alert: SurgeAlert, destinations: Sequence[AlertDestination]) -> list[AlertDestination]:
    return [d for d in destinations
            if (not d.tiers or alert.tier in d.tiers)
            and (not d.owners or alert.owner_email.lower() in {o.lower() for o in d.owners})]


def slack_message(alert: SurgeAlert) -> dict[str, Any]:
    title = {"surge": "is surging", "spike": "is spiking right now",
             "cooling": "is cooling (churn risk)", "escalation": "is heating up further"}
    headline = f"*{alert.account_name}* {title[alert.kind]} (score {alert.score:.0f}/100)"
    lines = [headline, alert.reason]
    if alert.top_pages:
        lines.append("Top pages: " + ", ".join(alert.top_pages))
    if alert.top_campaigns:
        lines.append("Campaigns: " + ", ".join(alert.top_campaigns))
    if alert.owner_email:
        lines.append(f"Owner: {alert.owner_email}")
    text = "\n".join(lines)
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn",
                                                                  "text": text}}]}


def request(alert: SurgeAlert, destination: AlertDestination,
            now: datetime) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one delivery attempt (the id stays; the time is now)."""
    if destination.format == "slack":
        body = json.dumps(slack_message(alert), separators=(",", ":"))
    else:
        body = alert.model_dump_json(by_alias=True)
    headers = {"content-type": "application/json", "webhook-id": alert.alert_id,
               "webhook-timestamp": str(int(now.timestamp()))}
    if destination.secret is not None:
        headers["webhook-signature"] = Webhook(destination.secret.get_secret_value()).sign(
            alert.alert_id, now, body)
    return body.encode(), headers


def parse_networks(spec: str) -> list[Network]:
    return [ipaddress.ip_network(n.strip(), strict=False) for n in spec.split(";") if n.strip()]


def allowed(address: str, networks: Sequence[Network]) -> bool:
    """Public unicast addresses, or any address inside an explicitly allowed network."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in n for n in networks):
        return True
    return ip.is_global and not ip.is_multicast


def check_literal(url: str, networks: Sequence[Network]) -> None:
    """aiohttp does not resolve IP literals, so those are checked here."""
    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return  # a name: GuardedResolver checks what it resolves to
    if not allowed(host, networks):
        raise RefusedDestination(
            f"{host} is a loopback, private, link-local or reserved address and is refused "
            "(allow its network with PULSE_ALERT_ALLOW_NETWORKS)")


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that drops refused addresses: the connection can only go where the
    check said yes."""

    def __init__(self, networks: Sequence[Network]) -> None:
        self.networks = list(networks)
        self.inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: int = 0) -> list[ResolveResult]:
        results = await self.inner.resolve(host, port, family)  # type: ignore[arg-type]
        ok = [r for r in results if allowed(r["host"], self.networks)]
        if not ok:
            raise RefusedDestination(
                f"{host} resolves to {', '.join(sorted({r['host'] for r in results}))}: "
                "loopback, private, link-local or reserved addresses are refused "
                "(allow a network with PULSE_ALERT_ALLOW_NETWORKS)")
        return ok

    async def close(self) -> None:
        await self.inner.close()
