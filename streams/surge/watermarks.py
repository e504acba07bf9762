"""Event-time watermarks: how far everything has landed, so that surge detection reads a
backlog drained in minutes with the same data live traffic was read with.

The pipeline side (``Watermarks``) tracks, per input partition a worker reads, the latest
event time landed; its low watermark is the least of them (a partition silent for
``idle_s`` stops holding it back). The surge side (``SourceWatermarks``) takes the least
over every pipeline worker heard from. When the pipeline's watermark passes midnight,
each customer account gets a day tick (cooling is read once a day).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from streams.surge.model import DAY

FINAL_WATERMARK_MS = 2**53  # a drain's last watermark: past any event time


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
