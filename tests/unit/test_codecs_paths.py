"""The fast decoder (pydantic-core parses the bytes) and the careful one (json, then the
model) give one answer for every record: the same event, or a dead letter with the same
reason. Fed JSONTestSuite's parsing vectors, alone and as a field value inside an event,
the hostile-input records, generated events, and the IPv4 shortcut against ``ipaddress``."""

from __future__ import annotations

import json
import random
from ipaddress import ip_address
from pathlib import Path

import pytest
from hypothesis import given, settings

from schemas.events import _ip
from streams.ingest.codecs import DecodeError, decode, decode_carefully
from tests.fault.test_hostile_input import good_hostile_events, hostile_records, visit
from tests.unit.test_property_batch import records

SUITE = Path(__file__).parents[1] / "data" / "json_test_suite" / "test_parsing"
VECTORS = sorted(SUITE.iterdir())
EVENT = (b'{"event_id": "v", "type": "web_visit", "ts": "2026-11-02T09:30:00Z", '
         b'"ip": "198.18.0.9", "url": "https://vendor.example/p", "user_agent": "UA", '
         b'"referrer": %s}')


def outcome(decoder: object, raw: bytes | None, topic: str | None) -> object:
    try:
        return decoder(raw, topic)  # type: ignore[operator]
    except DecodeError as err:
        return f"dead letter: {err}"


def same(raw: bytes | None, topic: str | None = None) -> object:
    fast, careful = outcome(decode, raw, topic), outcome(decode_carefully, raw, topic)
    assert fast == careful, raw[:200] if raw else raw
    return fast


def test_the_suite_is_all_there() -> None:
    kinds = {p.name[0] for p in VECTORS}
    assert len(VECTORS) == 318 and kinds == {"y", "n", "i"}


@pytest.mark.parametrize("vector", VECTORS, ids=lambda p: p.name)
def test_json_test_suite_vectors_alone_and_inside_an_event(vector: Path) -> None:
    data = vector.read_bytes()
    assert isinstance(same(data, "web_visits"), str)  # never an event: not one of ours
    inside = same(EVENT % data, "web_visits")
    if vector.name.startswith("n_"):  # JSON that must not parse makes no event
        assert isinstance(inside, str) and inside.startswith("dead letter: invalid")


def test_the_string_vectors_unwrapped_inside_an_event() -> None:
    """Each ``["..."]`` string vector, unwrapped, as the referrer: escapes, surrogate pairs,
    lone surrogates, unicode oddities."""
    made = {p.name: same(EVENT % p.read_bytes().strip()[1:-1], "web_visits") for p in VECTORS
            if p.name[2:].startswith("string") and p.read_bytes().strip().startswith(b'["')}
    events = {name for name, m in made.items() if not isinstance(m, str)}
    assert len(made) > 60 and len(events) >= 25
    assert not {n for n in events if n.startswith("n_")}


def test_hostile_records_and_odd_legal_events() -> None:
    later = {"event time out of range", "backfill older than the retention", "far future"}
    for topic, raw, kind in hostile_records():  # event time is judged after decoding
        assert isinstance(same(raw, topic), str) or kind in later, kind
    good, _ = good_hostile_events()
    for event in good:
        topic = {"web_visit": "web_visits", "email_open": "email_opens"}[str(event["type"])]
        assert not isinstance(same(json.dumps(event).encode(), topic), str), event["event_id"]


def test_duplicate_keys_and_a_missing_id_agree() -> None:
    body = json.dumps(visit("x", "2026-11-02T09:30:00Z"))[1:]
    assert not isinstance(same(b'{"ip": "1.1.1.1", ' + body.encode(), "web_visits"), str)
    no_id = {k: v for k, v in visit("x", "2026-11-02T09:30:00+02:00", big=10**30).items()
             if k != "event_id"}
    same(json.dumps(no_id).encode(), "web_visits")
    no_id.pop("big")
    event = same(json.dumps(no_id).encode(), "web_visits")
    assert event.event_id.startswith("d-")  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(records)
def test_generated_records(batch: list[tuple[str, bytes]]) -> None:
    for topic, raw in batch:
        same(raw, topic)


def test_the_ipv4_shortcut_writes_what_ipaddress_writes() -> None:
    rng = random.Random(3)
    octets = ["0", "00", "007", "1", "10", "99", "100", "199", "200", "249", "250", "255", "256",
              "999", "١", "1 ", "+1", "-1", ""]
    cases = [".".join(rng.choice(octets) for _ in range(rng.choice([3, 4, 4, 4, 5])))
             for _ in range(20_000)]
    cases += [" 10.0.0.1 ", "10.0.0.1\n", "1.2.3.4%eth0", "1.2.3.4/32", "0x7f.0.0.1"]
    for case in cases:
        try:
            expected = str(ip_address(case.strip().split("%", 1)[0]))
        except ValueError:
            expected = "refused"
        try:
            got = _ip(case)
        except ValueError:
            got = "refused"
        assert got == expected, case
