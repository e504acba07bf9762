"""Raw Kafka bytes -> validated event, or a reason a human can act on.

Two paths, one answer. The fast path hands the bytes to pydantic-core's own JSON parser and
a union of the event models picked by ``type`` (no Python dict in between). Anything it
does not accept goes down the careful path, which names the problem in the words the dead
letters have always used; a record the fast path accepts, the careful path accepts equally
(``tests/unit/test_codecs_paths.py`` holds them to it).
"""

from __future__ import annotations

import json
from typing import Annotated

from pydantic import Field, TypeAdapter, ValidationError

from schemas.events import EVENT_MODELS, AdClick, EmailClick, EmailOpen, Event, WebVisit

MAX_EVENT_BYTES = 1_000_000
TOPIC_OF_TYPE = {"web_visit": "web_visits", "email_open": "email_opens",
                 "email_click": "email_clicks", "ad_click": "ad_clicks"}


class DecodeError(ValueError):
    """The record cannot become an event; ``str(err)`` is the dead-letter reason, ``kind``
    its kind (``rows.KINDS``)."""

    def __init__(self, reason: str, kind: str = "schema_violation") -> None:
        super().__init__(reason)
        self.kind = kind


_ANY_EVENT: TypeAdapter[Event] = TypeAdapter(
    Annotated[WebVisit | EmailOpen | EmailClick | AdClick, Field(discriminator="type")])


def decode(raw: bytes | None, topic_name: str | None = None) -> Event:
    """Decode one record. ``topic_name`` (without prefix) checks the type belongs there."""
    if raw and len(raw) <= MAX_EVENT_BYTES:
        try:
            event = _ANY_EVENT.validate_json(raw)
        except Exception:  # whatever it is, the careful path says it properly
            pass
        else:
            if topic_name is None or TOPIC_OF_TYPE[event.type] == topic_name:
                return event
    return decode_carefully(raw, topic_name)


def decode_carefully(raw: bytes | None, topic_name: str | None = None) -> Event:
    """The path that names every problem (and the reference the fast path must agree with)."""
    if raw is None or len(raw) == 0:
        raise DecodeError("empty record: no value", "empty")
    if len(raw) > MAX_EVENT_BYTES:
        raise DecodeError(f"record too large: {len(raw)} bytes (limit {MAX_EVENT_BYTES})",
                          "too_large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DecodeError(f"invalid UTF-8 at byte {err.start}: {err.reason}", "not_utf8") \
            from None
    try:
        data = json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as err:
        raise DecodeError(
            f"invalid JSON: {err.msg} at line {err.lineno} column {err.colno}", "not_json"
        ) from None
    except RecursionError:
        raise DecodeError("invalid JSON: nested too deeply", "not_json") from None
    except _NotJson as err:
        raise DecodeError(str(err), "not_json") from None
    if not isinstance(data, dict):
        raise DecodeError(f"expected a JSON object, got {type(data).__name__}", "not_an_object")
    kind = data.get("type")
    model = EVENT_MODELS.get(kind) if isinstance(kind, str) else None
    if model is None or not isinstance(kind, str):
        expected = ", ".join(sorted(EVENT_MODELS))
        raise DecodeError(f"unknown event type {kind!r} (expected one of {expected})",
                          "unknown_type")
    if topic_name is not None and TOPIC_OF_TYPE[kind] != topic_name:
        raise DecodeError(f"event type {kind!r} does not belong on topic {topic_name!r}",
                          "wrong_topic")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise DecodeError(_describe(err)) from None


class _NotJson(ValueError):
    pass


def _not_json(name: str) -> object:
    """Python's json reads NaN and Infinity; RFC 8259 has no such values."""
    raise _NotJson(f"invalid JSON: {name} is not a JSON value")


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
