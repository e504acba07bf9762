"""Email providers' webhooks as contract events: each module verifies its provider's
signature scheme and turns the provider's opens and clicks into ``email_open`` and
``email_click`` events, with the provider's event id as ``event_id`` (its retries count once).

Translation never judges: a value the contract refuses is passed on as it came, so the
pipeline's decoder dead-letters the event with its own reason instead of it vanishing here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from services.collector.payloads import loads

# A provider's request as events: (headers, raw body, now, max age) -> (contract events,
# how many of the provider's events were not opens or clicks). Raises Refused or
# NotProviderShape. Each provider module's ``receive``, bound to its key.
Receiver = Callable[[Mapping[str, str], bytes, float, float], tuple[list[dict[str, Any]], int]]


class Refused(Exception):
    """Not provably from the provider: a bad or missing signature or credentials, or an
    expired timestamp (answered 401, so the provider retries once the key is fixed)."""


class NotProviderShape(ValueError):
    """Authentic, but not the provider's JSON shape (answered 400)."""


def json_body(body: bytes, expect: type, shape: str) -> Any:
    """The body as JSON of type ``expect``; NotProviderShape naming ``shape`` otherwise."""
    try:
        value = loads(body)
    except ValueError:
        raise NotProviderShape(f"not JSON: {shape}") from None
    if not isinstance(value, expect):
        raise NotProviderShape(shape)
    return value


def fresh(timestamp: object, now: float, max_age: float, future: float = 300.0) -> float:
    """The signed timestamp as seconds; Refused when it is absent, older than ``max_age``
    or further than ``future`` ahead (a replayed or forged request)."""
    try:
        at = float(str(timestamp))
    except ValueError:
        at = math.nan
    if not math.isfinite(at):
        raise Refused("the signature's timestamp is missing or not a number")
    if at < now - max_age:
        raise Refused(f"the signature's timestamp is {int(now - at)} s old "
                      f"(at most {int(max_age)} s accepted)")
    if at > now + future:
        raise Refused("the signature's timestamp is in the future")
    return at


def unix_time(value: object) -> object:
    """A provider's Unix timestamp as RFC 3339; anything else unchanged, for the decoder
    to refuse with its reason."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    try:
        return datetime.fromtimestamp(value, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return value


_ISO = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?$")


def iso_time(value: object) -> object:
    """An ISO 8601 time as the contract takes it: .NET's seven fraction digits cut to six,
    and no offset read as UTC (Postmark's older payloads carry none)."""
    m = _ISO.match(value) if isinstance(value, str) else None
    if m is None:
        return value
    fraction = f".{m.group(2)[:6]}" if m.group(2) else ""
    return f"{m.group(1)}{fraction}{m.group(3) or 'Z'}"


def text(value: object) -> str | None:
    """A non-empty string (numbers as text), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return value.strip() or None if isinstance(value, str) else None


def first(*values: object) -> str | None:
    for value in values:
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("id") or value.get("name")
        found = text(value)
        if found:
            return found
    return None


def mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def provider_id(provider: str, value: object) -> str | None:
    found = text(value)
    return f"{provider}:{found}" if found else None


def contract(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The contract event: absent optional fields left out, required ones kept (as None)
    so the decoder names what is missing."""
    required = {"email", "campaign_id", "ts"} | ({"url"} if kind == "email_click" else set())
    return {"type": kind, **{k: v for k, v in fields.items() if v is not None or k in required}}
