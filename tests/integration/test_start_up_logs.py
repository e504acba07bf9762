"""No configured secret reaches a log: a worker's, the collector's and the web app's
start-up logs (at INFO, where each logs its settings) are scanned for every one."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.runtime.local_kafka import free_port
from services.web.auth import hash_password
from tests.conftest import PulseEnv
from tests.support.services import wait_serving

pytestmark = pytest.mark.integration


def test_start_up_logs_hold_no_secret(pulse_env: PulseEnv):
    sendgrid = base64.b64encode(ec.generate_private_key(ec.SECP256R1()).public_key()
                                .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
                                ).decode()
    web_hash = hash_password("ann's long password")
    whsec = "whsec_" + base64.b64encode(b"alert-signing-secret-00001").decode()
    secrets = {
        "PULSE_PERSON_KEY_SECRET": "person-key-secret-0123456789",
        "PULSE_ALERT_DESTINATIONS": json.dumps([
            {"name": "crm", "url": "https://crm.example/hook?token=alert-url-token-1",
             "secret": whsec},
            {"name": "slack", "format": "slack",
             "url": "https://hooks.slack.com/services/T0/B0/slack-path-token-2"}]),
        "PULSE_COLLECT_WRITE_KEYS": json.dumps([{"key": "write-key-0123456789-3",
                                                 "source": "site"}]),
        "PULSE_SENDGRID_VERIFICATION_KEY": sendgrid,
        "PULSE_MAILGUN_SIGNING_KEY": "mailgun-signing-key-4",
        "PULSE_POSTMARK_WEBHOOK_AUTH": "pmuser:postmark-password-5",
        "PULSE_WEB_USERS": json.dumps({"ann": web_hash}),
        "PULSE_WEB_SECRET": "web-session-secret-6",
    }
    markers = ["person-key-secret-0123456789", "alert-url-token-1", whsec,
               "slack-path-token-2", "write-key-0123456789-3", sendgrid, "mailgun-signing-key-4",
               "postmark-password-5", web_hash, web_hash.rsplit("$", 1)[1],
               "web-session-secret-6"]
    pulse_env.env.update({**secrets, "PULSE_LOG_LEVEL": "INFO"})
    pulse_env.cli("up")

    worker = pulse_env.cli("run", "--drain", timeout=300)
    logs = {"worker": worker.stdout + worker.stderr}
    for name, args in (("collector", ("collect", "--host", "127.0.0.1")),
                       ("web app", ("serve",))):
        port = free_port()
        proc = pulse_env.start(*args, "--port", str(port))
        wait_serving(proc, f"http://127.0.0.1:{port}", name)
        proc.terminate()
        proc.wait(30)
        logs[name] = proc.log.read_text()

    for name, text in logs.items():
        assert f'"msg": "{name} starting"' in text, (name, text[-2000:])
        assert [m for m in markers if m in text] == [], name
