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
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kafka.partitioner.default import murmur2

from streams.ingest.rows import EventRow
from streams.surge.model import DAY


def touches_by_account(rows: Iterable[EventRow]) -> dict[str, list[list[object]]]:
    """Newly landed event rows -> account -> [[event time ms, event_id], ...]: people only,
    and none from a clock far ahead (stamped more than 5 minutes after landing: stored,
    flagged ``future``, but they never move the watermark or raise an alert)."""
    out: dict[str, list[list[object]]] = defaultdict(list)
    for row in rows:
        if row.account_id and not row.non_human and not row.future:
            out[row.account_id].append([round(row.ts.timestamp() * 1000), row.event_id])
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


def _touches(value: object) -> None:
    if not isinstance(value, list) or not all(
            isinstance(t, list) and len(t) == 2 and isinstance(t[0], int | float)
            and not isinstance(t[0], bool) and isinstance(t[1], str) for t in value):
        raise ValueError("touches must be a list of [event time ms, event_id]")


def read_activity(raw: bytes | None) -> dict[str, Any]:
    """An ``account_activity`` message, checked; ValueError (the reason) if it is not one
    the pipeline writes (a stray producer, a corrupted record)."""
    try:
        body = json.loads(raw or b"")
    except (ValueError, RecursionError) as err:
        raise ValueError(f"not JSON ({type(err).__name__})") from None
    if not isinstance(body, dict):
        raise ValueError("not a JSON object")
    if "watermark" in body:
        if not isinstance(body.get("source"), str) or not isinstance(body["watermark"], int):
            raise ValueError("a watermark needs a string source and an integer watermark")
    elif "accounts" in body:
        if not isinstance(body["accounts"], dict):
            raise ValueError("accounts must map account ids to touches")
        for touches in body["accounts"].values():
            _touches(touches)
    elif isinstance(body.get("account_id"), str):
        if "touches" in body:
            _touches(body["touches"])
        if "tick" in body and not isinstance(body["tick"], int):
            raise ValueError("tick must be an integer (ms)")
    else:
        raise ValueError("neither a watermark, account touches nor a tick")
    return body


def watermark_message(source: str, watermark_ms: int) -> bytes:
    return json.dumps({"source": source, "watermark": watermark_ms},
                      separators=(",", ":")).encode()


@dataclass
class _Held:
    """One account's part of an activity message, waiting for the watermark."""

    event: Any  # the Kafka event: acked once every part of its message is evaluated
    account_id: str
    touches: list[list[Any]]  # [event time ms, event_id], not yet handed out
    tick: int | None = None  # ms; a customer's day tick


@dataclass
class ActivityBuffer:
    """Activity held until the watermark passes it, handed out touch by touch.

    Each touch is evaluated once the watermark passes *it* (not its message's latest
    touch), so readings reach surge detection in event-time order and a message whose
    touches span days does not hold its early ones back behind later ones. A message is
    acked once all its parts are evaluated; until then it counts as waiting (a drain ends
    only when nothing waits)."""

    held: list[_Held] = field(default_factory=list)
    in_flight: dict[int, int] = field(default_factory=dict)  # id(event) -> parts handed out
    events: dict[int, Any] = field(default_factory=dict)  # id(event) -> event, while unacked

    def add(self, event: Any, body: dict[str, Any]) -> bool:
        """Hold a message's parts; False when it holds nothing (ack it at once)."""
        parts = [_Held(event, str(p["account_id"]), sorted(p.get("touches", ()),
                                                           key=lambda t: t[0]), p.get("tick"))
                 for p in expand(body)]
        parts = [p for p in parts if p.touches or p.tick is not None]
        if parts:
            self.events[id(event)] = event
            self.held.extend(parts)
        return bool(parts)

    @property
    def waiting(self) -> int:
        return len(self.events)

    def take(self, low: float | None) -> tuple[list[dict[str, Any]], list[Any]]:
        """Bodies of everything due by the watermark ``low`` (epoch seconds), and the
        events they came from (pass them to ``settle`` once evaluated)."""
        if low is None:
            return [], []
        bodies: list[dict[str, Any]] = []
        sources: list[Any] = []
        keep: list[_Held] = []
        for h in self.held:
            cut = bisect_right([t[0] for t in h.touches], low * 1000)
            due_tick = h.tick is not None and h.tick <= low * 1000
            if cut or due_tick:
                body: dict[str, Any] = {"account_id": h.account_id}
                if cut:
                    body["touches"] = h.touches[:cut]
                    h.touches = h.touches[cut:]
                if due_tick:
                    body["tick"] = h.tick
                    h.tick = None
                bodies.append(body)
                sources.append(h.event)
                self.in_flight[id(h.event)] = self.in_flight.get(id(h.event), 0) + 1
            if h.touches or h.tick is not None:
                keep.append(h)
        self.held = keep
        return bodies, sources

    def settle(self, sources: list[Any]) -> list[Any]:
        """Mark handed-out parts evaluated; returns the events now complete (to ack)."""
        for event in sources:
            self.in_flight[id(event)] -= 1
        still = {id(h.event) for h in self.held}
        done = []
        for event in {id(e): e for e in sources}.values():
            if not self.in_flight.get(id(event)) and id(event) not in still:
                self.in_flight.pop(id(event), None)
                done.append(self.events.pop(id(event)))
        return done
