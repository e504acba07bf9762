"""Where an alert goes and what it looks like there. Pure, but for name resolution.

Routing: a destination with ``tiers`` or ``owners`` takes only the alerts of accounts in
those tiers or owned by those people. Bodies: the alert JSON signed the Standard Webhooks
way (``webhook-id`` = alert_id, ``webhook-timestamp``, ``webhook-signature``), or a Slack
incoming-webhook message. Addresses: a destination resolving to a loopback, private,
link-local or otherwise non-public address is refused unless its network is explicitly
allowed; the check runs on the address each connection is about to use (``guarded_socket``),
for names and literals alike, so neither DNS nor a spelling of an address (IDNA dots,
full-width digits, IPv6 forms that embed IPv4) can slip an internal one in.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook
from yarl import URL

from schemas.alerts import SurgeAlert
from streams.settings import AlertDestination, Network


class RefusedDestination(Exception):
    """The destination resolves to an address alerts may not be sent to."""


def routes(alert: SurgeAlert, destinations: Sequence[AlertDestination]) -> list[AlertDestination]:
    return [d for d in destinations
            if (not d.tiers or alert.tier in d.tiers)
            and (not d.owners or alert.owner_email.lower() in {o.lower() for o in d.owners})]


def slack_escape(text: str) -> str:
    """Slack's mrkdwn control characters, as its docs require: names, reasons and URLs come
    from publishers and must not turn into links, mentions or markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(alert: SurgeAlert) -> dict[str, Any]:
    title = {"surge": "is surging", "spike": "is spiking right now",
             "cooling": "is cooling (churn risk)", "escalation": "is heating up further",
             "mqa": "is a marketing-qualified account"}
    measure = "fit" if alert.kind == "mqa" else "score"
    headline = (f"*{slack_escape(alert.account_name)}* {title[alert.kind]} "
                f"({measure} {alert.score:.0f}/100)")
    lines = [headline, slack_escape(alert.reason)]
    for o in alert.open_opportunities:
        lines.append(f"Open opportunity: {slack_escape(o.name or o.opportunity_id)} "
                     f"({slack_escape(o.stage)}, {o.currency} {float(o.amount):,.2f})")
    if alert.top_pages:
        lines.append("Top pages: " + ", ".join(slack_escape(p) for p in alert.top_pages))
    if alert.top_campaigns:
        lines.append("Campaigns: " + ", ".join(slack_escape(c) for c in alert.top_campaigns))
    if alert.owner_email:
        lines.append(f"Owner: {slack_escape(alert.owner_email)}")
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


# IPv6 forms that carry an IPv4 address the packets end up at: NAT64 (RFC 6052, 8215) and
# the IPv4-compatible form (deprecated, ::a.b.c.d); 6to4 and Teredo are read by ipaddress.
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for (mapped, compatible, NAT64, 6to4,
    Teredo), which is where a connection to it may really go."""
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if any(ip in n for n in (*_NAT64, _V4_COMPATIBLE)) and int(ip) > 1:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def allowed(address: str, networks: Sequence[Network]) -> bool:
    """Public unicast addresses, or any address inside an explicitly allowed network. An
    IPv6 address that embeds an IPv4 one is judged by that one too."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if any(ip in n for n in networks):
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner:
            return all(allowed(str(v4), networks) for v4 in inner)
    return ip.is_global and not ip.is_multicast


def refusal(host: str, addresses: Sequence[str] = ()) -> str:
    where = f"{host} resolves to {', '.join(addresses)}" if addresses else host
    return (f"{where}: loopback, private, link-local or reserved addresses are refused "
            "(allow a network with PULSE_ALERT_ALLOW_NETWORKS)")


def check_literal(url: str, networks: Sequence[Network]) -> None:
    """An early, clear refusal for an address written in the URL, read as the HTTP client
    reads it (IDNA: '127。0。0。1' and full-width digits are 127.0.0.1). The guard that
    counts is ``guarded_socket``: the address actually connected to."""
    host = URL(url).host or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return  # a name: the socket guard checks what it resolves to
    if not allowed(host, networks):
        raise RefusedDestination(refusal(host))


class RefusedAddress(OSError):
    """Raised by the socket guard: the connection would go to a refused address."""


def guarded_socket(networks: Sequence[Network]) -> Callable[[Any], socket.socket]:
    """aiohttp's socket factory: called with the address a connection is about to use
    (resolved names and literals alike), it refuses before any packet is sent."""
    nets = list(networks)

    def factory(addr_info: Any) -> socket.socket:
        family, kind, proto, _, sockaddr = addr_info
        if not allowed(str(sockaddr[0]), nets):
            raise RefusedAddress(refusal(str(sockaddr[0])))
        return socket.socket(family=family, type=kind, proto=proto)

    return factory
