"""What each event contributes to an account's engagement roll-up.

The stream computes, per event, its channel, a person key and a score; ClickHouse sums
them per account, day and channel (``abm.account_engagement_daily``) over the
de-duplicated events, so the roll-up can never disagree with ``abm.events``.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
from urllib.parse import urlsplit

from schemas.events import AdClick, EmailOpen, Event, WebVisit

# Simple weights for the first slice; versioned, configurable rules come with scoring.
HIGH_INTENT_PATHS = ("/pricing", "/demo", "/contact-sales", "/trial", "/quote")
WEIGHTS = {"web_visit": 1.0, "web_visit_high_intent": 5.0, "email_open": 0.5, "ad_click": 2.0}


def is_high_intent(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return any(path == p or path.startswith(p + "/") for p in HIGH_INTENT_PATHS)


def score_of(event: Event) -> float:
    if isinstance(event, WebVisit):
        key = "web_visit_high_intent" if is_high_intent(event.url) else "web_visit"
        return WEIGHTS[key]
    if isinstance(event, EmailOpen):
        return WEIGHTS["email_open"]
    if isinstance(event, AdClick):
        return WEIGHTS["ad_click"]
    raise TypeError(f"not an event: {event!r}")


def keyed(secret: bytes, raw: str) -> str:
    """Keyed (HMAC) hash: a plain hash of an email is reversible by dictionary."""
    return hmac.new(secret, raw.encode(), hashlib.blake2b).hexdigest()[:32]


def person_key(event: Event, secret: bytes) -> str:
    """Names the person behind an event: known email, else visitor id, else IP."""
    fields = event.__dict__
    email, anonymous_id, ip = fields.get("email"), fields.get("anonymous_id"), fields.get("ip")
    if email:
        return keyed(secret, "e:" + email)
    if anonymous_id:
        return keyed(secret, "a:" + anonymous_id)
    return keyed(secret, "i:" + (ip or event.event_id))


def truncate_ip(ip: str) -> str:
    """What is kept of an IP after attribution: IPv4 /24, IPv6 /48 (personal data)."""
    if not ip:
        return ""
    if ":" not in ip:
        return ip.rsplit(".", 1)[0] + ".0"
    packed = socket.inet_pton(socket.AF_INET6, ip)
    if packed[:12] == b"\0" * 10 + b"\xff\xff":
        return "::ffff:" + socket.inet_ntop(socket.AF_INET, packed[12:15] + b"\0")
    return socket.inet_ntop(socket.AF_INET6, packed[:6] + b"\0" * 10)


def visitor_key(event: Event, secret: bytes) -> str:
    """Names the browser / device (anonymous id), "" when the event has none."""
    anonymous_id = event.__dict__.get("anonymous_id")
    return keyed(secret, "a:" + anonymous_id) if anonymous_id else ""
