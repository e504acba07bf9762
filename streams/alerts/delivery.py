"""Webhook delivery: each alert from ``surge_alerts`` to every destination routed to it.

Attempts back off exponentially (``alert_retry_seconds`` doubling) and all carry the same
``webhook-id`` (the alert id), so a receiver that saw an earlier attempt deduplicates.
Every outcome lands in ``abm.alert_deliveries``: a destination that already took an
alert is skipped when the alert comes again (a restart re-reads uncommitted alerts), and
what failed after the last attempt stays in ``abm.failed_deliveries`` for ops.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import aiohttp
import faust

from schemas.alerts import SurgeAlert
from streams.alerts.destinations import (
    RefusedAddress,
    RefusedDestination,
    check_literal,
    guarded_socket,
    parse_networks,
    request,
    routes,
)
from streams.retries import retrying
from streams.settings import AlertDestination, Settings
from streams.surge.agent import SurgeError
from streams.surge.store import AlertStore
from streams.topics import SURGE_ALERTS
from streams.warehouse.events import ClickHouseSink
from streams.warehouse.failures import reason

log = logging.getLogger("pulse.alerts")
DELIVERY_COLUMNS = ["alert_id", "destination", "status", "attempts", "http_status", "error",
                    "first_attempt_at", "finished_at"]


@dataclass(frozen=True)
class Outcome:
    alert_id: str
    destination: str
    status: str  # delivered | failed | refused
    attempts: int
    http_status: int
    error: str
    first_attempt_at: datetime
    finished_at: datetime


class Deliverer:
    def __init__(self, settings: Settings,
                 sleep: Callable[[float], Any] = asyncio.sleep) -> None:
        self.settings = settings
        self.positions: dict[tuple[str, int], int] = {}  # alerts handled, up to
        self.in_flight = 0
        self.networks = parse_networks(settings.alert_allow_networks)
        self.sleep = sleep
        self._session: aiohttp.ClientSession | None = None

    async def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(socket_factory=guarded_socket(self.networks))
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def deliver(self, alert: SurgeAlert, dest: AlertDestination) -> Outcome:
        s = self.settings
        first = datetime.now(UTC)
        status, error = 0, ""
        for attempt in range(1, s.alert_max_attempts + 1):
            try:
                check_literal(dest.url, self.networks)
                body, headers = request(alert, dest, datetime.now(UTC))
                session = await self.session()
                async with session.post(dest.url, data=body, headers=headers,
                                        timeout=aiohttp.ClientTimeout(
                                            total=s.alert_timeout_seconds),
                                        allow_redirects=False) as resp:
                    status = resp.status
                    if 200 <= status < 300:
                        return Outcome(alert.alert_id, dest.name, "delivered", attempt, status,
                                       "", first, datetime.now(UTC))
                    error = f"HTTP {status}: {(await resp.text())[:200]}"
            except (RefusedDestination, aiohttp.InvalidURL) as err:  # no attempt can succeed
                return Outcome(alert.alert_id, dest.name, "refused", attempt, 0,
                               f"{type(err).__name__}: {err}", first, datetime.now(UTC))
            except (aiohttp.ClientError, TimeoutError, OSError) as err:
                refused = refused_by_guard(err)
                if refused is not None:
                    return Outcome(alert.alert_id, dest.name, "refused", attempt, 0, refused,
                                   first, datetime.now(UTC))
                status, error = 0, f"{type(err).__name__}: {err}"
            if attempt < s.alert_max_attempts:
                await self.sleep(s.alert_retry_seconds * 2 ** (attempt - 1))
        log.warning("alert delivery failed", extra={"alert_id": alert.alert_id,
                                                    "destination": dest.name, "error": error})
        return Outcome(alert.alert_id, dest.name, "failed", s.alert_max_attempts, status, error,
                       first, datetime.now(UTC))


def refused_by_guard(err: BaseException) -> str | None:
    """The guard's refusal, however aiohttp wrapped it (connector error, happy eyeballs)."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, RefusedAddress):
            return str(seen)
        nested = getattr(seen, "os_error", None) or seen.__cause__ or seen.__context__
        seen = nested if nested is not seen else None
    return None


def delivered(sink: ClickHouseSink, alert_id: str) -> set[str]:
    return {r[0] for r in sink.query(
        "SELECT destination FROM abm.alert_deliveries FINAL "
        "WHERE alert_id = {id:String} AND status = 'delivered'", {"id": alert_id})}


def record(sink: ClickHouseSink, outcomes: list[Outcome]) -> None:
    if outcomes:
        with sink.lock:
            sink.client.insert("abm.alert_deliveries", [list(astuple(o)) for o in outcomes],
                               column_names=DELIVERY_COLUMNS)


def register_delivery(app: faust.App, settings: Settings, sink: ClickHouseSink) -> Deliverer:
    deliverer = Deliverer(settings)
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pulse-alerts")
    topic = app.topic(settings.topic(SURGE_ALERTS), key_type=bytes, value_type=bytes,
                      key_serializer="raw", value_serializer="raw")

    async def in_executor(fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)

    # One alert at a time, its destinations in parallel. (Alerts are rare; several actors
    # per agent made faust's supervisor treat a clean stop as a crash loop.)
    async def deliver_safely(alert: SurgeAlert, dest: AlertDestination) -> Outcome:
        try:
            return await deliverer.deliver(alert, dest)
        except Exception as err:  # a destination must never take the agent down
            log.error("alert delivery crashed", exc_info=err,
                      extra={"alert_id": alert.alert_id, "destination": dest.name})
            now = datetime.now(UTC)
            return Outcome(alert.alert_id, dest.name, "failed", 1, 0,
                           f"{type(err).__name__}: {err}"[:500], now, now)

    # One alert at a time, its destinations in parallel. (Alerts are rare; several actors
    # per agent made faust's supervisor treat a clean stop as a crash loop.)
    @app.agent(topic, name="alert_delivery")
    async def deliver(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for event in stream.events():
            deliverer.in_flight += 1
            try:
                alert = SurgeAlert.model_validate_json(event.value)
            except ValueError as err:  # not an alert we wrote: recorded, skipped
                m = event.message
                await retrying(partial(in_executor, AlertStore(sink).save_errors, [SurgeError(
                    m.topic, m.partition, m.offset, "", (event.value or b"")[:65536].decode(
                        "utf-8", "replace"), f"unreadable alert: {reason(err)}")]),
                    log, "recording an unreadable alert failed; retrying")
                alert = None
            try:
                targets = routes(alert, settings.alert_destinations) if alert else []
                if alert is not None and targets:
                    done = await retrying(partial(in_executor, delivered, sink, alert.alert_id),
                                          log, "reading deliveries failed; retrying")
                    todo = [d for d in targets if d.name not in done]
                    outcomes = await asyncio.gather(*(deliver_safely(alert, d) for d in todo))
                    await retrying(partial(in_executor, record, sink, list(outcomes)), log,
                                   "recording deliveries failed; retrying")
            finally:
                deliverer.in_flight -= 1
            tp = (event.message.topic, event.message.partition)
            deliverer.positions[tp] = max(deliverer.positions.get(tp, 0),
                                          event.message.offset + 1)
            yield None

    async def close_session(app: Any, **_: Any) -> None:
        await deliverer.close()

    app.on_before_shutdown.connect(close_session)  # type: ignore[arg-type]

    return deliverer
