"""The surge agent: account activity in, sales alerts out.

Each batch of ``account_activity`` waits until the pipeline's event-time watermark has
passed it, is evaluated against the accounts' landed history (the warehouse is the truth,
so restarts and rebalances need no state beyond ``abm.surge_episodes``), then:

1. new alerts are written to ``abm.surge_alerts`` (ids already there are skipped),
2. every alert the batch raised goes to the ``surge_alerts`` topic,
3. the episode state is written,
4. the batch is acked.

A crash before 3 raises the same alerts again with the same ids (consumers and webhook
receivers deduplicate on them); a crash after 3 finds the episodes open and stays quiet.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import faust
from faust.types import EventT

from schemas.alerts import SurgeAlert
from streams import failpoints
from streams.reference.state import ReferenceData
from streams.retries import retrying
from streams.settings import Settings
from streams.surge.activity import ActivityBuffer, SourceWatermarks, read_activity
from streams.surge.detection import AccountInfo, Detector
from streams.surge.episodes import Alert, Episode, HygieneRules
from streams.surge.model import DAY, HOUR, LOOKBACK_DAYS, SurgeRules, Touch
from streams.surge.store import AlertStore, utc
from streams.topics import ACCOUNT_ACTIVITY, SURGE_ALERTS
from streams.warehouse.events import ClickHouseSink
from streams.warehouse.failures import isolate

log = logging.getLogger("pulse.surge")


@dataclass
class SurgeStats:
    evaluated: int = 0  # touches read as alerting points
    ticks: int = 0
    alerts: int = 0
    waiting: int = 0  # activity held: waiting for the watermark, or being evaluated
    positions: dict[tuple[str, int], int] = field(default_factory=dict)  # acked up to


def account_infos(reference: ReferenceData) -> dict[str, AccountInfo]:
    return {a: AccountInfo(acc.name, acc.tier, bool(getattr(acc, "customer", False)),
                           getattr(acc, "owner_email", None) or "")
            for a, acc in list(reference.accounts.items())}


def evaluate_batch(store: AlertStore, infos: Mapping[str, AccountInfo], rules: SurgeRules,
                   hygiene: HygieneRules, priors_for: Callable[[int], Mapping[str, float]],
                   bodies: list[dict[str, Any]]) -> tuple[list[Alert], list[Episode], list[Any]]:
    """Replay the touched accounts' history up to their newest point, reading surges at
    the batch's touches and cooling at its ticks, exactly as ``detect_all`` would.

    Returns the alerts raised, the episodes changed, and stored alerts whose state was
    never saved (a crash between storing and publishing them): publish those again."""
    points: dict[str, set[str]] = defaultdict(set)
    ticks: dict[str, list[float]] = defaultdict(list)
    last: dict[str, float] = {}
    for body in bodies:
        account = body["account_id"]
        for ts_ms, event_id in body.get("touches", ()):
            points[account].add(event_id)
            last[account] = max(last.get(account, 0.0), ts_ms / 1000)
        if "tick" in body:
            ticks[account].append(body["tick"] / 1000)
            last[account] = max(last.get(account, 0.0), body["tick"] / 1000)
    if not last:
        return [], [], []
    accounts = sorted(last)
    first = min([ts_ms / 1000 for b in bodies for ts_ms, _ in b.get("touches", ())]
                + [t for days in ticks.values() for t in days])
    # Raw touches cover the daily window before the earliest point (breadth needs who);
    # everything older comes aggregated by hour.
    raw_from = (int((first - rules.daily_window_hours * HOUR) // HOUR) - 1) * HOUR
    episodes, resend = store.state(accounts)
    detector = Detector(infos, rules, hygiene, priors_for, episodes)
    store.prime(detector, accounts, raw_from - LOOKBACK_DAYS * DAY, raw_from)
    stream: list[tuple[float, int, str, str, Touch | None]] = [
        (t.ts, 1, event_id, a, t)
        for a, event_id, t in store.touches(accounts, raw_from, max(last.values()))]
    stream += [(d, 0, "", a, None) for a, days in ticks.items() for d in days]
    stream.sort(key=lambda x: x[:3])  # a tick reads the data before its midnight
    raised: list[Alert] = []
    for ts, _, event_id, account, touch in stream:
        if ts > last[account]:
            continue
        if touch is None:
            raised += detector.close_day(account, ts)
        else:
            raised += detector.observe(account, touch, alert=event_id in points[account])
    return raised, [detector.episodes[k] for k in sorted(detector.changed)], resend


def to_model(alert: Alert, info: AccountInfo, context: tuple[list[str], list[str]]
             ) -> SurgeAlert:
    s = alert.surge
    return SurgeAlert(
        alert_id=alert.alert_id, account_id=s.account_id, account_name=info.name or s.account_id,
        tier=info.tier, owner_email=info.owner_email, kind=alert.kind,
        mode=s.mode, detected_at=utc(alert.detected_at),
        window_start=utc(s.window_start), window_end=utc(s.window_end), score=s.score,
        baseline_multiple=s.multiple, people=s.people, new_people=s.new_people,
        high_intent=s.high_intent, recent=s.recent, expected=s.expected, reason=s.reason,
        top_pages=context[0], top_campaigns=context[1],
        episode_started_at=utc(alert.episode_started_at), level=alert.level)


def _advance(positions: dict[tuple[str, int], int], event: EventT) -> None:
    tp = (event.message.topic, event.message.partition)
    positions[tp] = max(positions.get(tp, 0), event.message.offset + 1)


@dataclass(frozen=True)
class SurgeError:
    """Activity (or an alert) that could not be handled: recorded, acked, never blocking."""

    topic: str
    partition: int
    offset: int
    account_id: str
    payload: str
    error: str


def error_of(event: EventT, account_id: str, payload: str, error: str) -> SurgeError:
    m = event.message
    return SurgeError(m.topic, m.partition, m.offset, account_id, payload, error)


def register_surge(app: faust.App, settings: Settings, sink: ClickHouseSink,
                   reference: ReferenceData) -> SurgeStats:
    stats = SurgeStats()
    store = AlertStore(sink)
    rules, hygiene = settings.surge_rules(), settings.hygiene_rules()
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pulse-surge")
    sources = SourceWatermarks(settings.watermark_idle_seconds)
    buffer = ActivityBuffer()
    priors: dict[int, Mapping[str, float]] = {}
    activity = app.topic(settings.topic(ACCOUNT_ACTIVITY), key_type=bytes, value_type=bytes,
                         key_serializer="raw", value_serializer="raw")
    alerts_topic = app.topic(settings.topic(SURGE_ALERTS), key_type=bytes, value_type=bytes,
                             key_serializer="raw", value_serializer="raw")

    known: dict[str, Any] = {"attributor": None, "infos": {}}

    def detect(bodies: list[dict[str, Any]]) -> tuple[list[SurgeAlert], list[Episode]]:
        if known["attributor"] is not reference.attributor:  # reference data reloaded
            known.update(attributor=reference.attributor, infos=account_infos(reference))
        infos = known["infos"]

        def priors_for(day: int) -> Mapping[str, float]:
            if day not in priors:
                if len(priors) > 8:
                    priors.pop(min(priors))
                priors[day] = store.tier_priors(infos, day)
            return priors[day]

        raised, episodes, resend = evaluate_batch(store, infos, rules, hygiene, priors_for,
                                                  bodies)
        models = [to_model(a, infos.get(a.surge.account_id) or AccountInfo(),
                           store.context(a.surge.account_id, a.surge.window_start,
                                         a.surge.window_end)) for a in raised]
        store.save_alerts(models)
        return resend + models, episodes

    def detect_isolated(bodies: list[dict[str, Any]], taken: list[EventT],
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
            got = detect([bodies[i] for unit in part for i in unit])
            models.extend(got[0])
            episodes.extend(got[1])

        failed = isolate(units, run, sink.ping)
        errors = [error_of(taken[i], bodies[i]["account_id"], json.dumps(bodies[i]),
                           f"surge detection failed: {why}")
                  for j, why in failed for i in units[j]]
        return models, episodes, errors

    def save(episodes: list[Episode], errors: list[SurgeError]) -> None:
        store.save_episodes(episodes)
        store.save_errors(errors)

    async def in_executor(fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)

    @app.agent(activity, name="surge")
    async def surge(stream: faust.StreamT[bytes]) -> AsyncIterator[None]:
        async def ack(event: EventT) -> None:
            await stream.ack(event)
            _advance(stats.positions, event)

        batches = stream.noack_take(  # type: ignore[attr-defined]
            settings.batch_size, within=settings.watermark_interval_seconds)
        async for events in batches:
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
                    sources.observe(body["source"], body["watermark"] / 1000, time.monotonic())
                    await ack(event)
                elif not buffer.add(event, body):
                    await ack(event)
            if unreadable:
                await retrying(partial(in_executor, store.save_errors, unreadable), log,
                               "recording surge errors failed; retrying")
            # Counted until acked: a drain ends on waiting == 0 and positions past the ends,
            # and a later watermark's ack moves the position past activity still evaluating.
            stats.waiting = buffer.waiting
            bodies, taken = buffer.take(sources.low(time.monotonic()))
            if not bodies:
                yield None
                continue
            await asyncio.sleep(failpoints.delay("slow_detection"))
            models, episodes, errors = await retrying(
                partial(in_executor, detect_isolated, bodies, taken), log,
                "surge detection failed; retrying")
            sent = [await alerts_topic.send(key=m.account_id.encode(),
                                            value=m.model_dump_json(by_alias=True).encode())
                    for m in models]
            for fut in sent:
                await fut
            failpoints.hit("after_alert_sent")
            await retrying(partial(in_executor, save, episodes, errors), log,
                           "saving episodes failed; retrying")
            for e in buffer.settle(taken):  # a message is acked once all its parts are read
                await ack(e)
            stats.waiting = buffer.waiting
            stats.evaluated += sum(len(b.get("touches", ())) for b in bodies)
            stats.ticks += sum(1 for b in bodies if "tick" in b)
            stats.alerts += len(sent)
            if sent:
                log.info("alerts raised", extra={"alerts": len(sent)})
            yield None

    return stats
