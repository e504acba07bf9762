"""How the collector and the web app serve HTTP: uvicorn with httptools, with the limits
uvicorn leaves out. Without them, four unfinished 64 MB headers took the collector from 95
to 358 MB, and slow clients (a header byte a second, a chunked body with no end) held their
connections for ever (uvicorn#157: no header-size limit with httptools, no request timeout).

- A request's headers may take ``max_header_bytes``; more is answered 431 and closed.
- A request must arrive whole (headers and body) within ``request_seconds`` of its first
  byte; a slower one is answered 408 (or cut, once an answer has begun) and closed. The
  time the app takes to answer is not limited: the clock stops when the request is in.
- Client addresses are the connection's: ``proxy_headers=False``. uvicorn's default
  rewrote the client from X-Forwarded-For for any loopback peer, before the collector's
  own PULSE_COLLECT_TRUSTED_PROXIES check could refuse it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEADER_BYTES = 64 << 10
REQUEST_SECONDS = 30.0


def _answer(status: int, reason: str) -> bytes:
    body = reason.encode()
    return (f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n").encode() + body


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, bounded in header size and in time to receive."""

    max_header_bytes = MAX_HEADER_BYTES
    request_seconds = REQUEST_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_bytes = 0
        self._in_headers = True
        self._deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._deadline is None:  # the first byte of a request starts its clock
            self._deadline = self.loop.call_later(self.request_seconds, self._too_slow)
        if self._in_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if self._in_headers and self._header_bytes > self.max_header_bytes:
            self._refuse(431, "Request Header Fields Too Large")

    def on_headers_complete(self) -> None:
        self._in_headers = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._received()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._received()
        super().connection_lost(exc)

    def _received(self) -> None:
        """The request is in (or the connection gone): the next one starts afresh."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._in_headers = True
        self._header_bytes = 0

    def _too_slow(self) -> None:
        self._deadline = None
        self._refuse(408, "Request Timeout")

    def _refuse(self, status: int, reason: str) -> None:
        if self.transport.is_closing():
            return
        cycle = self.cycle  # the previous request's, while a new one's headers arrive
        if cycle is None or cycle.response_complete or not cycle.response_started:
            self.transport.write(_answer(status, reason))
        self.transport.close()


def config(app: Any, host: str, port: int, request_seconds: float = REQUEST_SECONDS,
           max_header_bytes: int = MAX_HEADER_BYTES) -> uvicorn.Config:
    """The uvicorn configuration both HTTP services run with."""
    protocol = type("GuardedProtocol", (GuardedProtocol,), {
        "request_seconds": request_seconds, "max_header_bytes": max_header_bytes})
    return uvicorn.Config(app, host=host, port=port, http=protocol, proxy_headers=False,
                          log_level="warning", access_log=False, server_header=False)
