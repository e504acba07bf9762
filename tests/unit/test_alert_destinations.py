"""Alert routing, Standard Webhooks signing, the Slack format and the address guard."""

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr
from standardwebhooks import Webhook

from services.alerts.destinations import (
    GuardedResolver,
    RefusedDestination,
    allowed,
    check_literal,
    parse_networks,
    request,
    routes,
)
from services.alerts.sample import sample_alert
from streams.settings import AlertDestination

SECRET = "whsec_" + base64.b64encode(b"a secret of thirty-two bytes!!!!").decode()
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def dest(**kw: object) -> AlertDestination:
    return AlertDestination.model_validate({"name": "d", "url": "https://hooks.example/x",
                                            "format": "slack", **kw})


def test_routing_by_tier_and_owner():
    alert = sample_alert(NOW).model_copy(update={"tier": "1", "owner_email": "Rep@Vendor.com"})
    everyone, tier1, tier2 = dest(name="all"), dest(name="t1", tiers=["1"]), dest(
        name="t2", tiers=["2"])
    mine, theirs = dest(name="me", owners=["rep@vendor.com"]), dest(name="x", owners=["x@y.z"])
    assert [d.name for d in routes(alert, [everyone, tier1, tier2, mine, theirs])] == [
        "all", "t1", "me"]


def test_signature_verifies_with_the_reference_library_and_by_hand():
    alert = sample_alert(NOW)
    body, headers = request(alert, dest(format="standard", secret=SECRET), datetime.now(UTC))
    assert headers["webhook-id"] == alert.alert_id
    assert Webhook(SECRET).verify(body, headers)["alert_id"] == alert.alert_id
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    tampered = body.replace(b"Acme", b"Acmf")
    with pytest.raises(Exception, match="signature"):
        Webhook(SECRET).verify(tampered, headers)


def test_retries_keep_the_id_and_re_sign_with_a_fresh_timestamp():
    alert = sample_alert(NOW)
    _, first = request(alert, dest(secret=SECRET), NOW)
    _, later = request(alert, dest(secret=SECRET), NOW.replace(minute=5))
    assert first["webhook-id"] == later["webhook-id"]
    assert first["webhook-signature"] != later["webhook-signature"]


def test_slack_format_is_a_readable_message():
    body, _ = request(sample_alert(NOW), dest(), NOW)
    msg = json.loads(body)
    assert msg["text"].startswith("*Acme (test alert)* is surging (score 88/100)\n6 people from")
    assert "Top pages: /pricing, /demo" in msg["text"] and msg["blocks"][0]["type"] == "section"


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254",
                                     "::1", "fe80::1", "0.0.0.0", "::ffff:127.0.0.1",
                                     "100.64.0.1", "224.0.0.1"])
def test_internal_addresses_are_refused(address):
    assert not allowed(address, [])


def test_public_addresses_pass_and_allowed_networks_open_internal_ones():
    assert allowed("93.184.216.34", []) and allowed("2606:4700::1111", [])
    assert allowed("127.0.0.1", parse_networks("127.0.0.0/8"))
    with pytest.raises(RefusedDestination, match="PULSE_ALERT_ALLOW_NETWORKS"):
        check_literal("http://127.0.0.1:8080/hook", [])
    check_literal("http://127.0.0.1:8080/hook", parse_networks("127.0.0.0/8"))


def test_a_name_resolving_to_loopback_is_refused_at_connect_time():
    async def resolve() -> object:
        resolver = GuardedResolver([])
        try:
            return await resolver.resolve("localhost", 80)
        finally:
            await resolver.close()

    with pytest.raises(RefusedDestination, match="localhost resolves to"):
        asyncio.run(resolve())


def test_a_destination_needs_an_http_url_and_a_standard_one_a_secret():
    with pytest.raises(ValueError, match="not an http"):
        AlertDestination(name="d", url="file:///etc/passwd", secret=SecretStr(SECRET))
    with pytest.raises(ValueError, match="give it a secret"):
        AlertDestination(name="d", url="https://hooks.example/x")


def _deliver(url: str, allow: str = "") -> tuple[object, list[float]]:
    from services.alerts.delivery import Deliverer
    from streams.settings import Settings

    delays: list[float] = []

    async def sleep(s: float) -> None:
        delays.append(s)

    settings = Settings(alert_allow_networks=allow, alert_max_attempts=4, alert_retry_seconds=0.5,
                        alert_timeout_seconds=2)

    async def run() -> object:
        d = Deliverer(settings, sleep=sleep)
        try:
            return await d.deliver(sample_alert(NOW), dest(url=url))
        finally:
            await d.close()

    return asyncio.run(run()), delays


def test_delivery_to_a_name_for_loopback_is_refused_without_retrying():
    outcome, delays = _deliver("http://localhost:9/hook")
    assert outcome.status == "refused" and "localhost resolves to" in outcome.error
    assert delays == []


def test_an_unreachable_destination_is_retried_with_backoff_then_failed():
    from services.local_kafka import free_port

    outcome, delays = _deliver(f"http://127.0.0.1:{free_port()}/hook", allow="127.0.0.0/8")
    assert outcome.status == "failed" and outcome.attempts == 4 and outcome.http_status == 0
    assert delays == [0.5, 1.0, 2.0]
