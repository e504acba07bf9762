"""The website tag's beacons (``POST /v1/tag``) as contract events: the browser says what
happened (a page, an ad landing, an identify); the collector adds what the browser cannot
be trusted with: the time, the address and the user agent of the request."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.collector.payloads import BodyError, loads

_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


class BeaconError(BodyError):
    pass


def opted_out(headers: Mapping[str, str]) -> bool:
    """Do Not Track or Global Privacy Control: the tag sends nothing then, and the server
    lands nothing (a copy of the tag that ignores them, or a replayed beacon)."""
    return headers.get("sec-gpc", "").strip() == "1" or headers.get("dnt", "").strip() == "1"


def parse(body: bytes) -> tuple[str, list[dict[str, Any]]]:
    """(write key, beacon events); BeaconError if it is not a tag's beacon."""
    try:
        data = loads(body)
    except ValueError:
        raise BeaconError("not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("key"), str) \
            or not isinstance(data.get("events"), list):
        raise BeaconError('expected {"key": ..., "events": [...]}')
    return data["key"], [e for e in data["events"] if isinstance(e, dict)]


def _text(value: object, limit: int = 2048) -> str | None:
    return value[:limit] if isinstance(value, str) and value.strip() else None


def contract_event(beacon: dict[str, Any], ip: str, user_agent: str,
                   now: datetime) -> dict[str, Any] | None:
    """The event a beacon stands for, or None for a kind the tag never sends."""
    kind = beacon.get("kind")
    raw_id = beacon.get("id")
    event_id = f"t-{raw_id}" if isinstance(raw_id, str) and _ID.match(raw_id) else None
    common: dict[str, Any] = {"event_id": event_id, "ts": now.isoformat(), "ip": ip,
                              "url": _text(beacon.get("url")), "user_agent": user_agent[:2048],
                              "anonymous_id": _text(beacon.get("anonymous_id"), 128)}
    if kind in ("page", "identify"):
        event = {"type": "web_visit", **common, "referrer": _text(beacon.get("referrer"))}
        if kind == "identify":
            event["email"] = _text(beacon.get("email"), 320)
        return {k: v for k, v in event.items() if v is not None or k in ("url", "email")}
    if kind == "ad":
        return {k: v for k, v in {
            "type": "ad_click", **common, "campaign_id": _text(beacon.get("campaign"), 256),
            "platform": _text(beacon.get("platform"), 64)}.items()
            if v is not None or k == "campaign_id"}
    return None
