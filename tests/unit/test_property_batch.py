"""Property: every record, however odd, becomes exactly one event row or one dead letter
with a reason a person understands; nothing raises, and nothing that is reported as landed
is dropped by TTL or partitioning. Events are generated field by field, from legal to
absurd (Hypothesis): every year and offset, every IP family and spelling, unicode, sizes up
to the record limit, duplicates."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime

import clickhouse_connect
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.warehouse import migrate
from streams.ingest.batch import RawRecord, process_batch
from streams.ingest.codecs import MAX_EVENT_BYTES
from streams.ingest.rows import EVENT_COLUMNS
from streams.warehouse.events import ClickHouseSink
from tests.unit.test_pipeline import attributor

NOW = datetime.now(UTC).replace(microsecond=0)
TOPIC = {"web_visit": "web_visits", "email_open": "email_opens", "ad_click": "ad_clicks"}

years = st.integers(1, 9999).map(lambda y: f"{y:04d}")
offsets = st.sampled_from(["Z", "+00:00", "+14:00", "-12:00", "+05:30", "z", ""])
timestamps = st.one_of(
    st.builds(lambda y, mo, d, h, o: f"{y}-{mo:02d}-{d:02d}T{h:02d}:30:00{o}", years,
              st.integers(1, 12), st.integers(1, 28), st.integers(0, 23), offsets),
    st.datetimes(min_value=datetime(2025, 11, 1), max_value=datetime(2026, 12, 31),
                 timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.just(NOW.isoformat()),
    st.text(max_size=40), st.integers(), st.none(), st.floats(allow_nan=True))
ips = st.one_of(
    st.ip_addresses().map(str),
    st.ip_addresses(v=6).map(lambda a: a.exploded),
    st.sampled_from(["::ffff:198.18.0.9", "2002:c000:204::1", "64:ff9b::7f00:1", "::",
                     "0.0.0.0", "255.255.255.255", "198.18.0.1", "1.2.3", "10.0.0.300",
                     "１２７.０.０.１", "fe80::1%eth0", " 198.18.0.2 ", "", "::1"]),
    st.text(max_size=50), st.integers())
texts = st.one_of(st.text(max_size=200), st.text(string.printable, max_size=30),
                  st.just("x" * 3000), st.sampled_from(["\x00", "\u202e", "😀" * 10, ""]))
urls = st.one_of(texts, st.builds(lambda p, q: f"https://vendor.example/{p}?{q}",
                                  st.text(max_size=30), st.text(max_size=60)))
emails = st.one_of(st.emails().map(str), texts, st.sampled_from(
    ["anna@acme.com", "ANNA@ACME.COM", "a@b", "@acme.com", "anna@faß.de"]))
def mostly(valid: st.SearchStrategy[object],
           absurd: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """Legal values most of the time, so that events land and the sink is exercised too."""
    return st.integers(0, 19).flatmap(lambda n: valid if n < 18 else absurd)


good_ts = st.datetimes(min_value=datetime(2025, 11, 10), max_value=datetime(2026, 12, 1),
                       timezones=st.just(UTC)).map(lambda d: d.isoformat())
good_ip = st.sampled_from(["198.18.0.9", "2001:db8:1::7", "::ffff:198.18.1.5", "203.0.113.9",
                           "2002:c000:204::1"])
good_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1,
                    max_size=60)
good_url = st.builds(lambda p, q: f"https://vendor.example/{p}?{q}",
                     st.sampled_from(["pricing", "demo", "blog/x", ""]), st.text(max_size=40))
good_email = st.sampled_from(["anna@acme.com", "bob@acme.com", "x@gmail.com", "eve@other.org"])
fields = {
    "web_visit": {"ip": mostly(good_ip, ips), "url": mostly(good_url, urls),
                  "user_agent": mostly(good_text, texts), "referrer": mostly(good_url, urls),
                  "anonymous_id": mostly(good_text, texts), "email": mostly(good_email, emails)},
    "email_open": {"email": mostly(good_email, emails), "campaign_id": mostly(good_text, texts),
                   "ip": mostly(good_ip, ips), "user_agent": mostly(good_text, texts),
                   "sent_at": mostly(good_ts, timestamps)},
    "ad_click": {"ip": mostly(good_ip, ips), "campaign_id": mostly(good_text, texts),
                 "ad_id": mostly(good_text, texts), "platform": mostly(good_text, texts),
                 "url": mostly(good_url, urls), "company_name": mostly(good_text, texts),
                 "user_agent": mostly(good_text, texts), "anonymous_id": mostly(good_text, texts)},
}


@st.composite
def events(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(mostly(st.sampled_from(list(fields)), st.sampled_from(["page_view", None, 5])))
    topic = draw(mostly(st.just(TOPIC.get(kind, "web_visits") if isinstance(kind, str)
                                else "web_visits"), st.sampled_from(list(TOPIC.values()))))
    body: dict[str, object] = {}
    if draw(st.booleans()):
        body["event_id"] = draw(mostly(st.text(min_size=1, max_size=40), st.one_of(
            st.just("dup-1"), st.integers(), st.just(""), st.just("x" * 3000))))
    if kind is not None:
        body["type"] = kind
    body["ts"] = draw(mostly(good_ts, timestamps))
    for name, values in fields.get(kind if isinstance(kind, str) else "", {}).items():
        if draw(st.floats(0, 1)) < 0.85:
            body[name] = draw(values)
    if draw(st.integers(0, 20)) == 0:
        body["unknown_field"] = 1
    raw = json.dumps(body, ensure_ascii=draw(st.booleans())).encode()
    shape = draw(st.integers(0, 30))
    if shape == 0:
        raw = raw[: len(raw) // 2]  # truncated
    elif shape == 1:
        raw = b"\xff\xfe" + raw  # not UTF-8
    elif shape == 2:
        raw = json.dumps([body]).encode()  # not an object
    if shape == 3:
        raw = b"{" + b" " * (MAX_EVENT_BYTES + 10) + b"}"  # over the limit
    return topic, raw


records = st.lists(events(), min_size=1, max_size=25)


def run_batch(batch: list[tuple[str, bytes]], offset: int = 0):  # type: ignore[no-untyped-def]
    recs = [RawRecord(t, 0, offset + i, raw) for i, (t, raw) in enumerate(batch)]
    return recs, process_batch(recs, attributor(), b"k", now=NOW)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records)
def test_every_record_becomes_one_row_or_one_dead_letter_with_a_reason(batch):
    recs, out = run_batch(batch)
    assert len(out.events) + len(out.dead_letters) + out.filtered == len(recs)
    positions = [r[EVENT_COLUMNS.index("_offset")] for r in out.events] + [
        d[2] for d in out.dead_letters]
    assert sorted(positions) == [r.offset for r in recs]  # each record exactly once
    for dead in out.dead_letters:
        reason = dead[4]
        assert isinstance(reason, str) and 10 < len(reason) < 2000, reason
        assert not reason.startswith("processing error"), reason  # a bug, not a reason
        assert dead[3] == (recs[dead[2]].value or b"")  # the original bytes
    for row in out.events:  # what lands is inside the accepted range
        ts = row[EVENT_COLUMNS.index("ts")]
        assert datetime(2000, 1, 1, tzinfo=UTC) <= ts


@pytest.fixture(scope="module")
def sink(tmp_path_factory):
    client = clickhouse_connect.get_client(dsn=f"chdb://{tmp_path_factory.mktemp('ch')}")
    migrate(client)
    yield ClickHouseSink(client)
    client.close()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(batch=records, offset=st.integers(0, 2**40))
def test_what_the_sink_reports_as_landed_is_stored_and_stays(sink, batch, offset):
    """No TTL deletes at insert and no partition limit refuses: the stored rows are exactly
    the new event ids the sink reports, and what it refuses comes back as dead letters."""
    _, out = run_batch(batch, offset)
    before = {r[0] for r in sink.query("SELECT event_id FROM abm.events FINAL")}
    summary = sink.write(out)
    fresh = {str(r[0]) for r in summary.landed}
    assert summary.events == len(fresh)
    assert fresh.isdisjoint(before)
    after = {r[0] for r in sink.query("SELECT event_id FROM abm.events FINAL")}
    assert after - before == fresh
    assert len(summary.dead_letter_rows) == len(out.dead_letters) + (
        len({str(r[0]) for r in out.events} - before) - len(fresh))
