"""A request body as events: one JSON object, a JSON array, or NDJSON; each event checked
with the pipeline's own decoder, so what the collector accepts the pipeline lands, and what
it rejects gets the reason the pipeline would give."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from streams.ingest.codecs import TOPIC_OF_TYPE, DecodeError, decode


class BodyError(ValueError):
    """The body as a whole cannot be read (not one of the three shapes)."""


def loads(data: bytes | str) -> Any:
    """``json.loads`` whose every refusal is a ValueError: a body nested deeper than the
    parser's recursion limit raises RecursionError, which no ``except ValueError`` catches
    (a 60 KB ``[[[...]]]`` answered 500 with a traceback)."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None


@dataclass(frozen=True)
class Item:
    index: int
    raw: bytes  # the event's own bytes: what is published, what a dead letter keeps
    topic: str  # input topic name (without prefix)
    event_id: str = ""
    error: str = ""  # '' = accepted

    @property
    def accepted(self) -> bool:
        return not self.error


def split(body: bytes, content_type: str = "") -> list[bytes]:
    """The events' bytes: an array's elements re-encoded, NDJSON's lines, or the body."""
    text = body.strip()
    if not text:
        raise BodyError("empty body: send one event, a JSON array of events, or NDJSON")
    ndjson = "ndjson" in content_type or "jsonlines" in content_type
    if text[:1] == b"[" and not ndjson:
        try:
            return _elements(text)
        except (ValueError, RecursionError):
            return [text]  # one record, rejected with the decoder's reason
    if text[:1] == b"{" and not ndjson:
        try:
            one = loads(text)
        except ValueError:
            one = None
        if isinstance(one, dict):  # one event, perhaps pretty-printed over several lines
            return [text]
    return [line for line in text.split(b"\n") if line.strip()]


def _elements(array: bytes) -> list[bytes]:
    """Each element of a JSON array as the sender wrote it (its own bytes, not re-encoded:
    a dead letter keeps exactly what arrived). ValueError if it is not one JSON array."""
    text = array.decode("utf-8")
    decoder = json.JSONDecoder()
    out: list[bytes] = []
    i = _skip(text, 1)
    if text[i:i + 1] == "]":
        return out if _skip(text, i + 1) == len(text) else _not_array()
    while True:
        _, end = decoder.raw_decode(text, i)
        out.append(text[i:end].encode("utf-8"))
        i = _skip(text, end)
        if text[i:i + 1] == ",":
            i = _skip(text, i + 1)
            continue
        if text[i:i + 1] == "]" and _skip(text, i + 1) == len(text):
            return out
        return _not_array()


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _not_array() -> list[bytes]:
    raise ValueError("not one JSON array")


def check(raws: list[bytes]) -> list[Item]:
    items = []
    for i, raw in enumerate(raws):
        try:
            event = decode(raw)
        except DecodeError as err:
            items.append(Item(i, raw, _topic_guess(raw), error=str(err)))
            continue
        items.append(Item(i, raw, TOPIC_OF_TYPE[event.type], event_id=event.event_id))
    return items


def _topic_guess(raw: bytes) -> str:
    """Where a rejected event goes to be dead-lettered: its type's topic when it names one."""
    try:
        kind = loads(raw).get("type")
    except (ValueError, AttributeError):
        kind = None
    return TOPIC_OF_TYPE.get(kind, "web_visits") if isinstance(kind, str) else "web_visits"
