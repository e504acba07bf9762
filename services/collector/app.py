"""The collector's HTTP service: ``POST /v1/events`` and ``GET /healthz``."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from services.collector.clients import client_address, networks, write_key
from services.collector.limits import RateLimiter
from services.collector.payloads import BodyError, check, split
from services.collector.producer import Publisher, Record, Unavailable
from streams.settings import Settings


class TooLarge(ValueError):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing more than ``limit`` bytes without reading further."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"body over {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str, retry_after: float | None = None) -> JSONResponse:
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class Collector:
    def __init__(self, settings: Settings, publisher: Publisher | None = None) -> None:
        self.settings = settings
        self.publisher = publisher or Publisher(settings)
        self.trusted = networks(settings.collect_trusted_proxies)
        self.per_key = RateLimiter(settings.collect_rate_per_key)
        self.per_client = RateLimiter(settings.collect_rate_per_client)

    def client(self, request: Request) -> str:
        peer = request.client.host if request.client else ""
        return client_address(peer, request.headers.get("x-forwarded-for"), self.trusted)

    async def events(self, request: Request) -> Response:
        key = write_key(request.headers, self.settings.collect_write_keys)
        if key is None:
            return _error(401, "unknown or missing write key (Authorization: Bearer KEY)")
        try:
            body = await read_body(request, self.settings.collect_max_body_bytes)
            raws = split(body, request.headers.get("content-type", ""))
        except TooLarge as err:
            return _error(413, str(err))
        except BodyError as err:
            return _error(400, str(err))
        if len(raws) > self.settings.collect_max_events:
            return _error(413, f"{len(raws)} events in one request; at most "
                               f"{self.settings.collect_max_events}")
        now = time.monotonic()
        for limiter, who in ((self.per_key, key.source), (self.per_client, self.client(request))):
            wait = limiter.take(who, len(raws), now)
            if wait:
                return _error(429, "rate limit: slow down", retry_after=wait)
        items = check(raws)
        headers = [("source", key.source.encode())]
        records: list[Record] = [
            (i.topic, (i.event_id or f"rejected-{i.index}").encode(), i.raw, headers)
            for i in items]  # rejected ones too: the pipeline dead-letters them with their bytes
        try:
            await self.publisher.publish(records)
        except Unavailable as err:
            return _error(503, f"{err}; nothing was accepted, send again", retry_after=5)
        results: list[dict[str, Any]] = [
            {"index": i.index, "status": "accepted", "event_id": i.event_id} if i.accepted else
            {"index": i.index, "status": "rejected", "error": i.error} for i in items]
        accepted = sum(1 for i in items if i.accepted)
        return JSONResponse({"accepted": accepted, "rejected": len(items) - accepted,
                             "events": results})

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")


def create_app(settings: Settings, publisher: Publisher | None = None) -> Starlette:
    c = Collector(settings, publisher)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await c.publisher.close()

    return Starlette(routes=[
        Route("/v1/events", c.events, methods=["POST"]),
        Route("/healthz", c.healthz),
    ], lifespan=lifespan)
