"""Lands processed batches in ClickHouse, idempotently.

At-least-once delivery means a batch can arrive again after a restart. Rows whose key is
already stored are skipped (``event_id`` for events, source position for dead letters),
each insert carries a deduplication token built from the batch's source positions, and
the tables' ReplacingMergeTree keys are the backstop. The caller acks the batch's
offsets only after ``write`` returned.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from streams.attribution.chain import CONFIDENCE
from streams.attribution.identities import IdentityLink
from streams.pipeline import DEAD_LETTER_COLUMNS, EVENT_COLUMNS, BatchResult
from streams.settings import INFRA_DIR

_TOPIC_AT = EVENT_COLUMNS.index("_topic")  # the row's source position starts here


@dataclass(frozen=True)
class WriteSummary:
    events: int
    duplicates: int
    dead_letters: int
    landed: list[tuple[Any, ...]] = field(default_factory=list)  # the event rows now stored


def _token(table: str, rows: list[tuple[Any, ...]], topic_at: int) -> str:
    """Deduplication token: the table plus the exact source positions of the rows."""
    h = hashlib.sha256(table.encode())
    for row in rows:
        h.update(f"|{row[topic_at]}:{row[topic_at + 1]}:{row[topic_at + 2]}".encode())
    return h.hexdigest()


STITCH_BACKFILL = (INFRA_DIR / "clickhouse" / "queries" / "stitch_backfill.sql").read_text()


class ClickHouseSink:
    def __init__(self, client: Any, lock: threading.RLock | None = None,
                 stitch_lookback: timedelta = timedelta(days=30)) -> None:
        self.client = client
        self.lock = lock or threading.RLock()
        self.stitch_lookback = stitch_lookback

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self.lock:
            return [tuple(r) for r in self.client.query(sql, parameters=parameters).result_rows]

    def write(self, batch: BatchResult) -> WriteSummary:
        with self.lock:
            events = self._new_events(batch.events)
            if events:
                self.client.insert(
                    "abm.events", events, column_names=list(EVENT_COLUMNS),
                    settings={"insert_deduplication_token": _token("events", events, _TOPIC_AT)},
                )
            dead = self._new_dead_letters(batch.dead_letters)
            if dead:
                self.client.insert(
                    "abm.dead_letters", dead, column_names=list(DEAD_LETTER_COLUMNS),
                    settings={"insert_deduplication_token": _token("dead_letters", dead, 0)},
                )
            if batch.links:
                self._stitch(batch.links)
        return WriteSummary(len(events), len(batch.events) - len(events), len(dead), events)

    def _stitch(self, links: list[IdentityLink]) -> None:
        """Record new visitor links, then re-attribute each visitor's events in the
        look-back. Idempotent: a replay writes the same link and finds nothing to change."""
        self.client.insert(
            "abm.identities",
            [[ln.visitor_key, ln.person_key, ln.account_id, ln.linked_at] for ln in links],
            column_names=["visitor_key", "person_key", "account_id", "linked_at"])
        for ln in links:
            self.client.command(STITCH_BACKFILL, parameters={
                "account_id": ln.account_id, "confidence": CONFIDENCE["stitched"],
                "evidence": json.dumps({"visitor_linked_at": ln.linked_at.isoformat()}),
                "person_key": ln.person_key, "visitor_key": ln.visitor_key,
                "since": ln.linked_at - self.stitch_lookback})

    def _new_events(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        unique: dict[str, tuple[Any, ...]] = {}
        for row in rows:
            unique.setdefault(str(row[0]), row)
        if not unique:
            return []
        stored = self.client.query(
            "SELECT event_id FROM abm.events WHERE event_id IN {ids:Array(String)}",
            parameters={"ids": list(unique)},
        ).result_rows
        for (event_id,) in stored:
            unique.pop(event_id, None)
        return list(unique.values())

    def _new_dead_letters(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if not rows:
            return []
        keys = [(r[0], r[1], r[2]) for r in rows]
        stored = set(self.client.query(
            "SELECT topic, partition, offset FROM abm.dead_letters "
            "WHERE (topic, partition, offset) IN {keys:Array(Tuple(String, UInt32, UInt64))}",
            parameters={"keys": keys},
        ).result_rows)
        return [r for r in rows if (r[0], r[1], r[2]) not in stored]
