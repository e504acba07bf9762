"""``pulse run --drain``: stop once everything published before the start is done, for the
roles this worker runs, in order: the inputs have landed (then the pipeline's watermark is
final), the activity has been evaluated, the alerts have been delivered.

With roles in separate processes, drain them in that order (pipeline, then surge, then
delivery): each reads what the one before left on its topic.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from streams.settings import Settings
from streams.topics import ACCOUNT_ACTIVITY, INPUT_TOPICS, SURGE_ALERTS
from streams.topology import Graph, Role

log = logging.getLogger("pulse.run")
Positions = dict[tuple[str, int], int]


def backlog_targets(settings: Settings, names: tuple[str, ...], group: str) -> Positions:
    """Per partition of the topics, the offset the group must reach to have seen
    everything published so far, leaving out partitions it had already read to the end."""
    topics = [settings.topic(t) for t in names]
    # Reads the group's committed offsets without joining the group.
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, client_id="pulse-drain",
                             group_id=group, enable_auto_commit=False)
    try:
        tps = [TopicPartition(t, p) for t in topics
               for p in sorted(consumer.partitions_for_topic(t) or ())]
        ends = consumer.end_offsets(tps)
        return {(tp.topic, tp.partition): end for tp, end in ends.items()
                if end > (consumer.committed(tp) or 0)}
    finally:
        consumer.close()


def caught_up(positions: Positions, ends: Positions) -> bool:
    return all(positions.get(tp, 0) >= end for tp, end in ends.items())


class Drain:
    """A timer's worth of checks; calls ``stop`` once the last phase is done."""

    def __init__(self, settings: Settings, graph: Graph, group: str,
                 stop: Callable[[], Any]) -> None:
        self.settings = settings
        self.graph = graph
        self.group = group
        self.stop = stop
        self.phases = [r for r in (Role.PIPELINE, Role.SURGE, Role.DELIVERY) if r in graph.roles]
        self.phase: Role | None = self.phases[0]
        # What the inputs hold now: published after this is a later drain's business.
        self.ends: Positions | None = (backlog_targets(settings, INPUT_TOPICS, group)
                                       if self.phase == Role.PIPELINE else None)
        self.since = time.monotonic()
        self.logged = 0.0

    @property
    def done(self) -> bool:
        return self.phase is None

    def _next(self) -> None:
        i = self.phases.index(self.phase) + 1  # type: ignore[arg-type]
        self.phase = self.phases[i] if i < len(self.phases) else None
        self.ends, self.since = None, time.monotonic()
        if self.phase is None:
            log.info("backlog drained")
            self.stop()

    async def tick(self) -> None:
        g, s = self.graph, self.settings
        loop = asyncio.get_running_loop()
        if self.phase == Role.PIPELINE and g.pipeline is not None:
            p = g.pipeline
            if not p.watermarks.final and caught_up(p.stats.positions, self.ends or {}):
                log.info("backlog landed", extra={"partitions": len(self.ends or {})})
                p.watermarks.final = True  # everything has landed: every touch may be read
            elif p.watermarks.final and p.stats.final_watermark_sent:
                self._next()
        elif self.phase == Role.SURGE and g.surge is not None:
            surge = g.surge.stats
            if time.monotonic() - self.logged > 5:
                self.logged = time.monotonic()
                log.info("draining activity", extra={"waiting": surge.waiting,
                                                     "ends": str(self.ends)})
            if self.ends is None:
                # Let the final watermark reach the topic before reading where it ends.
                if time.monotonic() - self.since > 3 * s.watermark_interval_seconds:
                    self.ends = await loop.run_in_executor(
                        None, backlog_targets, s, (ACCOUNT_ACTIVITY,), self.group)
            elif surge.waiting == 0 and caught_up(surge.positions, self.ends):
                if g.stages is not None:
                    await g.stages.tick()  # the journey stages at the final watermark
                self._next()
        elif self.phase == Role.DELIVERY and g.delivery is not None:
            d = g.delivery
            if self.ends is None:
                self.ends = await loop.run_in_executor(
                    None, backlog_targets, s, (SURGE_ALERTS,), self.group)
            elif d.in_flight == 0 and caught_up(d.positions, self.ends):
                self._next()
