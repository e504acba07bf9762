"""Raw Kafka bytes -> validated event, or a reason a human can act on."""

from __future__ import annotations

import json

from pydantic import ValidationError

from schemas.events import EVENT_MODELS, Event

MAX_EVENT_BYTES = 1_000_000
TOPIC_OF_TYPE = {"web_visit": "web_visits", "email_open": "email_opens", "ad_click": "ad_clicks"}


class DecodeError(ValueError):
    """The record cannot become an event; ``str(err)`` is the dead-letter reason."""


def decode(raw: bytes | None, topic_name: str | None = None) -> Event:
    """Decode one record. ``topic_name`` (without prefix) checks the type belongs there."""
    if raw is None or len(raw) == 0:
        raise DecodeError("empty record: no value")
    if len(raw) > MAX_EVENT_BYTES:
        raise DecodeError(f"record too large: {len(raw)} bytes (limit {MAX_EVENT_BYTES})")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DecodeError(f"invalid UTF-8 at byte {err.start}: {err.reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise DecodeError(
            f"invalid JSON: {err.msg} at line {err.lineno} column {err.colno}"
        ) from None
    except RecursionError:
        raise DecodeError("invalid JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise DecodeError(f"expected a JSON object, got {type(data).__name__}")
    kind = data.get("type")
    model = EVENT_MODELS.get(kind) if isinstance(kind, str) else None
    if model is None or not isinstance(kind, str):
        expected = ", ".join(sorted(EVENT_MODELS))
        raise DecodeError(f"unknown event type {kind!r} (expected one of {expected})")
    if topic_name is not None and TOPIC_OF_TYPE[kind] != topic_name:
        raise DecodeError(f"event type {kind!r} does not belong on topic {topic_name!r}")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise DecodeError(_describe(err)) from None


def _describe(err: ValidationError) -> str:
    """Every field's problem, each bounded: a reason quotes what was sent, and what was
    sent can be a megabyte."""
    parts = []
    for e in err.errors(include_url=False, include_input=False):
        where = shorten(".".join(str(p) for p in e["loc"]) or "event", 80)
        msg = shorten(e["msg"].removeprefix("Value error, "), 200)
        parts.append(f"field '{where}': {msg}")
    return shorten("; ".join(parts), 1000)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit - 20]}... ({len(text):,} chars)"
