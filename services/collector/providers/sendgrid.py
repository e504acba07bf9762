"""SendGrid's Event Webhook: a JSON array of events, signed with ECDSA (P-256, SHA-256)
over the timestamp header followed by the raw body; the verification key is the base64
public key from SendGrid's Mail Settings."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from services.collector.providers import (
    Refused,
    contract,
    first,
    fresh,
    json_body,
    provider_id,
    text,
    unix_time,
)

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
KINDS = {"open": "email_open", "click": "email_click"}


def public_key(value: str) -> ec.EllipticCurvePublicKey:
    """The verification key as SendGrid shows it (base64 DER; PEM armour allowed)."""
    body = "".join(line for line in value.strip().splitlines() if "-----" not in line)
    try:
        key = load_der_public_key(base64.b64decode(body, validate=True))
    except (ValueError, binascii.Error):
        raise ValueError("PULSE_SENDGRID_VERIFICATION_KEY is not a base64 public key "
                         "(copy it from SendGrid's Event Webhook settings)") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("PULSE_SENDGRID_VERIFICATION_KEY is not an elliptic-curve key")
    return key


def verify(key: ec.EllipticCurvePublicKey, signature: str | None, timestamp: str | None,
           body: bytes, now: float, max_age: float) -> None:
    """Refused unless ``signature`` signs ``timestamp + body`` and the timestamp is fresh."""
    if not signature or not timestamp:
        raise Refused(f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER}")
    try:
        key.verify(base64.b64decode(signature, validate=True), timestamp.encode() + body,
                   ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error):
        raise Refused("the SendGrid signature does not match the body") from None
    fresh(timestamp, now, max_age)


def receive(key: ec.EllipticCurvePublicKey, headers: Mapping[str, str], body: bytes,
            now: float, max_age: float) -> tuple[list[dict[str, Any]], int]:
    verify(key, headers.get(SIGNATURE_HEADER), headers.get(TIMESTAMP_HEADER), body, now,
           max_age)
    return events(body)


def events(body: bytes) -> tuple[list[dict[str, Any]], int]:
    """(contract events, how many of the provider's events were not opens or clicks)."""
    batch = json_body(body, list, "SendGrid posts a JSON array of events")
    out = [translate(e) for e in batch
           if isinstance(e, dict) and isinstance(e.get("event"), str) and e["event"] in KINDS]
    return out, len(batch) - len(out)


def translate(e: dict[str, Any]) -> dict[str, Any]:
    kind = KINDS[e["event"]]
    return contract(kind, {
        "event_id": provider_id("sendgrid", e.get("sg_event_id")),
        "ts": unix_time(e.get("timestamp")),
        "email": e.get("email"),
        # custom_args arrive as top-level fields: a sender's own campaign id wins
        "campaign_id": first(e.get("campaign_id"), e.get("marketing_campaign_id"),
                             e.get("singlesend_id"), e.get("category")) or "sendgrid",
        "url": e.get("url") if kind == "email_click" else None,
        "ip": text(e.get("ip")),
        "user_agent": text(e.get("useragent")),
        "machine": "apple" if e.get("sg_machine_open") is True else None,
    })
