"""Event-time watermarks and day ticks: what lets a drained backlog alert like live."""

from streams.activity import SourceWatermarks, Watermarks
from streams.surge import DAY


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


def test_events_from_a_clock_far_ahead_neither_alert_nor_move_the_watermark():
    from datetime import UTC, datetime, timedelta

    from streams.activity import from_the_future, touches_by_account
    from streams.pipeline import EVENT_COLUMNS

    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def row(event_id: str, ts: datetime) -> tuple[object, ...]:
        values: dict[str, object] = {c: "" for c in EVENT_COLUMNS}
        values.update(event_id=event_id, ts=ts, account_id="acme", ingested_at=now)
        return tuple(values[c] for c in EVENT_COLUMNS)

    skewed = row("a", now + timedelta(minutes=4))  # a clock a little fast: accepted
    tomorrow = row("b", now + timedelta(days=1))
    assert not from_the_future(skewed) and from_the_future(tomorrow)
    assert [e for _, e in touches_by_account([skewed, tomorrow])["acme"]] == ["a"]
