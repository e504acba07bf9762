"""The collector through the real broker into ClickHouse: accepted, rejected and duplicate
events end with exact counts (the rejected one dead-lettered with its bytes), and a broker
outage answers 503 and loses nothing once the broker is back."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from services.runtime.local_kafka import LocalKafka, free_port
from streams.settings import Settings
from tests.conftest import PulseEnv, wait_for
from tests.support.events import web_visit
from tests.support.services import wait_serving

pytestmark = pytest.mark.integration
KEY = "wk_test_0123456789abcdef"
ACCOUNTS = "account_id,name,domains,ip_ranges,tier\nacme,Acme,acme.com,203.0.113.0/24,1\n"


def visit(n: int, **extra: Any) -> dict[str, Any]:
    return web_visit(f"c-{n}", f"203.0.113.{n % 250 + 1}", path="/pricing", **extra)


def post(base: str, body: bytes, key: str = KEY, content_type: str = "application/json"
         ) -> tuple[int, dict[str, Any], Any]:
    req = urllib.request.Request(base + "/v1/events", data=body, method="POST", headers={
        "Authorization": f"Bearer {key}", "Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read()), r.headers
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}"), err.headers  # case-insensitive


def start_collector(env: PulseEnv, **settings: str) -> str:
    env.env.update({"PULSE_COLLECT_WRITE_KEYS": json.dumps([{"key": KEY, "source": "tests"}]),
                    **settings})
    port = free_port()
    proc = env.start("collect", "--host", "127.0.0.1", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_serving(proc, base, "pulse collect")
    return base


def test_events_api_accepted_rejected_duplicate_land_exactly(pulse_env: PulseEnv):
    pulse_env.stack(ACCOUNTS)
    base = start_collector(pulse_env, PULSE_COLLECT_MAX_EVENTS="50")
    bad = json.dumps({**visit(3), "ip": "10.0.0.300"}).encode()
    body = b"[" + b",".join([json.dumps(visit(1)).encode(), json.dumps(visit(2)).encode(),
                             bad, json.dumps(visit(1)).encode()]) + b"]"
    status, answer, _ = post(base, body)
    assert status == 200, answer
    assert (answer["accepted"], answer["rejected"]) == (3, 1)
    assert answer["events"][2]["status"] == "rejected"
    assert "is not an IPv4 or IPv6 address" in answer["events"][2]["error"]
    nd = (json.dumps(visit(4)) + "\n" + json.dumps(visit(5)) + "\n").encode()
    assert post(base, nd, content_type="application/x-ndjson")[1]["accepted"] == 2
    assert post(base, json.dumps(visit(6)).encode())[1]["accepted"] == 1
    assert post(base, json.dumps(visit(7)).encode(), key="wk_wrong_0123456789abcd")[0] == 401
    too_many = json.dumps([visit(100 + i) for i in range(51)]).encode()
    assert post(base, too_many)[0] == 413
    for provider, setting in (("sendgrid", "PULSE_SENDGRID_VERIFICATION_KEY"),
                              ("mailgun", "PULSE_MAILGUN_SIGNING_KEY"),
                              ("postmark", "PULSE_POSTMARK_WEBHOOK_AUTH")):
        req = urllib.request.Request(f"{base}/v1/webhooks/{provider}", data=b"[]", method="POST")
        with pytest.raises(urllib.error.HTTPError) as closed:
            urllib.request.urlopen(req, timeout=30)
        assert closed.value.code == 404 and setting in closed.value.read().decode()
    pulse_env.cli("run", "--drain", timeout=300)
    rows = pulse_env.query("SELECT count() AS n, uniqExact(event_id) AS ids, "
                           "countIf(account_id = 'acme') AS acme FROM abm.events FINAL")
    assert rows == [{"n": 5, "ids": 5, "acme": 5}]  # c-1 (twice), c-2, c-4, c-5, c-6
    dead = pulse_env.query("SELECT topic, error, payload FROM abm.dead_letters FINAL")
    assert len(dead) == 1 and dead[0]["payload"] == bad.decode()
    assert dead[0]["topic"].endswith("web_visits") and "10.0.0.300" in dead[0]["error"]


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return int(r.status)
    except urllib.error.HTTPError as err:
        return err.code


def test_d4_a_503_promises_only_what_is_true_and_a_resend_counts_once(pulse_env: PulseEnv,
                                                                      tmp_path):
    """During an outage the collector answers 503, and says that what it had queued may
    still land (it does: 12 of 12 did in the probe). Its health check says 503 too, so a
    load balancer stops sending. The sender's resend lands every event once and makes one
    dead letter of its rejected event, not two."""
    own = Settings(home=tmp_path / "broker", kafka_bootstrap=f"127.0.0.1:{free_port()}")
    broker = LocalKafka(own)
    broker.start(timeout=120)
    bad = {**visit(5), "ip": "10.0.0.300"}
    try:
        pulse_env.env["PULSE_KAFKA_BOOTSTRAP"] = own.kafka_bootstrap
        pulse_env.stack(ACCOUNTS)
        base = start_collector(pulse_env)
        assert post(base, json.dumps([visit(1), visit(2)]).encode())[1]["accepted"] == 2
        broker.stop()
        t = time.monotonic()
        status, answer, headers = post(base, json.dumps([visit(3), visit(4), bad]).encode())
        assert status == 503 and int(headers.get("Retry-After", 0)) >= 1, (status, answer)
        assert "may still land" in answer["error"] and "count once" in answer["error"]
        assert time.monotonic() - t < 30
        wait_for(lambda: status_of(base + "/healthz") == 503, 30, what="healthz to say 503")
        assert status_of(base + "/livez") == 200
        broker.start(timeout=120)

        def resent() -> bool:  # what a sender does with a 503: send again later
            again = post(base, json.dumps([visit(3), visit(4), bad]).encode())
            return again[0] == 200 and again[1]["rejected"] == 1

        wait_for(resent, 90, interval=2, what="the collector to accept again")
        assert status_of(base + "/healthz") == 200
        pulse_env.cli("run", "--drain", timeout=300)
        rows = pulse_env.query("SELECT groupArray(event_id) AS ids FROM "
                               "(SELECT event_id FROM abm.events FINAL ORDER BY event_id)")
        assert rows == [{"ids": ["c-1", "c-2", "c-3", "c-4"]}]
        dead = pulse_env.query("SELECT count() AS n FROM abm.dead_letters")
        assert dead == [{"n": 1}]
    finally:
        for proc in pulse_env.procs:
            proc.kill()
        broker.stop()
