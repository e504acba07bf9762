"""Lands processed batches in ClickHouse, idempotently.

At-least-once delivery means a batch can arrive again after a restart. Rows whose key is
already stored are skipped (``event_id`` for events, source position for dead letters),
each insert carries a deduplication token built from the batch's source positions, and
the tables' ReplacingMergeTree keys are the backstop. The caller acks the batch's
offsets only after ``write`` returned.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from clickhouse_connect.driver.exceptions import ClickHouseError

from infra import query
from streams.attribution.identities import LINK_COLUMNS, IdentityLink, backfill, link_row
from streams.ingest.batch import BatchResult, dead_letter_row
from streams.ingest.rows import DEAD_LETTER_COLUMNS, EVENT_COLUMNS, DeadLetterRow, EventRow
from streams.warehouse.failures import TransientError, isolate, reason

log = logging.getLogger("pulse.sink")
SOURCE_AT = EventRow._fields.index("source_topic")  # topic, partition, offset follow

# abm.events is partitioned by month of event time, and ClickHouse refuses an insert that
# touches more than max_partitions_per_insert_block (100) partitions; inserts stay well
# under it whatever the spread of a batch (a backfill, a replay).
MAX_PARTITIONS_PER_INSERT = 50


@dataclass(frozen=True)
class WriteSummary:
    events: int
    duplicates: int
    dead_letters: int
    landed: list[EventRow] = field(default_factory=list)  # the event rows now stored
    dead_letter_rows: list[DeadLetterRow] = field(default_factory=list)  # incl. refused rows


def _token(table: str, rows: Sequence[tuple[Any, ...]], topic_at: int, key_at: int) -> str:
    """Deduplication token: the table, the exact source positions of the rows and what
    they are (event id, or the dead letter's bytes). A replay of the same records sends the
    same token and is dropped; other records at positions seen before (a topic deleted and
    created again) are not mistaken for it."""
    h = hashlib.sha256(table.encode())
    for row in rows:
        key = row[key_at]
        key = hashlib.sha256(key).hexdigest() if isinstance(key, bytes) else str(key)
        h.update(f"|{row[topic_at]}:{row[topic_at + 1]}:{row[topic_at + 2]}:{key}".encode())
    return h.hexdigest()


def partition_chunks(rows: list[EventRow],
                     limit: int = MAX_PARTITIONS_PER_INSERT) -> list[list[EventRow]]:
    """Rows grouped so that no group spans more than ``limit`` months (partitions), in
    month order; a batch within the limit stays one group, in its own order."""
    by_month: dict[tuple[int, int], list[EventRow]] = {}
    for row in rows:
        by_month.setdefault((row.ts.year, row.ts.month), []).append(row)
    if len(by_month) <= limit:
        return [rows] if rows else []
    months = sorted(by_month)
    return [[r for m in months[i:i + limit] for r in by_month[m]]
            for i in range(0, len(months), limit)]


STITCH_BACKFILL = query("stitch_backfill")
Reads = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]


class ClickHouseSink:
    def __init__(self, client: Any, lock: threading.RLock | None = None,
                 stitch_lookback: timedelta = timedelta(days=30),
                 reads: Reads | None = None) -> None:
        """``reads``: read-only sessions of their own, so that a long read (surge
        history, journey stages) never holds the writer, and the next batch lands beside it;
        without them, reads take the writer's lock."""
        self.client = client
        self.lock = lock or threading.RLock()
        self.stitch_lookback = stitch_lookback
        self.reads = reads

    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        if self.reads is not None:
            return self.reads(sql, parameters or {})
        with self.lock:
            return [tuple(r) for r in self.client.query(sql, parameters=parameters).result_rows]

    def insert(self, table: str, rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> None:
        """Rows into a table (the surge store's and delivery's writes), under the lock."""
        if rows:
            with self.lock:
                self.client.insert(table, list(rows), column_names=list(columns))

    def ping(self) -> None:
        """Raises when the warehouse cannot answer at all (a failure about the world)."""
        try:
            self.query("SELECT 1")
        except (ClickHouseError, OSError, RuntimeError) as err:  # engine, network, holder
            raise TransientError(f"the warehouse does not answer: {reason(err)}") from err

    def write(self, batch: BatchResult, now: datetime | None = None) -> WriteSummary:
        """Land a batch. Rows the warehouse refuses for a data reason become dead letters
        (with its words); a failure about the world raises, and nothing is acked."""
        now = now or datetime.now(UTC)
        with self.lock:
            fresh = self._new_event_indexes(batch.events)
            rows = [batch.events[i] for i in fresh]
            refused = isolate(rows, self._insert_events, self.ping)
            skip = {j for j, _ in refused}
            landed = [r for j, r in enumerate(rows) if j not in skip]
            dead = batch.dead_letters + [
                dead_letter_row(batch.sources[fresh[j]], f"the warehouse refused the event: {why}",
                                now, "warehouse_refused") for j, why in refused]
            stored_dead = self._write_dead_letters(dead)
            for j, why in isolate(batch.links, self._stitch, self.ping):
                log.warning("visitor link not stored",
                            extra={"error": why, "account_id": batch.links[j].account_id})
        return WriteSummary(len(landed), len(batch.events) - len(fresh), stored_dead, landed, dead)

    def _insert_events(self, rows: Sequence[EventRow]) -> None:
        for chunk in partition_chunks(list(rows)):
            self.client.insert(
                "abm.events", chunk, column_names=list(EVENT_COLUMNS),
                settings={"insert_deduplication_token": _token("events", chunk, SOURCE_AT, 0)})

    def _insert_dead_letters(self, rows: Sequence[DeadLetterRow]) -> None:
        self.client.insert(
            "abm.dead_letters", list(rows), column_names=list(DEAD_LETTER_COLUMNS),
            settings={"insert_deduplication_token": _token("dead_letters", list(rows), 0, 3)})

    def _write_dead_letters(self, rows: list[DeadLetterRow]) -> int:
        """Dead letters not stored yet; one the warehouse refuses is kept without its bytes
        (the reason says why), so its position and reason still reach ops."""
        new = self._new_dead_letters(rows)
        refused = isolate(new, self._insert_dead_letters, self.ping)
        if refused:
            self._insert_dead_letters([
                new[j]._replace(payload=b"", error=f"{new[j].error} (original bytes refused "
                                                    f"by the warehouse: {why})")
                for j, why in refused])
        return len(new)

    def _stitch(self, links: Sequence[IdentityLink]) -> None:
        """Record new visitor links, then re-attribute each visitor's events in the
        look-back (what that means is the identities module's). Idempotent: a replay
        writes the same link and finds nothing to change."""
        self.client.insert("abm.identities", [link_row(ln) for ln in links],
                           column_names=list(LINK_COLUMNS))
        for ln in links:
            self.client.command(STITCH_BACKFILL, parameters=backfill(ln, self.stitch_lookback))

    def _new_event_indexes(self, rows: list[EventRow]) -> list[int]:
        """Indexes of the rows whose event id is neither stored nor repeated earlier."""
        first: dict[str, int] = {}
        for i, row in enumerate(rows):
            first.setdefault(row.event_id, i)
        if not first:
            return []
        stored = self.client.query(
            "SELECT event_id FROM abm.events WHERE event_id IN {ids:Array(String)}",
            parameters={"ids": list(first)},
        ).result_rows
        for (event_id,) in stored:
            first.pop(event_id, None)
        return sorted(first.values())

    def _new_dead_letters(self, rows: list[DeadLetterRow]) -> list[DeadLetterRow]:
        if not rows:
            return []
        keys = [(r[0], r[1], r[2]) for r in rows]
        stored = set(self.client.query(
            "SELECT topic, partition, offset FROM abm.dead_letters "
            "WHERE (topic, partition, offset) IN {keys:Array(Tuple(String, UInt32, UInt64))}",
            parameters={"keys": keys},
        ).result_rows)
        return [r for r in rows if (r[0], r[1], r[2]) not in stored]
