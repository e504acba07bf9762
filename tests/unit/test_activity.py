"""Event-time watermarks and day ticks: what lets a drained backlog alert like live."""

from streams.surge.model import DAY
from streams.surge.watermarks import SourceWatermarks, Watermarks


def test_the_low_watermark_waits_for_the_slowest_active_partition():
    w = Watermarks(idle_s=10)
    w.observe("web_visits", 0, 1000.0, wall=0)
    w.observe("email_opens", 0, 5000.0, wall=0)  # a sparse topic runs ahead in event time
    assert w.low(wall=1) == 1000.0
    w.observe("web_visits", 0, 4000.0, wall=2)
    assert w.low(wall=3) == 4000.0


def test_an_idle_partition_stops_holding_it_back_and_a_final_one_releases_all():
    w = Watermarks(idle_s=10)
    w.observe("ad_clicks", 0, 100.0, wall=0)
    w.observe("web_visits", 0, 9000.0, wall=5)
    assert w.low(wall=6) == 100.0
    assert w.low(wall=12) == 9000.0  # ad_clicks silent for 12 s
    w.observe("ad_clicks", 0, 100.0, wall=12)
    w.final = True  # a drain has landed everything
    assert w.low(wall=12) == 9000.0


def test_each_midnight_is_ticked_once_after_the_delay():
    w = Watermarks()
    w.observe("t", 0, 10 * DAY + 3600, wall=0)
    assert w.due_ticks(wall=0, delay_s=900) == [10]
    assert w.due_ticks(wall=0, delay_s=900) == []
    w.observe("t", 0, 12 * DAY + 600, wall=1)
    assert w.due_ticks(wall=1, delay_s=900) == [11]  # 12 is not 15 minutes old yet
    w.observe("t", 0, 12 * DAY + 1000, wall=2)
    assert w.due_ticks(wall=2, delay_s=900) == [12]


def test_surge_side_takes_the_least_of_the_pipeline_workers():
    s = SourceWatermarks(idle_s=10)
    s.observe("worker-a", 500.0, wall=0)
    s.observe("worker-b", 300.0, wall=0)
    assert s.low(wall=1) == 300.0
    s.observe("worker-a", 900.0, wall=15)
    assert s.low(wall=16) == 900.0  # worker-b gone quiet


def test_events_from_a_clock_far_ahead_are_flagged_and_never_alert():
    import json
    from datetime import UTC, datetime, timedelta

    from streams.ingest.batch import RawRecord, process_batch
    from streams.surge.activity import touches_by_account
    from tests.unit.test_pipeline import attributor

    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    records = [RawRecord("web_visits", 0, i, json.dumps({
        "event_id": event_id, "type": "web_visit", "ts": ts.isoformat(), "ip": "198.18.0.1",
        "url": "https://x/", "user_agent": "Mozilla/5.0"}).encode()) for i, (event_id, ts) in
        enumerate([("fast", now + timedelta(minutes=4)), ("slow", now - timedelta(minutes=4)),
                   ("tomorrow", now + timedelta(days=1))])]
    rows = process_batch(records, attributor(), b"k", now=now).events
    flags = {r.event_id: r.future for r in rows}
    assert flags == {"fast": 0, "slow": 0, "tomorrow": 1}  # ±5 minutes accepted
    assert sorted(e for _, e in touches_by_account(rows)["acme"]) == ["fast", "slow"]


def test_activity_is_batched_per_partition_and_owned_as_if_keyed_by_account():
    import json

    from kafka.partitioner.default import murmur2

    from streams.surge.activity import activity_batches, expand

    touches = {f"acc{i}": [[1000 * i, f"e{i}"]] for i in range(50)}
    batches = activity_batches(touches, 4)
    assert len(batches) <= 4
    seen = {}
    for partition, value in batches.items():
        for body in expand(json.loads(value)):
            assert (murmur2(body["account_id"].encode()) & 0x7FFFFFFF) % 4 == partition
            seen[body["account_id"]] = body["touches"]
    assert seen == touches
    assert expand({"account_id": "a", "tick": 5}) == [{"account_id": "a", "tick": 5}]

