"""What publishers send and operators configure, at its worst: event times, URLs full of
personal data, 6to4 addresses, deep or huge lines, secrets in output, warehouse refusals.
Each test is named after the defect it proved (issue 11)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from services.publisher import route
from streams.ingest.batch import RawRecord, process_batch
from streams.ingest.event_time import EventTimeError, check_event_time
from streams.ingest.pseudonyms import strip_url, truncate_ip
from streams.ingest.rows import EVENT_COLUMNS
from streams.settings import Settings
from streams.warehouse.failures import is_transient, isolate
from tests.unit.test_pipeline import attributor

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def visit(ts: str, **extra: object) -> bytes:
    return json.dumps({"event_id": f"v-{ts}", "type": "web_visit", "ts": ts,
                       "ip": "198.18.0.1", "url": "https://x/", "user_agent": "Mozilla/5.0",
                       **extra}).encode()


@pytest.mark.parametrize("ts,why", [
    ("0001-01-03T00:00:00Z", "is before 2000-01-01"),
    ("1969-12-31T23:59:59Z", "is before 2000-01-01"),
    ("1970-01-01T00:00:00Z", "is before 2000-01-01"),
    ("2016-01-04T10:00:00Z", "is older than the 395-day retention"),
    ("2106-02-07T06:28:16Z", "ahead of its arrival"),
    ("9999-12-31T23:59:59Z", "ahead of its arrival"),
    ("9999-12-31T23:59:59-05:00", "cannot be expressed in UTC"),
])
def test_year_0001_and_other_out_of_range_times_are_dead_lettered_with_the_range(ts, why):
    out = process_batch([RawRecord("web_visits", 0, 7, visit(ts))], attributor(), b"k", now=NOW)
    assert out.events == [] and len(out.dead_letters) == 1
    reason = out.dead_letters[0][4]
    assert why in reason and ("accepted" in reason or "UTC" in reason), reason


def test_accepted_times_span_the_retention_and_the_future_limit():
    assert check_event_time(NOW - timedelta(days=394), NOW) == NOW - timedelta(days=394)
    assert check_event_time(NOW + timedelta(days=6), NOW) == NOW + timedelta(days=6)
    with pytest.raises(EventTimeError, match="more than 2 hours ahead"):
        check_event_time(NOW + timedelta(hours=3), NOW, future_limit_s=7200)
    rows = process_batch([RawRecord("web_visits", 0, 1, visit(
        (NOW + timedelta(days=1)).isoformat()))], attributor(), b"k", now=NOW).events
    assert rows[0][EVENT_COLUMNS.index("future")] == 1


def test_url_query_strings_and_user_info_are_not_stored():
    assert strip_url("https://bob:pw@vendor.example/demo?email=anna%40acme.com&utm_source=li"
                     "#token=abc") == "https://vendor.example/demo?email=&utm_source="
    assert strip_url("https://vendor.example/u/anna@acme.com/x") == "https://vendor.example/u/***/x"
    assert strip_url("https://vendor.example/pricing") == "https://vendor.example/pricing"
    out = process_batch([RawRecord("web_visits", 0, 1, visit(
        NOW.isoformat(), url="https://vendor.example/pricing?e=anna%40acme.com",
        referrer="https://mail.example/?to=anna@acme.com"))], attributor(), b"k", now=NOW)
    row = dict(zip(EVENT_COLUMNS, out.events[0], strict=True))
    assert row["url"] == "https://vendor.example/pricing?e=" and "anna" not in row["referrer"]
    assert row["url_class"] == "pricing"  # scoring reads the path, which stays


def test_6to4_addresses_keep_no_more_of_their_ipv4_than_a_24():
    assert truncate_ip("2002:c000:0204::1") == "2002:c000:200::"  # 192.0.2.4 -> 192.0.2.0/24
    assert truncate_ip("2001:db8:1234:5678::9") == "2001:db8:1234::"
    from streams.attribution.learned_ip import block_of
    assert block_of("2002:c000:0204::1") == "2002:c000:200::/40"


def test_pulse_publish_deeply_nested_or_over_large_lines_are_reported_not_fatal():
    with pytest.raises(ValueError, match="nested too deeply"):
        route(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(ValueError, match="larger than an input topic takes"):
        route(b'{"type": "web_visit", "x": "' + b"a" * (5 << 20) + b'"}')
    deep = RawRecord("web_visits", 0, 1, b'{"a":' * 100_000 + b"1" + b"}" * 100_000)
    out = process_batch([deep], attributor(), b"k", now=NOW)
    assert out.dead_letters[0][4] == "invalid JSON: nested too deeply"


SECRETS = {  # every setting that holds a secret, each with a value found nowhere else
    "clickhouse_dsn": "http://pulse:dsn-pass-1@ch:8123/?password=dsn-pass-2",
    "person_key_secret": "person-key-secret-3",
    "alert_destinations": [{"name": "slack", "format": "slack",
                            "url": "https://u:url-pass-4@hooks.slack.com/services/T0/B0/tok-5"},
                           {"name": "crm", "url": "https://crm.example/hook?token=tok-6",
                            "secret": "whsec_" + base64.b64encode(b"signing-secret-7" * 2
                                                                  ).decode()}],
    "collect_write_keys": [{"key": "write-key-number-8", "source": "site"}],
    "sendgrid_verification_key": "c2VuZGdyaWQta2V5LTk=",
    "mailgun_signing_key": "mailgun-key-10",
    "postmark_webhook_auth": "pm:postmark-pass-11",
    "web_users": {"ann": "scrypt$32768$8$1$c2FsdA==$aGFzaC0xMg=="},
    "web_secret": "web-secret-13",
}
MARKERS = ("dsn-pass-1", "dsn-pass-2", "person-key-secret-3", "url-pass-4", "tok-5", "tok-6",
           SECRETS["alert_destinations"][1]["secret"], "write-key-number-8",
           "c2VuZGdyaWQta2V5LTk", "mailgun-key-10", "postmark-pass-11", "aGFzaC0xMg",
           "web-secret-13")


def test_secrets_in_output_are_masked():
    shown = json.dumps(Settings(**SECRETS).masked())
    assert [m for m in MARKERS if m in shown] == []
    assert "hooks.slack.com/***" in shown and "pulse:***@ch:8123" in shown
    assert '"web_users": {"ann": "***"}' in shown  # who may sign in is no secret


def test_dev_person_key_secret_is_refused_beyond_this_machine_and_warned_about_on_it(caplog):
    from services.privacy import require_person_key

    local = Settings(kafka_bootstrap="127.0.0.1:9092")
    require_person_key(local)  # a local trial: allowed
    assert "development value" in caplog.text and "token_urlsafe" in caplog.text
    for remote in (Settings(kafka_bootstrap="kafka:9092"),
                   Settings(clickhouse_dsn="http://clickhouse:8123"),
                   Settings(kafka_bootstrap="kafka:9092", person_key_secret="change-me"),
                   Settings(kafka_bootstrap="kafka:9092", person_key_secret="short")):
        with pytest.raises(RuntimeError, match="refusing to start"):
            require_person_key(remote)
    require_person_key(Settings(kafka_bootstrap="kafka:9092",
                                person_key_secret="x7Gq2pLr9TzWv4Kc8Nf1Hs6Yb3Md5Ja0"))


class Refusal(Exception):
    pass


def test_too_many_partitions_for_single_insert_block_is_about_the_data():
    err = Exception("Code: 252. DB::Exception: Too many partitions for single INSERT block "
                    "(more than 100). (TOO_MANY_PARTS)")
    assert not is_transient(err)
    assert is_transient(Exception("Code: 252. DB::Exception: Too many parts (300). Merges are "
                                  "processing significantly slower than inserts"))
    assert is_transient(ConnectionError("refused")) and is_transient(TimeoutError())
    assert not is_transient(Exception("Code: 53. DB::Exception: Type mismatch"))


def test_a_batch_refused_for_a_data_reason_is_bisected_down_to_its_bad_rows():
    calls = []

    def write(rows):
        calls.append(len(rows))
        if any(r in (3, 11) for r in rows):
            raise Refusal("Code: 70. DB::Exception: Cannot convert value")

    assert isolate(list(range(16)), write) == [
        (3, "Code: 70. DB::Exception: Cannot convert value"),
        (11, "Code: 70. DB::Exception: Cannot convert value")]
    assert len(calls) < 16  # split, not row by row

    def down(rows):
        raise ConnectionError("the warehouse is away")

    with pytest.raises(ConnectionError):  # the world: the caller retries the whole batch
        isolate([1, 2, 3], down)
