"""The email providers' webhooks through the real collector, broker and pipeline into
ClickHouse, from each provider's documented payloads (times moved to yesterday, so they
fall inside retention; signed now with a test key): valid, tampered and expired signatures,
a provider's retry, an event the contract refuses, a machine open. Each ends in exact counts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from services.runtime.local_kafka import free_port
from tests.conftest import PulseEnv
from tests.support.clock import yesterday_noon
from tests.support.services import wait_serving

pytestmark = pytest.mark.integration
DATA = Path(__file__).parents[1] / "data" / "providers"
ACCOUNTS = ("account_id,name,domains,ip_ranges,tier\n"
            "testco,Test Co,test.com,,1\n"
            "mailgun,Mailgun Sample,sample.mailgun.com,,1\n"
            "exampleco,Example Co,example.com,,2\n")
MAILGUN_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
POSTMARK_AUTH = "postmark-hook:3kQ9-vX7p2Lm"
DAY = 86_400


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


class SendGrid:
    """Signs as SendGrid does: ECDSA P-256 over timestamp + body, base64 DER."""

    def __init__(self) -> None:
        self.private = ec.generate_private_key(ec.SECP256R1())
        der = self.private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.verification_key = base64.b64encode(der).decode()

    def headers(self, body: bytes, timestamp: int) -> dict[str, str]:
        sig = self.private.sign(str(timestamp).encode() + body, ec.ECDSA(hashes.SHA256()))
        return {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(sig).decode(),
                "X-Twilio-Email-Event-Webhook-Timestamp": str(timestamp)}


def mailgun_body(event: dict[str, Any], timestamp: int, key: str = MAILGUN_KEY) -> bytes:
    token = hashlib.sha256(f"{event.get('id')}{timestamp}".encode()).hexdigest()[:50]
    sig = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return json.dumps({"signature": {"timestamp": str(timestamp), "token": token,
                                     "signature": sig}, "event-data": event}).encode()


def basic(credentials: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def test_provider_webhooks_land_once_each_and_refuse_what_they_did_not_sign(
        pulse_env: PulseEnv):
    sg = SendGrid()
    pulse_env.stack(ACCOUNTS)
    pulse_env.env.update({
        "PULSE_SENDGRID_VERIFICATION_KEY": sg.verification_key,
        "PULSE_MAILGUN_SIGNING_KEY": MAILGUN_KEY,
        "PULSE_POSTMARK_WEBHOOK_AUTH": POSTMARK_AUTH})
    port = free_port()
    proc = pulse_env.start("collect", "--host", "127.0.0.1", "--port", str(port))
    base = f"http://127.0.0.1:{port}/v1/webhooks"
    wait_serving(proc, f"http://127.0.0.1:{port}", "pulse collect")
    now = int(time.time())
    when = yesterday_noon().timestamp()

    # SendGrid: the documented batch (processed, delivered, open, click, bounce)
    batch = load("sendgrid_engagement.json")
    for e in batch:
        e["timestamp"] = int(when)
    body = json.dumps(batch).encode()
    assert post(f"{base}/sendgrid", body, sg.headers(body, now)) == \
        (200, {"accepted": 2, "rejected": 0, "ignored": 3})
    assert post(f"{base}/sendgrid", body, sg.headers(body, now + 60))[0] == 200  # a retry
    tampered = body.replace(b"example@test.com", b"attacker@test.com")
    status, answer = post(f"{base}/sendgrid", tampered, sg.headers(body, now))
    assert status == 401 and "does not match" in answer["error"]
    status, answer = post(f"{base}/sendgrid", body, sg.headers(body, now - 2 * DAY))
    assert status == 401 and "old" in answer["error"]
    assert post(f"{base}/sendgrid", body, {})[0] == 401

    # Mailgun: documented opened and clicked (and Apple's machine open), one per request
    shift = when - 1770327074.5549328
    opened, clicked, bot = (load(f"mailgun_{n}.json") for n in ("opened", "clicked", "bot_open"))
    for e in (opened, clicked):
        e["timestamp"] += shift
        e["delivered-at"] = int(e["delivered-at"] + shift)
    bot.update(timestamp=when + 5, id="mg-bot-1", recipient="bot@sample.mailgun.com")
    for e in (opened, clicked, bot, opened):  # the last: Mailgun retrying
        status, answer = post(f"{base}/mailgun", mailgun_body(e, now), {})
        assert (status, answer["accepted"]) == (200, 1), answer
    delivered = mailgun_body(load("mailgun_delivered.json"), now)
    assert post(f"{base}/mailgun", delivered, {})[1] == {"accepted": 0, "rejected": 0,
                                                          "ignored": 1}
    forged = mailgun_body({**opened, "id": "forged"}, now, key="key-not-the-signing-key")
    assert post(f"{base}/mailgun", forged, {})[0] == 401
    stale = mailgun_body({**opened, "id": "stale"}, now - 2 * DAY)
    assert post(f"{base}/mailgun", stale, {})[0] == 401

    # Postmark: the test payloads (Open, Link Click, Delivery) with its basic auth
    received = yesterday_noon().isoformat().replace("+00:00", "Z")
    pm_open, pm_click, pm_delivery = (load(n) for n in (
        "postmark_open.json", "postmark_click.json", "postmark_delivery.json"))
    for record in (pm_open, pm_click, pm_open):  # the last: Postmark retrying
        record["ReceivedAt"] = received
        status, answer = post(f"{base}/postmark", json.dumps(record).encode(),
                              basic(POSTMARK_AUTH))
        assert (status, answer["accepted"]) == (200, 1), answer
    assert post(f"{base}/postmark", json.dumps(pm_delivery).encode(),
                basic(POSTMARK_AUTH))[1]["ignored"] == 1
    bad = {**pm_open, "Recipient": "john.example.com", "MessageID": "bad-recipient"}
    assert post(f"{base}/postmark", json.dumps(bad).encode(), basic(POSTMARK_AUTH))[1] == \
        {"accepted": 0, "rejected": 1, "ignored": 0}
    for creds in ("postmark-hook:wrong", "postmark-hook:3kQ9-vX7p2Lm-rotated-away"):
        assert post(f"{base}/postmark", json.dumps({**pm_open, "Tag": "x"}).encode(),
                    basic(creds))[0] == 401
    assert post(f"{base}/postmark", json.dumps(pm_open).encode(), {})[0] == 401
    assert post(f"{base}/mandrill", b"[]", {})[0] == 404  # not a provider we take

    pulse_env.cli("run", "--drain", timeout=300)
    rows = pulse_env.query(
        "SELECT splitByChar(':', event_id)[1] AS provider, type, account_id, non_human, "
        "count() AS n FROM abm.events FINAL GROUP BY ALL ORDER BY provider, type, non_human")
    assert [tuple(r.values()) for r in rows] == [
        ("mailgun", "email_click", "mailgun", "", 1),
        ("mailgun", "email_open", "mailgun", "", 1),
        ("mailgun", "email_open", "mailgun", "privacy_proxy_open", 1),  # Apple's bot
        ("postmark", "email_click", "exampleco", "", 1),
        ("postmark", "email_open", "exampleco", "", 1),
        ("sendgrid", "email_click", "testco", "", 1),
        ("sendgrid", "email_open", "testco", "", 1),
    ]
    ids = pulse_env.query("SELECT groupArray(event_id) AS ids FROM "
                          "(SELECT event_id FROM abm.events FINAL WHERE event_id LIKE 's%' "
                          "ORDER BY event_id)")
    assert ids == [{"ids": ["sendgrid:FOTFFO0ecsBE-zxFXfs6WA==",
                            "sendgrid:kCAi1KttyQdEKHhdC-nuEA=="]}]
    dead = pulse_env.query("SELECT topic, error, payload FROM abm.dead_letters FINAL")
    assert len(dead) == 1 and dead[0]["topic"].endswith("email_opens")
    assert "not an email address" in dead[0]["error"]
    assert json.loads(dead[0]["payload"])["email"] == "john.example.com"
