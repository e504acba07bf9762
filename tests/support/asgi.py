"""One HTTP request to an ASGI app in-process, for unit tests of a page's answer that
need no server (the servers themselves are tested through real sockets)."""

from __future__ import annotations

import asyncio
from typing import Any


def request(app: Any, path: str, method: str = "GET",
            headers: dict[str, str] | None = None, body: bytes = b"") -> tuple[int, bytes]:
    """(status, body) of one request."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 8080),
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
