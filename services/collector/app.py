"""The collector's HTTP service: ``POST /v1/events``, the website tag (``GET /tag.js``,
``POST /v1/tag``), the email providers' webhooks (``POST /v1/webhooks/{sendgrid,mailgun,
postmark}``) and ``GET /healthz``."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from services.collector import tags
from services.collector.bodies import TooLarge, UnsupportedEncoding, read_body
from services.collector.clients import client_address, find_key, write_key
from services.collector.limits import RateLimiter
from services.collector.payloads import BodyError, Item, check, split
from services.collector.producer import NotQueued, Publisher, Record, Unavailable
from services.collector.providers import (
    NotProviderShape,
    Receiver,
    Refused,
    mailgun,
    postmark,
    sendgrid,
)
from services.collector.replays import TokenLedger
from streams.settings import Settings, networks

TAG_JS = (Path(__file__).parent / "static" / "tag.js").read_bytes()
BEACON_MAX_BYTES = 64 << 10
log = logging.getLogger(__name__)


WEBHOOK_SETTINGS = {"sendgrid": "PULSE_SENDGRID_VERIFICATION_KEY",
                    "mailgun": "PULSE_MAILGUN_SIGNING_KEY",
                    "postmark": "PULSE_POSTMARK_WEBHOOK_AUTH"}


def receivers(settings: Settings) -> dict[str, Receiver]:
    """Each configured provider's ``receive``, bound to its key; ValueError (no start) for a
    SendGrid key that cannot be read."""
    out: dict[str, Receiver] = {}
    if settings.sendgrid_verification_key.strip():
        out["sendgrid"] = partial(sendgrid.receive,
                                  sendgrid.public_key(settings.sendgrid_verification_key))
    if settings.mailgun_signing_key is not None:
        out["mailgun"] = partial(mailgun.receive,
                                 settings.mailgun_signing_key.get_secret_value())
    if settings.postmark_webhook_auth is not None:
        out["postmark"] = partial(postmark.receive,
                                  settings.postmark_webhook_auth.get_secret_value())
    return out


def _error(status: int, message: str, retry_after: float | None = None) -> JSONResponse:
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _unreadable(err: ValueError) -> JSONResponse:
    status = (413 if isinstance(err, TooLarge) else 415 if isinstance(err, UnsupportedEncoding)
              else 400)
    return _error(status, str(err))


def _unavailable(err: Unavailable) -> JSONResponse:
    """503. What it promises is all that is true: records handed to the producer before the
    broker failed to acknowledge them may still land once it is back."""
    if isinstance(err, NotQueued):
        return _error(503, f"{err}: nothing was accepted; send again", retry_after=5)
    return _error(503, f"{err}: some of these events may still land; send them all again "
                       "(their event ids make a resend count once)", retry_after=5)


class Collector:
    def __init__(self, settings: Settings, publisher: Publisher | None = None) -> None:
        self.settings = settings
        self.publisher = publisher or Publisher(settings)
        self.trusted = networks(settings.collect_trusted_proxies)
        self.per_key = RateLimiter(settings.collect_rate_per_key)
        self.per_client = RateLimiter(settings.collect_rate_per_client)
        self.receivers = receivers(settings)
        self.ledger = TokenLedger(settings, self.publisher) if "mailgun" in self.receivers \
            else None

    def too_many(self, n: int) -> Response | None:
        limit = self.settings.collect_max_events
        return _error(413, f"{n} events in one request; at most {limit}") if n > limit else None

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
        except (TooLarge, UnsupportedEncoding, BodyError) as err:
            return _unreadable(err)
        if too_many := self.too_many(len(raws)):
            return too_many
        now = time.monotonic()
        for limiter, who in ((self.per_key, key.source), (self.per_client, self.client(request))):
            wait = limiter.take(who, len(raws), now)
            if wait:
                return _error(429, "rate limit: slow down", retry_after=wait)
        items = check(raws)
        try:
            await self.publish(items, key.source)
        except Unavailable as err:
            return _unavailable(err)
        results: list[dict[str, Any]] = [
            {"index": i.index, "status": "accepted", "event_id": i.event_id} if i.accepted else
            {"index": i.index, "status": "rejected", "error": i.error} for i in items]
        accepted = sum(1 for i in items if i.accepted)
        return JSONResponse({"accepted": accepted, "rejected": len(items) - accepted,
                             "events": results})

    async def publish(self, items: list[Item], source: str) -> None:
        """The accepted events, acknowledged (or Unavailable); then the rejected ones, which
        the pipeline dead-letters with their bytes. Rejected records are queued only once
        every accepted one is acknowledged, so a 503 leaves none behind, and a resend after
        it makes one dead letter each, not two (accepted events count once by their ids)."""
        headers = [("source", source.encode())]

        def records(accepted: bool) -> list[Record]:
            return [(i.topic, (i.event_id or f"rejected-{i.index}").encode(), i.raw, headers)
                    for i in items if i.accepted is accepted]

        await self.publisher.publish(records(True))
        try:
            await self.publisher.publish(records(False))
        except NotQueued:
            raise
        except Unavailable as err:  # queued: they land when the broker acknowledges them
            log.warning("dead letters of rejected events not yet acknowledged",
                        extra={"error": str(err)})

    async def tag_js(self, request: Request) -> Response:
        return Response(TAG_JS, media_type="application/javascript", headers={
            "Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})

    async def tag(self, request: Request) -> Response:
        """The tag's beacons: the key in the body (a beacon cannot set headers), the page's
        origin among the key's, the address and user agent from the request."""
        origin = request.headers.get("origin", "")
        if request.method == "OPTIONS":  # a preflight carries no key: any key's origin will do
            if not any(origin in k.origins for k in self.settings.collect_write_keys):
                return _error(403, "origin not allowed")
            return Response(status_code=204, headers={
                "Access-Control-Allow-Origin": origin, "Vary": "Origin",
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "600"})
        try:
            key_text, beacons = tags.parse(await read_body(request, BEACON_MAX_BYTES))
        except (TooLarge, UnsupportedEncoding, BodyError) as err:
            return _unreadable(err)
        key = find_key(key_text, self.settings.collect_write_keys)
        if key is None:
            return _error(401, "unknown write key")
        if origin not in key.origins:
            return _error(403, f"origin {origin[:200]!r} is not allowed for this key")
        cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        if tags.opted_out(request.headers):  # the tag is silent then; a copied one is too
            return Response(status_code=204, headers=cors)
        client = self.client(request)
        wait = self.per_client.take(client, max(len(beacons), 1), time.monotonic())
        if wait:
            return _error(429, "rate limit: slow down", retry_after=wait)
        now = datetime.now(UTC)
        ua = request.headers.get("user-agent", "")
        events = [e for e in (tags.contract_event(b, client, ua, now) for b in beacons[:50]) if e]
        items = check([json.dumps(e, separators=(",", ":")).encode() for e in events])
        try:
            await self.publish(items, key.source)
        except Unavailable as err:
            return _unavailable(err)
        return Response(status_code=204, headers=cors)

    async def webhook(self, request: Request) -> Response:
        """A provider's request: verified, its opens and clicks published (each checked by
        the pipeline's decoder: a refused one is dead-lettered), the rest counted as
        ignored. 2xx only once Kafka has them; 401 tells the provider to retry later."""
        provider = request.path_params["provider"]
        if provider not in WEBHOOK_SETTINGS:
            return _error(404, f"no webhook for {provider[:40]!r}: "
                               f"one of {', '.join(WEBHOOK_SETTINGS)}")
        receive = self.receivers.get(provider)
        if receive is None:
            return _error(404, f"the {provider} webhook is not configured: set "
                               f"{WEBHOOK_SETTINGS[provider]}")
        wait = self.per_client.take(self.client(request), 1, time.monotonic())
        if wait:
            return _error(429, "rate limit: slow down", retry_after=wait)
        try:
            body = await read_body(request, self.settings.collect_max_body_bytes)
            contract_events, ignored = receive(request.headers, body, time.time(),
                                               self.settings.webhook_max_age_seconds)
        except (TooLarge, UnsupportedEncoding, BodyError) as err:
            return _unreadable(err)
        except Refused as err:
            log.warning("webhook refused", extra={"provider": provider, "why": str(err)})
            return _error(401, str(err))
        except NotProviderShape as err:
            return _error(400, str(err))
        if provider == "mailgun" and self.ledger is not None:
            try:
                first_use = await self.ledger.claim(*mailgun.signed(body))
            except Unavailable as err:
                return _unavailable(err)
            if not first_use:
                log.warning("webhook refused", extra={"provider": provider,
                                                      "why": "signature token used before"})
                return _error(401, "this Mailgun signature token already signed another "
                                   "event (a replayed signature)")
        if too_many := self.too_many(len(contract_events)):
            return too_many
        items = check([json.dumps(e, separators=(",", ":")).encode() for e in contract_events])
        try:
            await self.publish(items, provider)
        except Unavailable as err:
            return _unavailable(err)
        accepted = sum(1 for i in items if i.accepted)
        return JSONResponse({"accepted": accepted, "rejected": len(items) - accepted,
                             "ignored": ignored})

    async def healthz(self, request: Request) -> Response:
        """Ready: the broker takes records (a load balancer stops sending while it does not,
        instead of each request waiting for its 503)."""
        if await self.publisher.reachable():
            return PlainTextResponse("ok")
        return PlainTextResponse("broker not reachable", status_code=503)

    async def livez(self, request: Request) -> Response:
        """Alive: the process answers (restart it only when this fails)."""
        return PlainTextResponse("ok")


def create_app(settings: Settings, publisher: Publisher | None = None) -> Starlette:
    c = Collector(settings, publisher)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        if c.ledger is not None:
            await c.ledger.close()
        await c.publisher.close()

    return Starlette(routes=[
        Route("/v1/events", c.events, methods=["POST"]),
        Route("/tag.js", c.tag_js),
        Route("/v1/tag", c.tag, methods=["POST", "OPTIONS"]),
        Route("/v1/webhooks/{provider}", c.webhook, methods=["POST"]),
        Route("/healthz", c.healthz),
        Route("/livez", c.livez),
    ], lifespan=lifespan)
