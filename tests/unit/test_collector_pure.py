"""The collector's pure parts: body shapes, per-event verdicts, client addresses behind
proxies, write keys, rate limits."""

from __future__ import annotations

import json

import pytest

from services.collector.clients import client_address, find_key, write_key
from services.collector.limits import RateLimiter
from services.collector.payloads import BodyError, check, split
from streams.settings import WriteKey, networks

VISIT = {"type": "web_visit", "event_id": "v1", "ts": "2026-11-30T10:00:00Z",
         "ip": "203.0.113.9", "url": "https://vendor.example/pricing",
         "user_agent": "Mozilla/5.0"}
OPEN = {"type": "email_open", "event_id": "o1", "ts": "2026-11-30T10:00:00Z",
        "email": "anna@acme.com", "campaign_id": "q4"}


def test_one_event_pretty_or_not_an_array_and_ndjson():
    assert split(json.dumps(VISIT).encode()) == [json.dumps(VISIT).encode()]
    assert len(split(json.dumps(VISIT, indent=2).encode())) == 1
    arr = split(json.dumps([VISIT, OPEN]).encode())
    assert [json.loads(r)["event_id"] for r in arr] == ["v1", "o1"]
    assert arr[0] == json.dumps(VISIT).encode()  # the sender's own bytes, spaces and all
    assert split(b'[ {"a": 1} ,\n{"b":2}]') == [b'{"a": 1}', b'{"b":2}']
    assert split(b"[]") == [] and split(b'[{"a":1}] x') == [b'[{"a":1}] x']
    nd = split((json.dumps(VISIT) + "\n\n" + json.dumps(OPEN) + "\n").encode())
    assert [json.loads(r)["event_id"] for r in nd] == ["v1", "o1"]
    assert split(b"[not json") == [b"[not json"]  # one record, rejected by the decoder
    with pytest.raises(BodyError):
        split(b"  \n")


def test_each_event_gets_the_pipelines_verdict_and_its_topic():
    bad_ip = {**VISIT, "event_id": "v2", "ip": "10.0.0.300"}
    items = check([json.dumps(VISIT).encode(), json.dumps(bad_ip).encode(),
                   json.dumps(OPEN).encode(), b'{"type": "nope"}', b"{oops"])
    assert [(i.topic, i.accepted) for i in items] == [
        ("web_visits", True), ("web_visits", False), ("email_opens", True),
        ("web_visits", False), ("web_visits", False)]
    assert "10.0.0.300" in items[1].error and "is not an IPv4 or IPv6 address" in items[1].error
    assert items[0].event_id == "v1" and items[3].error and items[4].error


def test_forwarded_for_is_believed_only_from_trusted_proxies():
    proxies = networks("10.0.0.0/8, fd00::/8")
    assert client_address("198.51.100.7", "1.2.3.4", proxies) == "198.51.100.7"
    assert client_address("10.1.2.3", "203.0.113.5", proxies) == "203.0.113.5"
    # the left end is the client's to write: the first untrusted hop from the right wins
    assert client_address("10.1.2.3", "6.6.6.6, 203.0.113.5, 10.9.9.9", proxies) == "203.0.113.5"
    assert client_address("10.1.2.3", "garbage", proxies) == "10.1.2.3"
    assert client_address("10.1.2.3", "", proxies) == "10.1.2.3"


def test_write_keys():
    keys = [WriteKey(key="k" * 20, source="site"), WriteKey(key="m" * 20, source="esp")]
    assert write_key({"authorization": "Bearer " + "m" * 20}, keys).source == "esp"
    assert write_key({"authorization": "bearer " + "k" * 20}, keys).source == "site"
    assert write_key({"authorization": "Basic " + "k" * 20}, keys) is None
    assert write_key({}, keys) is None and find_key("k" * 19, keys) is None
    with pytest.raises(ValueError, match="at least 16"):
        WriteKey(key="short", source="x")


def test_rate_limiter_refills_and_is_bounded():
    r = RateLimiter(rate=10, burst=20, max_keys=2)
    assert r.take("a", 20, 0.0) == 0
    assert r.take("a", 5, 0.0) == pytest.approx(0.5)
    assert r.take("a", 5, 0.5) == 0  # 5 tokens came back in half a second
    assert r.take("a", 30, 0.5) == pytest.approx(3.0)  # more than a burst never passes at once
    r.take("b", 1, 1.0)
    r.take("c", 1, 1.0)
    assert len(r._buckets) == 2 and "a" not in r._buckets
