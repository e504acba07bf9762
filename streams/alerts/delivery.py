"""The delivery role: each alert from ``surge_alerts`` to every destination routed to it.

Attempts back off exponentially (``alert_retry_seconds`` doubling, tenacity) and all carry
the same ``webhook-id`` (the alert id), re-signed each time, so a receiver that saw an
earlier attempt deduplicates. Every outcome lands in ``abm.alert_deliveries``: a
destination that already took an alert is skipped when the alert comes again (a restart
re-reads uncommitted alerts), and what failed after the last attempt stays in
``abm.failed_deliveries`` for ops. An alert of an account in the control group is recorded
as held back (status ``control``) and sent nowhere. No destination and no message can take
the agent down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import aiohttp
import faust
from tenacity import AsyncRetrying, retry_if_result, stop_after_attempt, wait_exponential

from infra import query
from schemas.alerts import SurgeAlert
from streams.alerts.contacts import CONTACTS_SQL, named
from streams.alerts.destinations import (
    RefusedAddress,
    RefusedDestination,
    check_literal,
    guarded_socket,
    request,
    routes,
)
from streams.blocking import Blocking
from streams.config import scoring_rules
from streams.retries import retrying
from streams.settings import AlertDestination, AlertSettings, Settings, networks
from streams.surge.batch import SurgeError
from streams.surge.store import AlertStore
from streams.warehouse.events import ClickHouseSink
from streams.warehouse.failures import reason

log = logging.getLogger("pulse.alerts")
DELIVERY_COLUMNS = ["alert_id", "destination", "status", "attempts", "http_status", "error",
                    "first_attempt_at", "finished_at"]


@dataclass(frozen=True)
class Outcome:
    alert_id: str
    destination: str
    status: str  # delivered | failed | refused | control (held back: not worked)
    attempts: int
    http_status: int
    error: str
    first_attempt_at: datetime
    finished_at: datetime


class Deliverer:
    def __init__(self, settings: AlertSettings,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.settings = settings
        self.networks = networks(settings.alert_allow_networks)
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
        """Attempts until delivered, refused (no attempt can succeed) or out of attempts."""
        s = self.settings
        first = datetime.now(UTC)
        attempts = 0

        async def attempt() -> Outcome:
            nonlocal attempts
            attempts += 1
            return await self._attempt(alert, dest, attempts, first)

        outcome: Outcome = await AsyncRetrying(
            stop=stop_after_attempt(s.alert_max_attempts), sleep=self.sleep,
            wait=wait_exponential(multiplier=s.alert_retry_seconds, max=3600),
            retry=retry_if_result(lambda o: o.status == "failed"),
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )(attempt)
        if outcome.status == "failed":
            log.warning("alert delivery failed", extra={"alert_id": alert.alert_id,
                                                        "destination": dest.name,
                                                        "error": outcome.error})
        return outcome

    async def _attempt(self, alert: SurgeAlert, dest: AlertDestination, n: int,
                       first: datetime) -> Outcome:
        def done(status: str, http: int, error: str) -> Outcome:
            return Outcome(alert.alert_id, dest.name, status, n, http, error, first,
                           datetime.now(UTC))

        try:
            check_literal(dest.url, self.networks)
            body, headers = request(alert, dest, datetime.now(UTC))  # re-signed each time
            session = await self.session()
            async with session.post(dest.url, data=body, headers=headers,
                                    timeout=aiohttp.ClientTimeout(
                                        total=self.settings.alert_timeout_seconds),
                                    allow_redirects=False) as resp:
                if 200 <= resp.status < 300:
                    return done("delivered", resp.status, "")
                return done("failed", resp.status,
                            f"HTTP {resp.status}: {(await resp.text())[:200]}")
        except (RefusedDestination, aiohttp.InvalidURL) as err:  # no attempt can succeed
            return done("refused", 0, f"{type(err).__name__}: {err}")
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            refused = refused_by_guard(err)
            if refused is not None:
                return done("refused", 0, refused)
            return done("failed", 0, f"{type(err).__name__}: {err}")


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


def in_control(sink: ClickHouseSink, account_id: str) -> bool:
    """The account is in the control group in force: the programme leaves it alone."""
    return bool(sink.query("SELECT 1 FROM abm.control_current WHERE account_id = {id:String} "
                           "AND arm = 'control'", {"id": account_id}))


def record(sink: ClickHouseSink, outcomes: list[Outcome]) -> None:
    sink.insert("abm.alert_deliveries", [list(astuple(o)) for o in outcomes], DELIVERY_COLUMNS)


class Delivery:
    """The agent: one alert at a time, its destinations in parallel. (Alerts are rare;
    several actors per agent made faust's supervisor treat a clean stop as a crash loop.)"""

    def __init__(self, settings: Settings, sink: ClickHouseSink) -> None:
        self.settings = settings
        self.sink = sink
        self.deliverer = Deliverer(settings)
        self.rules = scoring_rules(settings)
        self.blocking = Blocking("alerts")
        self.positions: dict[tuple[str, int], int] = {}  # alerts handled, up to
        self.in_flight = 0
        self.handled = 0

    async def deliver_safely(self, alert: SurgeAlert, dest: AlertDestination) -> Outcome:
        try:
            return await self.deliverer.deliver(alert, dest)
        except Exception as err:  # a destination must never take the agent down
            log.error("alert delivery crashed", exc_info=err,
                      extra={"alert_id": alert.alert_id, "destination": dest.name})
            now = datetime.now(UTC)
            return Outcome(alert.alert_id, dest.name, "failed", 1, 0,
                           f"{type(err).__name__}: {err}"[:500], now, now)

    def named(self, alert: SurgeAlert) -> SurgeAlert:
        """The alert with its known contacts named and its account's open opportunities,
        as of now (blocking: queries)."""
        rows = (self.sink.query(CONTACTS_SQL, {"keys": alert.contact_keys})
                if alert.contact_keys else [])
        deals = self.sink.query(query("account_open_opportunities"),
                                {"accounts": [alert.account_id], "at": alert.detected_at})
        return named(alert, rows, self.rules, deals)

    async def handle(self, raw: bytes | None, where: tuple[str, int, int]) -> None:
        try:
            alert = SurgeAlert.model_validate_json(raw or b"")
        except ValueError as err:  # not an alert we wrote: recorded, skipped
            error = SurgeError(*where, "", (raw or b"")[:65536].decode("utf-8", "replace"),
                               f"unreadable alert: {reason(err)}")
            await retrying(partial(self.blocking, AlertStore(self.sink).save_errors, [error]),
                           log, "recording an unreadable alert failed; retrying")
            return
        targets = routes(alert, self.settings.alert_destinations)
        if not targets:
            return
        if await retrying(partial(self.blocking, in_control, self.sink, alert.account_id), log,
                          "reading the control group failed; retrying"):
            now = datetime.now(UTC)  # recorded, so the feed says why it was not sent
            held = [Outcome(alert.alert_id, d.name, "control", 0, 0,
                            "control account: not worked", now, now) for d in targets]
            await retrying(partial(self.blocking, record, self.sink, held), log,
                           "recording deliveries failed; retrying")
            return
        alert = await retrying(partial(self.blocking, self.named, alert), log,
                               "naming the alert's contacts failed; retrying")
        done = await retrying(partial(self.blocking, delivered, self.sink, alert.alert_id),
                              log, "reading deliveries failed; retrying")
        outcomes = await asyncio.gather(*(self.deliver_safely(alert, d) for d in targets
                                          if d.name not in done))
        await retrying(partial(self.blocking, record, self.sink, list(outcomes)), log,
                       "recording deliveries failed; retrying")

    async def agent(self, stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async for event in stream.events():
            m = event.message
            self.in_flight += 1
            try:
                await self.handle(event.value, (m.topic, m.partition, m.offset))
            finally:
                self.in_flight -= 1
            tp = (m.topic, m.partition)
            self.positions[tp] = max(self.positions.get(tp, 0), m.offset + 1)
            self.handled += 1
            yield None

    async def close(self, *_: Any, **__: Any) -> None:
        await self.deliverer.close()
