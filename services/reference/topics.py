"""Reference data on its compacted topics: publish loads, read everything back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from services.progress import Steps
from services.warehouse import Warehouse
from streams.ingest.rows import DeadLetterRow
from streams.reference.state import range_key
from streams.settings import Settings
from streams.topics import REFERENCE_TOPICS

Record = tuple[str, bytes | None, bytes | None]  # (topic name without prefix, key, value)


# The broker's default max.message.bytes is 1 MiB (record batch overhead included); a row
# larger than this is reported before a load publishes anything.
MAX_RECORD_BYTES = 1_000_000
# A load is one transaction; the broker aborts one open longer than this. Kafka's default
# (60 s) cut a million-range load short (about two minutes of publishing and the warehouse
# copy); 15 minutes is the most the broker accepts by default (transaction.max.timeout.ms).
LOAD_TIMEOUT_MS = 900_000


class ReferencePublisher:
    """Publishes reference loads in Kafka transactions: workers read committed records only,
    so a load that fails part-way (a broker error, a refused warehouse write) leaves nothing
    on the topic for them to apply."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._producer = KafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap, acks="all", linger_ms=20,
            client_id="pulse-reference",
            transactional_id=f"pulse-reference-{uuid.uuid4().hex}",
            transaction_timeout_ms=LOAD_TIMEOUT_MS)
        self._producer.init_transactions()
        self._open = False

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything sent inside becomes visible together at the end, or never."""
        if self._open:  # nested: part of the enclosing transaction
            yield
            return
        self._producer.begin_transaction()
        self._open = True
        try:
            yield
            self._producer.flush()
        except BaseException:
            self._open = False
            self._producer.abort_transaction()
            raise
        self._open = False
        self._producer.commit_transaction()

    def send(self, kind: str, rows: Iterable[tuple[str, dict[str, Any]]],
             steps: Steps | None = None) -> int:
        """Publish (key, value) rows to the ``kind`` topic (in the open transaction, or in
        one of their own)."""
        steps = steps or Steps(None)
        steps.start(f"publishing {kind}")
        with self.transaction():
            n = 0
            for key, value in rows:
                self._producer.send(self.settings.topic(kind), key=key.encode(),
                                    value=json.dumps(value, ensure_ascii=False).encode())
                n += 1
                steps.advance(f"publishing {kind}")
            steps.finish(f"publishing {kind}")
            return n

    def delete(self, kind: str, keys: Iterable[str]) -> int:
        """Tombstones: compaction drops the keys, workers forget them."""
        with self.transaction():
            n = 0
            for key in keys:
                self._producer.send(self.settings.topic(kind), key=key.encode(), value=None)
                n += 1
            return n

    def close(self) -> None:
        self._producer.close()


# abm.accounts as the loader writes it, and the order of an account row's values.
ACCOUNT_COLUMNS = ["account_id", "name", "domains", "ip_ranges", "tier", "parent_account_id",
                   "ultimate_parent_id", "customer", "owner_email", "aliases", "crm_ids",
                   "industry", "employees", "annual_revenue", "country", "region", "city",
                   "zip", "technologies", "linkedin_url", "stock_symbol"]
_LISTS = ("domains", "ip_ranges", "aliases", "crm_ids", "technologies")


def account_row(values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    """An account's values in ACCOUNT_COLUMNS order as its topic record."""
    d = dict(zip(ACCOUNT_COLUMNS, values, strict=True))
    for name in _LISTS:
        d[name] = list(d[name])
    d["customer"] = bool(d["customer"])
    d["owner_email"] = d["owner_email"] or None
    if d["annual_revenue"] is not None:
        d["annual_revenue"] = str(d["annual_revenue"])
    return d["account_id"], d


def contact_row(email: str, account_id: str, title: str = "", name: str = ""
                ) -> tuple[str, dict[str, Any]]:
    return email, {"email": email, "account_id": account_id, "title": title, "name": name}


def range_row(cidr: str, account_id: str, kind: str, source: str) -> tuple[str, dict[str, Any]]:
    return range_key(cidr, kind, account_id), {"cidr": cidr, "account_id": account_id,
                                               "kind": kind, "source": source}


def read_all(settings: Settings,
             apply: Callable[[list[Record]], list[tuple[int, str]]]
             ) -> tuple[dict[tuple[str, int], int], list[DeadLetterRow]]:
    """Every record of the reference topics up to now, handed to ``apply`` a poll at a time
    (a million ranges are never all in memory as records): the positions reached, and a
    dead letter for each record ``apply`` refused (index, reason)."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, enable_auto_commit=False,
                             client_id="pulse-reference", consumer_timeout_ms=2000,
                             isolation_level="read_committed")
    dead: list[DeadLetterRow] = []
    try:
        tps = [TopicPartition(settings.topic(k), p) for k in REFERENCE_TOPICS
               for p in sorted(consumer.partitions_for_topic(settings.topic(k)) or ())]
        ends = consumer.end_offsets(tps)
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        kind_of = {settings.topic(k): k for k in REFERENCE_TOPICS}
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining:
            for tp, messages in consumer.poll(timeout_ms=1000, max_records=50000).items():
                refused = apply([(kind_of[tp.topic], m.key, m.value) for m in messages])
                now = datetime.now(UTC)
                dead += [DeadLetterRow(tp.topic, tp.partition, messages[i].offset,
                                       messages[i].value or b"", why, now,
                                       "unreadable_reference", "decode") for i, why in refused]
                if consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return {(tp.topic, tp.partition): ends[tp] for tp in tps}, dead
    finally:
        consumer.close()


def seed_from_warehouse(settings: Settings, warehouse: Warehouse) -> int:
    """Publish reference rows that exist only in ClickHouse (loaded before the topics
    existed) to their empty topics; a no-op once the topics hold data."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap, client_id="pulse-seed")
    try:
        empty = {k for k in REFERENCE_TOPICS
                 if not sum(consumer.end_offsets(
                     [TopicPartition(settings.topic(k), p) for p in
                      consumer.partitions_for_topic(settings.topic(k)) or ()]).values())}
    finally:
        consumer.close()
    if not empty:
        return 0
    publisher = ReferencePublisher(settings)
    n = 0
    try:
        if "accounts" in empty:
            n += publisher.send("accounts", (account_row(r) for r in warehouse.query(
                f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM abm.accounts FINAL").rows))
        if "contacts" in empty:
            n += publisher.send("contacts", (contact_row(*r) for r in warehouse.query(
                "SELECT email, account_id, title, name FROM abm.contacts FINAL").rows))
        if "suppressions" in empty:
            n += publisher.send("suppressions", ((r[0], {"person_key": r[0]}) for r in
                                                 warehouse.query(
                "SELECT person_key FROM abm.suppressions FINAL").rows))
        if "ip_ranges" in empty:
            n += publisher.send("ip_ranges", (range_row(*r) for r in warehouse.query(
                "SELECT cidr, account_id, kind, source FROM abm.ip_ranges FINAL").rows))
    finally:
        publisher.close()
    return n
