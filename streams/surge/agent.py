"""The surge role: account activity in, sales alerts out.

Activity waits in a buffer until the pipeline's event-time watermark has passed each touch,
is evaluated against the accounts' landed history (the warehouse is the truth, so restarts
and rebalances need no state beyond ``abm.surge_episodes``), then:

1. new alerts are written to ``abm.surge_alerts`` (ids already there are skipped),
2. every alert raised goes to the ``surge_alerts`` topic,
3. the episode state is written,
4. the messages are acked.

A crash before 3 is repaired on the next read: the state is brought up to the account's
latest stored alert, which is published again with its id (consumers deduplicate). An
account whose activity cannot be evaluated for a reason about the data is recorded in
``abm.surge_errors`` and acked; it never blocks the others.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import faust
from faust.types import EventT

from schemas.alerts import SurgeAlert
from streams import failpoints
from streams.blocking import Blocking
from streams.config import hygiene_rules, surge_rules
from streams.reference.state import ReferenceData
from streams.retries import retrying
from streams.settings import Settings
from streams.surge.activity import ActivityBuffer, read_activity
from streams.surge.batch import SurgeError, account_infos, error_of, evaluate_batch, to_model
from streams.surge.detection import AccountInfo
from streams.surge.episodes import Episode
from streams.surge.store import AlertStore
from streams.surge.watermarks import SourceWatermarks
from streams.warehouse.events import ClickHouseSink
from streams.warehouse.failures import isolate

log = logging.getLogger("pulse.surge")


@dataclass
class SurgeStats:
    evaluated: int = 0  # touches read as alerting points
    ticks: int = 0
    alerts: int = 0
    waiting: int = 0  # activity messages held: waiting for the watermark, or evaluating
    positions: dict[tuple[str, int], int] = field(default_factory=dict)  # acked up to


class SurgeDetection:
    def __init__(self, settings: Settings, sink: ClickHouseSink, reference: ReferenceData,
                 alerts: Any) -> None:
        self.settings = settings
        self.sink = sink
        self.reference = reference
        self.alerts = alerts  # the faust topic
        self.store = AlertStore(sink)
        self.rules, self.hygiene = surge_rules(settings), hygiene_rules(settings)
        self.stats = SurgeStats()
        self.sources = SourceWatermarks(settings.watermark_idle_seconds)
        self.buffer = ActivityBuffer()
        self.blocking = Blocking("surge")
        self._priors: dict[int, Mapping[str, float]] = {}
        self._infos: tuple[int, dict[str, AccountInfo]] = (-1, {})

    def infos(self) -> dict[str, AccountInfo]:
        """Account names, tiers, customers and owners, rebuilt when reference data is."""
        if self._infos[0] != self.reference.version:
            self._infos = (self.reference.version, account_infos(self.reference))
        return self._infos[1]

    def priors_for(self, day: int) -> Mapping[str, float]:
        if day not in self._priors:
            if len(self._priors) > 8:
                self._priors.pop(min(self._priors))
            self._priors[day] = self.store.tier_priors(self.infos(), day)
        return self._priors[day]

    def detect(self, bodies: list[dict[str, Any]]) -> tuple[list[SurgeAlert], list[Episode]]:
        infos = self.infos()
        raised, episodes, resend = evaluate_batch(self.store, infos, self.rules, self.hygiene,
                                                  self.priors_for, bodies)
        models = [to_model(a, infos.get(a.surge.account_id) or AccountInfo(),
                           self.store.context(a.surge.account_id, a.surge.window_start,
                                              a.surge.window_end)) for a in raised]
        self.store.save_alerts(models)
        return resend + models, episodes

    def detect_isolated(self, bodies: list[dict[str, Any]], taken: list[EventT],
                        ) -> tuple[list[SurgeAlert], list[Episode], list[SurgeError]]:
        """``detect``, account by account when a batch fails for a reason about the data:
        the accounts it cannot evaluate are recorded, the others are read as usual."""
        by_account: dict[str, list[int]] = defaultdict(list)
        for i, body in enumerate(bodies):
            by_account[body["account_id"]].append(i)
        units = list(by_account.values())
        models: list[SurgeAlert] = []
        episodes: list[Episode] = []

        def run(part: Sequence[list[int]]) -> None:
            got = self.detect([bodies[i] for unit in part for i in unit])
            models.extend(got[0])
            episodes.extend(got[1])

        failed = isolate(units, run, self.sink.ping)
        errors = [error_of(taken[i], bodies[i]["account_id"], json.dumps(bodies[i]),
                           f"surge detection failed: {why}")
                  for j, why in failed for i in units[j]]
        return models, episodes, errors

    def save(self, episodes: list[Episode], errors: list[SurgeError]) -> None:
        self.store.save_episodes(episodes)
        self.store.save_errors(errors)

    async def agent(self, stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async def ack(event: EventT) -> None:
            await stream.ack(event)
            tp = (event.message.topic, event.message.partition)
            self.stats.positions[tp] = max(self.stats.positions.get(tp, 0),
                                           event.message.offset + 1)

        batches = stream.noack_take(  # type: ignore[attr-defined]
            self.settings.batch_size, within=self.settings.watermark_interval_seconds)
        async for events in batches:
            await self.hold(events, ack)
            # Counted until acked: a drain ends on waiting == 0 and positions past the ends,
            # and a later watermark's ack moves the position past activity still evaluating.
            self.stats.waiting = self.buffer.waiting
            bodies, taken = self.buffer.take(self.sources.low(time.monotonic()))
            if bodies:
                await self.evaluate(bodies, taken)
                for e in self.buffer.settle(taken):  # acked once all its parts are read
                    await ack(e)
                self.stats.waiting = self.buffer.waiting
            yield None

    async def hold(self, events: Sequence[EventT], ack: Any) -> None:
        """Watermarks are noted and acked; touches and ticks wait in the buffer; what
        cannot be read is recorded and acked."""
        unreadable: list[SurgeError] = []
        for event in events:
            try:
                body = read_activity(event.message.value)
            except ValueError as err:
                raw = event.message.value or b""
                unreadable.append(error_of(event, "", raw[:65536].decode("utf-8", "replace"),
                                           f"unreadable activity: {err}"))
                await ack(event)
                continue
            if "watermark" in body:
                self.sources.observe(body["source"], body["watermark"] / 1000, time.monotonic())
                await ack(event)
            elif not self.buffer.add(event, body):
                await ack(event)
        if unreadable:
            await retrying(partial(self.blocking, self.store.save_errors, unreadable), log,
                           "recording surge errors failed; retrying")

    async def evaluate(self, bodies: list[dict[str, Any]], taken: list[EventT]) -> None:
        await asyncio.sleep(failpoints.delay("slow_detection"))
        models, episodes, errors = await retrying(
            partial(self.blocking, self.detect_isolated, bodies, taken), log,
            "surge detection failed; retrying")
        sent = [await self.alerts.send(key=m.account_id.encode(),
                                       value=m.model_dump_json(by_alias=True).encode())
                for m in models]
        for fut in sent:
            await fut
        failpoints.hit("after_alert_sent")
        await retrying(partial(self.blocking, self.save, episodes, errors), log,
                       "saving episodes failed; retrying")
        self.stats.evaluated += sum(len(b.get("touches", ())) for b in bodies)
        self.stats.ticks += sum(1 for b in bodies if "tick" in b)
        self.stats.alerts += len(sent)
        if sent:
            log.info("alerts raised", extra={"alerts": len(sent)})
