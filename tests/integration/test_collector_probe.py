"""The collector against the attacks of ../shared/findings/http-probe.md, each test named
after the defect it proved (D1-D5, and what was also seen), on one real `pulse collect`
publishing to the real broker. What was published is read back from the topics."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import http.client
import json
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer, TopicPartition

from services.runtime.local_kafka import free_port
from tests.conftest import PulseEnv, isolated_env
from tests.support.services import wait_serving

pytestmark = pytest.mark.integration
KEY = "probe-key-AAAAAAAAAAAAAAAA1"
ORIGIN = "https://www.example.com"
MAILGUN_KEY = "mg-signing-key-probe-0123456789"
POSTMARK_AUTH = ("pmuser", "pm-password-probe")
DEEP_30K = b"[" * 30_000 + b"]" * 30_000  # 60 KB
DEEP_100K = b"[" * 100_000 + b"]" * 100_000


@dataclass
class Collector:
    env: PulseEnv
    port: int
    proc: Any

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None,
             port: int | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=30)
        try:
            conn.request("POST", path, body, {"Content-Type": "application/json",
                                              **(headers or {})})
            answer = conn.getresponse()
            return answer.status, answer.read()
        finally:
            conn.close()

    def events(self, body: bytes, **headers: str) -> tuple[int, bytes]:
        return self.post("/v1/events", body, {"Authorization": f"Bearer {KEY}", **headers})

    def tag(self, beacon_id: str, headers: dict[str, str] | None = None) -> int:
        body = {"key": KEY, "events": [{"kind": "page", "id": beacon_id,
                                        "url": "https://www.example.com/pricing"}]}
        return self.post("/v1/tag", json.dumps(body).encode(),
                         {"Origin": ORIGIN, **(headers or {})})[0]

    def published(self, topic: str, event_ids: set[str], settle: float = 3.0
                  ) -> dict[str, dict[str, Any]]:
        """The records on ``topic`` (read from its beginning) whose event_id is wanted,
        waiting ``settle`` seconds for any that are missing."""
        consumer = KafkaConsumer(bootstrap_servers=self.env.settings.kafka_bootstrap,
                                 enable_auto_commit=False)
        try:
            name = self.env.topic(topic)
            tps = [TopicPartition(name, p) for p in consumer.partitions_for_topic(name) or ()]
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            found: dict[str, dict[str, Any]] = {}
            deadline = time.monotonic() + settle
            while time.monotonic() < deadline and set(found) != event_ids:
                for messages in consumer.poll(timeout_ms=300).values():
                    for m in messages:
                        try:  # rejected records are published too, to be dead-lettered
                            value = json.loads(m.value)
                        except (ValueError, RecursionError):
                            continue
                        if isinstance(value, dict) and value.get("event_id") in event_ids:
                            found[value["event_id"]] = value
            return found
        finally:
            consumer.close()


def start(env: PulseEnv) -> tuple[int, Any]:
    port = free_port()
    proc = env.start("collect", "--host", "127.0.0.1", "--port", str(port))
    wait_serving(proc, f"http://127.0.0.1:{port}", "pulse collect")
    return port, proc


@pytest.fixture(scope="module")
def collector(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[Collector]:
    with isolated_env(kafka_bootstrap, tmp_path_factory.mktemp("probe")) as env:
        env.env.update({
            "PULSE_COLLECT_WRITE_KEYS": json.dumps([{"key": KEY, "source": "probe",
                                                     "origins": [ORIGIN]}]),
            "PULSE_MAILGUN_SIGNING_KEY": MAILGUN_KEY,
            "PULSE_POSTMARK_WEBHOOK_AUTH": ":".join(POSTMARK_AUTH),
            "PULSE_HTTP_REQUEST_TIMEOUT_SECONDS": "2",
        })
        env.cli("up")
        port, proc = start(env)
        yield Collector(env, port, proc)


def visit(event_id: str, ip: str = "198.51.100.10") -> dict[str, Any]:
    return {"event_id": event_id, "type": "web_visit",
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "ip": ip,
            "url": "https://www.example.com/", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"}


def test_d1_deeply_nested_json_is_refused_not_a_500(collector: Collector):
    postmark = "Basic " + base64.b64encode(":".join(POSTMARK_AUTH).encode()).decode()
    assert collector.post("/v1/tag", DEEP_30K, {"Origin": ORIGIN})[0] == 400
    assert collector.post("/v1/webhooks/mailgun", DEEP_100K)[0] == 400
    assert collector.post("/v1/webhooks/postmark", DEEP_30K, {"Authorization": postmark})[0] \
        == 400
    for content_type in ("application/json", "application/x-ndjson"):
        status, body = collector.events(DEEP_100K, **{"Content-Type": content_type})
        answer = json.loads(body)
        assert status == 200 and answer["accepted"] == 0 and answer["rejected"] == 1, answer
        assert answer["events"][0]["error"] == "invalid JSON: nested too deeply"
    assert "Traceback" not in collector.proc.log.read_text()


def test_d2_forwarded_for_from_an_untrusted_loopback_peer_is_not_believed(collector: Collector):
    beacon = f"xff{uuid.uuid4().hex[:12]}"
    assert collector.tag(beacon, {"X-Forwarded-For": "198.51.101.88"}) == 204
    record = collector.published("web_visits", {f"t-{beacon}"})
    assert record[f"t-{beacon}"]["ip"] == "127.0.0.1"  # the peer, not the header's claim
    # Nor does the header buy a fresh rate-limit bucket per made-up address.
    time.sleep(1.5)  # the per-client bucket (1,000 events, 1,000/s) refills
    statuses = [collector.events(json.dumps([visit(f"rl-{i}-{j}") for j in range(400)]).encode(),
                                 **{"X-Forwarded-For": f"203.0.113.{i + 1}"})[0]
                for i in range(4)]
    assert statuses[:2] == [200, 200] and 429 in statuses[2:], statuses


def rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


def answer_of(sock: socket.socket) -> bytes:
    """What the server said before closing (b'' if it said nothing)."""
    sock.settimeout(10)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def test_d3_unbounded_headers_and_slow_requests_are_cut(collector: Collector):
    before = rss_kb(collector.proc.pid)
    for _ in range(4):  # 8 MB of one header each: cut at 64 KB with 431
        s = socket.create_connection(("127.0.0.1", collector.port))
        try:
            s.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: ")
            for _ in range(128):
                s.sendall(b"a" * (1 << 16))
        except OSError:  # the server closed the connection while we were sending
            pass
        assert answer_of(s).startswith(b"HTTP/1.1 431 "), "an oversized header must get 431"
        s.close()
    assert rss_kb(collector.proc.pid) - before < 20_000

    slow = socket.create_connection(("127.0.0.1", collector.port))  # a header byte a second
    chunked = socket.create_connection(("127.0.0.1", collector.port))  # a body with no end
    started = time.monotonic()
    slow.sendall(b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    chunked.sendall(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY.encode()
                    + b"\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[{}, \r\n")
    slow.settimeout(0.1)
    for _ in range(40):
        try:
            slow.sendall(b"a")
            if slow.recv(100):
                break
        except (TimeoutError, BlockingIOError):
            continue
        except OSError:
            break
    assert time.monotonic() - started < 6, "a slow header must be cut after 2 s"
    assert answer_of(chunked).startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < 8
    slow.close()
    chunked.close()
    assert collector.events(json.dumps(visit("after-slow")).encode())[0] == 200
    assert "Traceback" not in collector.proc.log.read_text()


def test_gzip_bodies_are_read_and_other_encodings_refused(collector: Collector):
    body = gzip.compress(json.dumps([visit("gz-1"), visit("gz-2")]).encode())
    status, answer = collector.events(body, **{"Content-Encoding": "gzip"})
    assert status == 200 and json.loads(answer)["accepted"] == 2, answer
    assert set(collector.published("web_visits", {"gz-1", "gz-2"})) == {"gz-1", "gz-2"}
    assert collector.events(b"\x1b\x00", **{"Content-Encoding": "br"})[0] == 415
    assert collector.events(body[:-9], **{"Content-Encoding": "gzip"})[0] == 400
    bomb = gzip.compress(b"[" + b" " * (64 << 20) + b"]")  # 64 MB of spaces, 64 KB sent
    status, answer = collector.events(bomb, **{"Content-Encoding": "gzip"})
    assert status == 413 and b"decompressed" in answer


def test_dnt_and_gpc_beacons_are_dropped_by_the_server(collector: Collector):
    ids = {name: f"{name}{uuid.uuid4().hex[:12]}" for name in ("gpc", "dnt", "plain")}
    assert collector.tag(ids["gpc"], {"Sec-GPC": "1"}) == 204
    assert collector.tag(ids["dnt"], {"DNT": "1"}) == 204
    assert collector.tag(ids["plain"], {"DNT": "0"}) == 204
    found = collector.published("web_visits", {f"t-{i}" for i in ids.values()})
    assert set(found) == {f"t-{ids['plain']}"}


def mailgun_request(event: dict[str, Any], token: str, ts: str | None = None) -> bytes:
    ts = ts or str(int(time.time()))
    sig = hmac.new(MAILGUN_KEY.encode(), (ts + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps({"signature": {"timestamp": ts, "token": token, "signature": sig},
                       "event-data": event}).encode()


def test_d5_a_mailgun_signature_signs_one_event_only_on_every_replica(collector: Collector):
    def opened(event_id: str, recipient: str) -> dict[str, Any]:
        return {"id": event_id, "event": "opened", "timestamp": time.time(),
                "recipient": recipient}

    token, ts = uuid.uuid4().hex + uuid.uuid4().hex[:18], str(int(time.time()))
    legit = mailgun_request(opened("legit-1", "dora@example.org"), token, ts)
    forged = mailgun_request(opened("forged-1", "ceo@acme.com"), token, ts)
    assert collector.post("/v1/webhooks/mailgun", legit) == (
        200, b'{"accepted":1,"rejected":0,"ignored":0}')
    status, answer = collector.post("/v1/webhooks/mailgun", forged)
    assert status == 401 and b"already signed another event" in answer
    assert collector.post("/v1/webhooks/mailgun", legit)[0] == 200  # Mailgun's own retry

    port, _ = start(collector.env)  # a second replica knows the token too
    assert collector.post("/v1/webhooks/mailgun", forged, port=port)[0] == 401
    fresh = uuid.uuid4().hex + uuid.uuid4().hex[:18]
    assert collector.post("/v1/webhooks/mailgun",
                          mailgun_request(opened("legit-2", "dora@example.org"), fresh),
                          port=port)[0] == 200
    found = collector.published("email_opens", {"mailgun:legit-1", "mailgun:legit-2",
                                                 "mailgun:forged-1"})
    assert set(found) == {"mailgun:legit-1", "mailgun:legit-2"}
