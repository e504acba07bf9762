"""Ground truth from the producer side, and the exactness checks every fault test ends with.

The producer knows which events it meant (id -> account) and which records it made bad on
purpose. What actually sits on the topics is read back (a publisher retrying through a
broker crash may write a record twice), and each record is classed by position: the first
copy of an event id, a resent copy, or an injected bad record. Then, after the faults:

- ``count() == uniqExact(event_id) ==`` the events meant, with exactly those ids;
- events per account and every roll-up (hourly, daily, weekly) equal the truth;
- the dead letters are exactly the bad records' positions;
- per partition, the group's committed offset (records consumed) equals landed + resent
  copies skipped + dead-lettered (+ filtered, none here).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from services.publisher import route
from streams.topics import INPUT_TOPICS
from tests.conftest import PulseEnv

N_ACCOUNTS = 20
ACCOUNTS_CSV = "account_id,name,domains,ip_ranges,tier\n" + "".join(
    f"acc{i},Account {i},acc{i}.com,10.{i}.0.0/16,{i % 3 + 1}\n" for i in range(N_ACCOUNTS))


def good_events(n: int, rng: random.Random, prefix: str = "f") -> tuple[list[dict[str, Any]],
                                                                       dict[str, str]]:
    """Web visits and email opens over the last six days whose account the producer knows
    (indices 20..24 are owned by nobody: unattributed). No email shares an event with a
    visitor id, so no stitching rewrites rows mid-test."""
    events, truth = [], {}
    start = datetime.now(UTC) - timedelta(days=6)
    for i in range(n):
        acc = rng.randrange(N_ACCOUNTS + 5)
        ts = (start + timedelta(seconds=rng.randrange(6 * 86400))).isoformat()
        event_id = f"{prefix}-{i}"
        if rng.random() < 0.75:
            e = {"event_id": event_id, "type": "web_visit", "ts": ts,
                 "ip": f"10.{acc}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                 "url": "https://vendor.example/pricing", "user_agent": "Mozilla/5.0 (X11)",
                 "anonymous_id": f"v{rng.randrange(400)}"}
        else:
            e = {"event_id": event_id, "type": "email_open", "ts": ts,
                 "email": f"p{rng.randrange(30)}@acc{acc}.com", "campaign_id": "c1"}
        events.append(e)
        truth[event_id] = f"acc{acc}" if acc < N_ACCOUNTS else ""
    return events, truth


@dataclass
class Feed:
    """A producer that remembers what it meant: event ids -> account, and bad payloads."""

    env: PulseEnv
    truth: dict[str, str] = field(default_factory=dict)
    bad: set[bytes] = field(default_factory=set)
    _producer: Any = None

    @property
    def producer(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = KafkaProducer(
                bootstrap_servers=self.env.settings.kafka_bootstrap, acks="all", linger_ms=5,
                max_request_size=8 << 20, retries=10, retry_backoff_ms=500)
        return self._producer

    def events(self, events: list[dict[str, Any]], truth: dict[str, str]) -> None:
        self.truth.update(truth)
        self.lines([json.dumps(e).encode() for e in events])

    def lines(self, lines: list[bytes]) -> None:
        futures = []
        for line in lines:
            topic, key = route(line)
            futures.append(self.producer.send(self.env.topic(topic), key=key, value=line))
        self.producer.flush()
        for f in futures:
            f.get(timeout=60)

    def raw(self, topic: str, payload: bytes) -> None:
        """A bad record, straight onto an input topic."""
        self.bad.add(payload)
        self.producer.send(self.env.topic(topic), value=payload).get(timeout=60)

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()


@dataclass
class OnTopics:
    first: dict[str, tuple[str, int, int]]  # event id -> position of its first copy
    resent: Counter[tuple[str, int]]  # (topic, partition) -> later copies
    bad: set[tuple[str, int, int]]
    ends: dict[tuple[str, int], int]


def read_back(env: PulseEnv, feed: Feed) -> OnTopics:
    consumer = KafkaConsumer(bootstrap_servers=env.settings.kafka_bootstrap, group_id=None,
                             enable_auto_commit=False, max_partition_fetch_bytes=8 << 20,
                             fetch_max_bytes=64 << 20)
    tps = [TopicPartition(env.topic(t), p) for t in INPUT_TOPICS
           for p in sorted(consumer.partitions_for_topic(env.topic(t)) or ())]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    ends = {(tp.topic, tp.partition): off for tp, off in consumer.end_offsets(tps).items()}
    out = OnTopics({}, Counter(), set(), ends)
    seen = 0
    while seen < sum(ends.values()):
        for tp, records in consumer.poll(timeout_ms=1000).items():
            for r in records:
                seen += 1
                pos = (tp.topic, tp.partition, r.offset)
                if r.value in feed.bad:
                    out.bad.add(pos)
                    continue
                event_id = json.loads(r.value)["event_id"]
                if event_id in out.first:
                    out.resent[(tp.topic, tp.partition)] += 1
                else:
                    out.first[event_id] = pos
    consumer.close()
    return out


def committed(env: PulseEnv) -> dict[tuple[str, int], int]:
    """The pipeline group's committed offsets, read without joining the group."""
    consumer = KafkaConsumer(bootstrap_servers=env.settings.kafka_bootstrap,
                             group_id=env.settings.app_id, enable_auto_commit=False)
    try:
        tps = [TopicPartition(env.topic(t), p) for t in INPUT_TOPICS
               for p in sorted(consumer.partitions_for_topic(env.topic(t)) or ())]
        return {(tp.topic, tp.partition): consumer.committed(tp) or 0 for tp in tps}
    finally:
        consumer.close()


def landed_positions(env: PulseEnv) -> dict[tuple[str, int], int]:
    """Per partition, one past the highest offset landed or dead-lettered (via the running
    pipeline or the warehouse directly)."""
    rows = env.query(
        "SELECT _topic AS t, _partition AS p, max(_offset) AS o FROM abm.events GROUP BY t, p "
        "UNION ALL SELECT topic AS t, partition AS p, max(offset) AS o FROM abm.dead_letters "
        "GROUP BY t, p")
    out: dict[tuple[str, int], int] = {}
    for r in rows:
        key = (r["t"], int(r["p"]))
        out[key] = max(out.get(key, 0), int(r["o"]) + 1)
    return out


def assert_exact(env: PulseEnv, feed: Feed) -> OnTopics:
    """Every check of the module docstring; run once no pipeline holds the warehouse."""
    topics = read_back(env, feed)
    assert set(topics.first) == set(feed.truth), "the topics hold other events than meant"
    with env.clickhouse() as ch:
        total, distinct = ch.query(
            "SELECT count(), uniqExact(event_id) FROM abm.events").first_row
        assert total == distinct == len(feed.truth), (total, distinct, len(feed.truth))
        stored = dict(ch.query("SELECT event_id, account_id FROM abm.events").result_rows)
        assert stored == feed.truth
        truth = Counter(feed.truth.values())
        attributed = {k: v for k, v in truth.items() if k}
        for view in ("hourly", "daily", "weekly"):
            rolled = dict(ch.query(f"SELECT account_id, sum(events) FROM "
                                   f"abm.account_engagement_{view} GROUP BY 1").result_rows)
            assert rolled == attributed, view
        dead = {(t, int(p), int(o)) for t, p, o in ch.query(
            "SELECT topic, partition, offset FROM abm.dead_letters").result_rows}
        assert dead == topics.bad, (len(dead), len(topics.bad))
        landed = Counter({(t, int(p)): n for t, p, n in ch.query(
            "SELECT _topic, _partition, count() FROM abm.events GROUP BY 1, 2").result_rows})
    dead_by_tp = Counter((t, p) for t, p, _ in topics.bad)
    consumed = committed(env)
    assert sum(consumed.values()) == sum(topics.ends.values()) and consumed == topics.ends
    for tp, n in consumed.items():
        assert n == landed[tp] + topics.resent[tp] + dead_by_tp[tp], tp  # nothing filtered
    return topics
