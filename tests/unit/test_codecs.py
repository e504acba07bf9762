import json

import pytest

from schemas.events import derive_event_id
from streams.ingest.codecs import DecodeError, decode

VISIT = {"event_id": "v1", "type": "web_visit", "ts": "2026-11-02T09:30:00+02:00",
         "ip": "198.18.0.1", "url": "https://x/pricing", "user_agent": "ua"}


def raw(**changes: object) -> bytes:
    event = {**VISIT, **changes}
    return json.dumps({k: v for k, v in event.items() if v is not None}).encode()


def test_valid_visit_keeps_its_offset_in_utc():
    event = decode(raw(), "web_visits")
    assert event.event_id == "v1"
    assert event.ts.isoformat() == "2026-11-02T09:30:00+02:00"


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (b"", "empty record"),
        (b"\xff\xfe{}", "invalid UTF-8 at byte 0"),
        (b'{"type": "web_visit",', "invalid JSON"),
        (b"[1, 2]", "expected a JSON object, got list"),
        (raw(type="page_view"), "unknown event type 'page_view'"),
        (raw(ip="10.0.0.300"), "field 'ip': '10.0.0.300' is not an IPv4 or IPv6 address"),
        (raw(ts="2026-11-02 09:30"), "field 'ts': must be an RFC 3339 timestamp"),
        (raw(ts=1762075800), "field 'ts': must be an RFC 3339 timestamp"),
        (raw(url=None), "field 'url': Field required"),
        (raw(url=42), "field 'url': Input should be a valid string"),
        (raw(extra="x"), "field 'extra': Extra inputs are not permitted"),
        (raw(type="email_open"), "does not belong on topic 'web_visits'"),
        (b"{" + b'"a":"' + b"x" * 1_000_001 + b'"}', "record too large"),
    ],
)
def test_bad_records_get_a_readable_reason(record, reason):
    with pytest.raises(DecodeError) as err:
        decode(record, "web_visits")
    assert reason in str(err.value)


def test_missing_event_id_is_derived_stably_from_the_payload():
    a = decode(raw(event_id=None), "web_visits")
    b = decode(raw(event_id=None), "web_visits")
    c = decode(raw(event_id=None, url="https://x/other"), "web_visits")
    payload = {k: v for k, v in VISIT.items() if k != "event_id"}
    assert a.event_id == b.event_id == derive_event_id(payload)
    assert a.event_id != c.event_id


def test_email_is_normalised():
    event = decode(json.dumps({"type": "email_open", "ts": "2026-11-02T09:30:00Z",
                               "email": " Anna@ACME.com ", "campaign_id": "c"}).encode())
    assert event.email == "anna@acme.com"


def test_ipv4_mapped_ipv6_is_accepted():
    assert decode(raw(ip="::ffff:198.18.0.1")).ip == "::ffff:c612:1"
