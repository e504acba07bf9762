"""The running stream graph, declared in one place: every topic, agent, timer and task.

A worker runs one or more roles; each role has its own consumer group and scales on its own:

    pipeline   web_visits, email_opens, email_clicks, ad_clicks ──agent `pipeline`──►
               abm.events,
               abm.dead_letters, topic dead_letters, topic account_activity (by account)
               timers: watermark (and day ticks), visitor links, learned IP blocks
               task: follow the reference topics
    surge      account_activity ──agent `surge`──► abm.surge_alerts, topic surge_alerts,
               abm.surge_episodes, abm.surge_errors
               timer: journey stages ──► abm.account_stage_changes, MQA alerts
               task: follow the reference topics (accounts only)
    delivery   surge_alerts ──agent `alert_delivery`──► webhooks, abm.alert_deliveries

Topics are declared once, with their partitions and limits, in ``topics.py``; here they
become Faust topics. Agents are thin loops over their modules' logic.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

import faust

from streams.alerts.delivery import Delivery
from streams.blocking import Blocking
from streams.ingest.batch import BatchResult
from streams.ingest.pipeline import Pipeline
from streams.ingest.rows import DeadLetterRow
from streams.reference.follower import follow
from streams.reference.state import ReferenceData
from streams.retries import retrying
from streams.settings import Settings
from streams.stages.live import StageEvaluation
from streams.surge.agent import SurgeDetection
from streams.topics import ACCOUNT_ACTIVITY, DEAD_LETTERS, INPUT_TOPICS, SURGE_ALERTS
from streams.warehouse.events import ClickHouseSink

log = logging.getLogger("pulse.reference")


class Role(StrEnum):
    PIPELINE = "pipeline"
    SURGE = "surge"
    DELIVERY = "delivery"


ALL_ROLES = frozenset(Role)


def consumer_group(settings: Settings, roles: Iterable[Role]) -> str:
    """A role's consumer group: PULSE_APP_ID for the pipeline (and for all roles in one
    process, the laptop shape), PULSE_APP_ID-surge and -delivery for those alone."""
    chosen = frozenset(roles)
    if Role.PIPELINE in chosen or chosen == ALL_ROLES:
        return settings.app_id
    return "-".join([settings.app_id, *sorted(chosen)])


@dataclass
class Topics:
    inputs: Any
    dead_letters: Any
    activity: Any
    alerts: Any

    @classmethod
    def declare(cls, app: faust.App, settings: Settings) -> Topics:
        def raw(*names: str) -> Any:
            return app.topic(*[settings.topic(n) for n in names], key_type=bytes,
                             value_type=bytes, key_serializer="raw", value_serializer="raw")

        return cls(inputs=raw(*INPUT_TOPICS), dead_letters=raw(DEAD_LETTERS),
                   activity=raw(ACCOUNT_ACTIVITY), alerts=raw(SURGE_ALERTS))


@dataclass(frozen=True)
class ReferenceStart:
    """Where the start-up catch-up of the reference topics stopped, and the dead letters
    of the records it could not read."""

    positions: dict[tuple[str, int], int]
    dead_letters: list[DeadLetterRow] = field(default_factory=list)


@dataclass
class Graph:
    """What a worker runs, for drains and summaries: the parts of its roles."""

    roles: frozenset[Role]
    pipeline: Pipeline | None = None
    surge: SurgeDetection | None = None
    stages: StageEvaluation | None = None
    delivery: Delivery | None = None
    tasks: list[Any] = field(default_factory=list)


def declare(app: faust.App, settings: Settings, roles: Iterable[Role], sink: ClickHouseSink,
            reference: ReferenceData, reference_start: ReferenceStart) -> Graph:
    roles = frozenset(roles)
    topics = Topics.declare(app, settings)
    graph = Graph(roles)
    if Role.PIPELINE in roles:
        p = graph.pipeline = Pipeline(settings, sink, reference, topics.dead_letters,
                                      topics.activity)
        app.agent(topics.inputs, name="pipeline")(p.agent)
        app.timer(settings.watermark_interval_seconds, name="watermark")(p.publish_watermark)
        app.timer(settings.reference_refresh_seconds, name="visitor_links")(p.refresh_links)
        app.timer(settings.learn_interval_seconds, name="learned_ip_blocks")(p.learn_ip_blocks)
    if Role.SURGE in roles:
        s = graph.surge = SurgeDetection(settings, sink, reference, topics.alerts)
        app.agent(topics.activity, name="surge")(s.agent)
        st = graph.stages = StageEvaluation(s, app, settings.topic(ACCOUNT_ACTIVITY))
        app.timer(settings.stage_interval_seconds, name="journey_stages")(st.tick)
    if Role.DELIVERY in roles:
        d = graph.delivery = Delivery(settings, sink)
        app.agent(topics.alerts, name="alert_delivery")(d.agent)
        app.on_before_shutdown.connect(d.close)
    if roles & {Role.PIPELINE, Role.SURGE}:
        rebuilds = Blocking("reference")

        async def dead_letters(rows: Sequence[DeadLetterRow]) -> None:
            """Unreadable reference records: in abm.dead_letters and on their topic, as
            the pipeline's are (each worker finds them; their position keeps one row)."""
            await retrying(partial(rebuilds, sink.write, BatchResult(dead_letters=list(rows))),
                           log, "landing reference dead letters failed; retrying")
            sent = [await topics.dead_letters.send(
                key=f"{r.topic}:{r.partition}:{r.offset}".encode(), value=r.message())
                for r in rows]
            for fut in sent:
                await fut

        async def follow_reference() -> None:
            await follow(settings, reference, reference_start.positions, rebuilds,
                         dead_letters, reference_start.dead_letters)

        app.task(follow_reference)
    return graph
