"""Mailgun's webhooks: one JSON event per request, ``{"signature": {timestamp, token,
signature}, "event-data": {...}}``, where ``signature`` is the hex HMAC-SHA256 of
timestamp + token under the domain's webhook signing key."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from services.collector.providers import (
    NotProviderShape,
    Refused,
    contract,
    first,
    fresh,
    json_body,
    mapping,
    provider_id,
    text,
    unix_time,
)

KINDS = {"opened": "email_open", "clicked": "email_click"}


SHAPE = 'Mailgun posts {"signature": {...}, "event-data": {...}}'


def receive(signing_key: str, headers: Mapping[str, str], body: bytes, now: float,
            max_age: float) -> tuple[list[dict[str, Any]], int]:
    data = parse(body)
    verify(signing_key, data["signature"], now, max_age)  # the signature is in the body
    return events(data)


def signed(body: bytes) -> tuple[str, Any]:
    """(token, what it signed) of a verified request: the token is to be used once, for
    this event only (Mailgun's own advice; ``services/collector/replays.py``)."""
    data = parse(body)
    return str(data["signature"]["token"]), data["event-data"]


def parse(body: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json_body(body, dict, SHAPE)
    if not all(isinstance(data.get(k), dict) for k in ("signature", "event-data")):
        raise NotProviderShape(SHAPE)
    return data


def verify(signing_key: str, signature: dict[str, Any], now: float, max_age: float) -> None:
    timestamp, token, given = (signature.get(k) for k in ("timestamp", "token", "signature"))
    if not all(isinstance(v, str) and v for v in (timestamp, token, given)):
        raise Refused("the Mailgun signature block lacks timestamp, token or signature")
    expected = hmac.new(signing_key.encode(), f"{timestamp}{token}".encode(),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), str(given).lower().encode()):
        raise Refused("the Mailgun signature does not match (check the webhook signing key)")
    fresh(timestamp, now, max_age)


def events(data: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    e = data["event-data"]
    if not isinstance(e.get("event"), str) or e["event"] not in KINDS:
        return [], 1
    return [translate(e)], 0


def translate(e: dict[str, Any]) -> dict[str, Any]:
    kind = KINDS[e["event"]]
    client, variables = mapping(e.get("client-info")), mapping(e.get("user-variables"))
    return contract(kind, {
        "event_id": provider_id("mailgun", e.get("id")),
        "ts": unix_time(e.get("timestamp")),
        "email": e.get("recipient"),
        "campaign_id": first(variables.get("campaign_id"), e.get("campaigns"),
                             e.get("tags")) or "mailgun",
        "url": e.get("url") if kind == "email_click" else None,
        "ip": text(e.get("ip")),
        "user_agent": text(client.get("user-agent")),
        "sent_at": unix_time(e["delivered-at"]) if e.get("delivered-at") else None,
        "machine": text(client.get("bot")),  # apple, gmail, generic; empty or null: a person
    })
