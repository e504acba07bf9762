"""What the pipeline tells surge detection: account touches, watermarks and day ticks. Pure.

The pipeline lands events, then publishes on ``account_activity``, keyed by account (the
repartition: one surge worker owns each account), the ids and event times of the newly
landed human events of each account. Every partition also gets the pipeline worker's
low watermark: the event time up to which everything it reads has landed. Surge
detection evaluates a touch only once the watermark has passed it, so a backlog drained
in minutes is read with the same data at every point as live traffic was. When the
watermark passes midnight, each customer account gets a tick (cooling is read daily).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kafka.partitioner.default import murmur2

from streams.pipeline import EVENT_COLUMNS
from streams.surge import DAY

_ID, _TS, _ACCOUNT, _NON_HUMAN, _FUTURE = (
    EVENT_COLUMNS.index(c) for c in ("event_id", "ts", "account_id", "non_human", "future"))


FINAL_WATERMARK_MS = 2**53  # a drain's last watermark: past any event time

# A clock this far ahead of ours is wrong, not early: such an event is stored (and
# flagged `future`) but never moves the watermark or raises an alert. The surge queries
# apply the same rule (`future = 0`).
def from_the_future(row: tuple[object, ...]) -> bool:
    """Flagged at ingest (`future`): stamped more than 5 minutes after landing."""
    return bool(row[_FUTURE])


def touches_by_account(rows: Iterable[tuple[object, ...]]) -> dict[str, list[list[object]]]:
    """Newly landed event rows -> account -> [[event time ms, event_id], ...] (humans only)."""
    out: dict[str, list[list[object]]] = defaultdict(list)
    for row in rows:
        account = row[_ACCOUNT]
        if account and not row[_NON_HUMAN] and not from_the_future(row):
            out[str(account)].append([round(row[_TS].timestamp() * 1000), row[_ID]])  # type: ignore[attr-defined]
    return out


def activity_message(account_id: str, touches: list[list[object]] | None = None,
                     tick_day: int | None = None) -> bytes:
    body: dict[str, object] = {"account_id": account_id}
    if touches:
        body["touches"] = touches
    if tick_day is not None:
        body["tick"] = tick_day * DAY * 1000
    return json.dumps(body, separators=(",", ":")).encode()


def activity_partition(account_id: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives the key ``account_id``: the surge
    agent of that partition owns the account."""
    return (murmur2(account_id.encode()) & 0x7FFFFFFF) % partitions


def activity_batches(touches: dict[str, list[list[object]]], partitions: int,
                     ) -> dict[int, bytes]:
    """One message per activity partition carrying every touched account it owns, instead
    of one per account: a batch touches hundreds of accounts, and each Kafka message costs
    the surge agent more than its evaluation."""
    grouped: dict[int, dict[str, list[list[object]]]] = defaultdict(dict)
    for account_id, t in touches.items():
        grouped[activity_partition(account_id, partitions)][account_id] = t
    return {p: json.dumps({"accounts": accounts}, separators=(",", ":")).encode()
            for p, accounts in grouped.items()}


def expand(body: dict[str, Any]) -> list[dict[str, Any]]:
    """An activity message as one body per account (a batch message carries several)."""
    if "accounts" in body:
        return [{"account_id": a, "touches": t} for a, t in body["accounts"].items()]
    return [body]


def watermark_message(source: str, watermark_ms: int) -> bytes:
    return json.dumps({"source": source, "watermark": watermark_ms},
                      separators=(",", ":")).encode()


@dataclass
class Watermarks:
    """Low watermark over the partitions one worker reads: the least of their latest
    event times. A partition silent for ``idle_s`` (wall clock) stops holding it back,
    so a topic without traffic does not stall alerts."""

    idle_s: float = 10.0
    latest: dict[tuple[str, int], tuple[float, float]] = field(default_factory=dict)
    ticked_day: int | None = None
    final: bool = False  # the input is complete (a drain): everything seen has landed

    def observe(self, topic: str, partition: int, event_ts: float, wall: float) -> None:
        seen = self.latest.get((topic, partition))
        self.latest[(topic, partition)] = (max(event_ts, seen[0]) if seen else event_ts, wall)

    def low(self, wall: float) -> float | None:
        active = [ts for ts, seen in self.latest.values() if wall - seen <= self.idle_s]
        if active and not self.final:
            return min(active)
        return max((ts for ts, _ in self.latest.values()), default=None)

    def due_ticks(self, wall: float, delay_s: float = 0.0) -> list[int]:
        """Days whose midnight the watermark has now passed (by ``delay_s``), once each.
        After a restart the current day is ticked again: reading it twice is harmless."""
        low = self.low(wall)
        if low is None:
            return []
        day = int((low - delay_s) // DAY)
        if self.ticked_day is None:
            self.ticked_day = day - 1
        days = list(range(self.ticked_day + 1, day + 1))
        self.ticked_day = max(self.ticked_day, day)
        return days


@dataclass
class SourceWatermarks:
    """The surge side: the low watermark over every pipeline worker heard from lately."""

    idle_s: float = 10.0
    sources: dict[str, tuple[float, float]] = field(default_factory=dict)  # wm, wall seen

    def observe(self, source: str, watermark: float, wall: float) -> None:
        seen = self.sources.get(source)
        self.sources[source] = (max(watermark, seen[0]) if seen else watermark, wall)

    def low(self, wall: float) -> float | None:
        active = [wm for wm, seen in self.sources.values() if wall - seen <= self.idle_s]
        if active:
            return min(active)
        return max((wm for wm, _ in self.sources.values()), default=None)
