"""Postmark's open and click webhooks: one JSON record per request, authenticated by the
HTTP basic-auth credentials in the webhook URL (Postmark signs nothing)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from services.collector.providers import (
    Refused,
    contract,
    first,
    iso_time,
    json_body,
    mapping,
    text,
)

KINDS = {"Open": "email_open", "Click": "email_click"}


def verify(expected: str, authorization: str | None) -> None:
    """Refused unless the request carries ``user:password`` as basic auth."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not token:
        raise Refused("missing basic-auth credentials (put user:password in the webhook URL)")
    try:
        given = base64.b64decode(token.strip(), validate=True)
    except (ValueError, binascii.Error):
        raise Refused("malformed basic-auth credentials") from None
    if not hmac.compare_digest(given, expected.encode()):
        raise Refused("wrong basic-auth credentials")


def receive(credentials: str, headers: Mapping[str, str], body: bytes, now: float,
            max_age: float) -> tuple[list[dict[str, Any]], int]:
    """Postmark signs nothing, so there is no timestamp to age."""
    verify(credentials, headers.get("authorization"))
    return events(body)


def events(body: bytes) -> tuple[list[dict[str, Any]], int]:
    record = json_body(body, dict, "Postmark posts one JSON record")
    if _kind(record) is None:
        return [], 1
    return [translate(record)], 0


def _kind(r: dict[str, Any]) -> str | None:
    """Open or Click; Postmark's first open webhooks named no RecordType but had FirstOpen."""
    kind = r.get("RecordType", "Open" if "FirstOpen" in r else None)
    return KINDS.get(kind) if isinstance(kind, str) else None


def translate(r: dict[str, Any]) -> dict[str, Any]:
    kind = _kind(r) or "email_open"
    geo, metadata = mapping(r.get("Geo")), mapping(r.get("Metadata"))
    return contract(kind, {
        "event_id": _event_id(r),
        "ts": iso_time(r.get("ReceivedAt")),
        "email": r.get("Recipient"),
        "campaign_id": first(metadata.get("campaign_id"), r.get("Tag"),
                             r.get("MessageStream")) or "postmark",
        "url": r.get("OriginalLink") if kind == "email_click" else None,
        "ip": text(geo.get("IP")),
        "user_agent": text(r.get("UserAgent")),
    })


def _event_id(r: dict[str, Any]) -> str:
    """Postmark gives records no id of their own; a retry repeats the same record, so its
    message, recipient, time and link name it."""
    parts = [str(r.get(k, "")) for k in ("RecordType", "MessageID", "Recipient", "ReceivedAt",
                                          "OriginalLink")]
    return "postmark:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
