"""The tests' one set of event factories: each event type's contract shape, written once.
A test passes what matters to it and takes the rest as defaults: a real browser's user
agent, yesterday noon (the session clock), a documentation address."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.support.clock import yesterday_noon

# Safari 17.1 on macOS, as sites receive it (a real browser's string, not a made-up one).
BROWSER_UA = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) Version/17.1 Safari/605.1.15")
SITE = "https://vendor.example"


def when(ts: datetime | str | None) -> str:
    if ts is None:
        return yesterday_noon().isoformat()
    return ts if isinstance(ts, str) else ts.isoformat()


def web_visit(event_id: str, ip: str = "198.51.100.10", *, ts: datetime | str | None = None,
              path: str = "/", user_agent: str = BROWSER_UA, **extra: Any) -> dict[str, Any]:
    return {"event_id": event_id, "type": "web_visit", "ts": when(ts), "ip": ip,
            "url": f"{SITE}{path}", "user_agent": user_agent, **extra}


def email_open(event_id: str, email: str, *, ts: datetime | str | None = None,
               campaign_id: str = "q4", **extra: Any) -> dict[str, Any]:
    return {"event_id": event_id, "type": "email_open", "ts": when(ts), "email": email,
            "campaign_id": campaign_id, **extra}


def ad_click(event_id: str, ip: str, *, ts: datetime | str | None = None,
             campaign_id: str = "li-q4", **extra: Any) -> dict[str, Any]:
    return {"event_id": event_id, "type": "ad_click", "ts": when(ts), "ip": ip,
            "campaign_id": campaign_id, **extra}
