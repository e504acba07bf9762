"""Alert routing, Standard Webhooks signing, the Slack format and the address guard."""

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import SecretStr
from standardwebhooks import Webhook

from streams.alerts.contacts import named
from streams.alerts.destinations import (
    RefusedDestination,
    allowed,
    check_literal,
    request,
    routes,
)
from streams.alerts.sample import sample_alert
from streams.ingest.scoring import default_rules
from streams.settings import AlertDestination, networks

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
    assert "Open opportunity" not in msg["text"]


def test_an_alert_on_an_account_in_a_deal_says_so():
    rows = [("acme", "0065g00000AbCdEAAV", "Acme <renewal>", "Negotiation", Decimal("12000"),
             "USD", NOW)]
    alert = named(sample_alert(NOW), [], default_rules(), rows)
    msg = json.loads(request(alert, dest(), NOW)[0])
    assert ("Open opportunity: Acme &lt;renewal&gt; (Negotiation, USD 12,000.00)"
            in msg["text"])
    payload = json.loads(request(alert, dest(format="standard", secret=SECRET), NOW)[0])
    assert payload["open_opportunities"] == [{
        "opportunity_id": "0065g00000AbCdEAAV", "name": "Acme <renewal>",
        "stage": "Negotiation", "amount": "12000.00", "currency": "USD",
        "created_at": NOW.isoformat().replace("+00:00", "Z")}]


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254",
                                     "::1", "fe80::1", "0.0.0.0", "::ffff:127.0.0.1",
                                     "100.64.0.1", "224.0.0.1"])
def test_internal_addresses_are_refused(address):
    assert not allowed(address, [])


def test_public_addresses_pass_and_allowed_networks_open_internal_ones():
    assert allowed("93.184.216.34", []) and allowed("2606:4700::1111", [])
    assert allowed("127.0.0.1", networks("127.0.0.0/8"))
    with pytest.raises(RefusedDestination, match="PULSE_ALERT_ALLOW_NETWORKS"):
        check_literal("http://127.0.0.1:8080/hook", [])
    check_literal("http://127.0.0.1:8080/hook", networks("127.0.0.0/8"))


@pytest.mark.parametrize("address", ["::7f00:1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
                                     "2002:7f00:1::", "2002:a00:1::", "2001:0:4136:e378:8000:63bf:"
                                     "80ff:fffe"])
def test_ipv6_forms_that_embed_an_internal_ipv4_are_refused(address):
    assert not allowed(address, [])
    assert allowed("2002:5db8:d822::1", [])  # 6to4 of a public address stays allowed


@pytest.mark.parametrize("host", ["127。0。0。1", "①②⑦.0.0.1", "１２７.０.０.１", "[::7f00:1]",
                                  "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "127.1", "2130706433",
                                  "localhost"])
def test_ssrf_guard_bypass_spellings_of_loopback_are_refused_before_connecting(host):
    """Spellings the HTTP client normalises to a loopback address (IDNA dots, enclosed and
    full-width digits), IPv6 forms embedding it, short and integer IPv4, a name: each is
    refused at the address actually connected to, and the listener hears nothing."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    heard: list[object] = []
    done = threading.Event()

    def listen() -> None:
        while not done.is_set():
            try:
                heard.append(listener.accept())
            except TimeoutError:
                continue

    t = threading.Thread(target=listen)
    t.start()
    try:
        outcome, delays = _deliver(f"http://{host}:{port}/hook")
        done.wait(0.5)  # a connection would have arrived by now
    finally:
        done.set()
        t.join()
        listener.close()
    assert outcome.status == "refused" and delays == [] and heard == [], outcome
    if host not in ("127.1", "2130706433"):  # those the HTTP client refuses to parse
        assert "PULSE_ALERT_ALLOW_NETWORKS" in outcome.error, outcome


def test_a_destination_needs_an_http_url_and_a_standard_one_a_secret():
    with pytest.raises(ValueError, match="not an http"):
        AlertDestination(name="d", url="file:///etc/passwd", secret=SecretStr(SECRET))
    with pytest.raises(ValueError, match="give it a secret"):
        AlertDestination(name="d", url="https://hooks.example/x")


def _deliver(url: str, allow: str = "") -> tuple[object, list[float]]:
    from streams.alerts.delivery import Deliverer
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
    assert outcome.status == "refused" and "loopback" in outcome.error
    assert delays == []


def test_an_unreachable_destination_is_retried_with_backoff_then_failed():
    from services.runtime.local_kafka import free_port

    outcome, delays = _deliver(f"http://127.0.0.1:{free_port()}/hook", allow="127.0.0.0/8")
    assert outcome.status == "failed" and outcome.attempts == 4 and outcome.http_status == 0
    assert delays == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("secret,why", [
    ("a-plain-password", "must start with 'whsec_'"),
    ("whsec_not*base64!", "not valid base64"),
    ("whsec_" + base64.b64encode(b"short").decode(), "decodes to 5 bytes"),
])
def test_webhook_secrets_are_validated_at_load_without_echoing_them(secret, why):
    """A plain string used to crash the delivery agent with binascii.Error (the drain hung);
    non-base64 after 'whsec_' failed at every strict receiver."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as err:
        AlertDestination(name="d", url="https://hooks.example/T0/secret-token", secret=secret)
    assert why in str(err.value)
    assert secret not in str(err.value) and "secret-token" not in str(err.value)


def test_settings_errors_do_not_print_destination_urls(monkeypatch):
    from pydantic import ValidationError

    from streams.settings import Settings

    monkeypatch.setenv("PULSE_ALERT_DESTINATIONS", json.dumps(
        [{"name": "d", "url": "ftp://user:pw@hooks.example/token123", "format": "slack"}]))
    with pytest.raises(ValidationError) as err:
        Settings()
    assert "token123" not in str(err.value) and "pw@" not in str(err.value)
    assert "not an http(s) URL" in str(err.value)


def test_slack_messages_escape_what_publishers_control():
    alert = sample_alert(NOW).model_copy(update={
        "account_name": "<!channel> & Co", "reason": "3 people from <http://evil|Acme>",
        "top_pages": ["/pricing?a=<b>&c"]})
    text = json.loads(request(alert, dest(), NOW)[0])["text"]
    assert "<!channel>" not in text and "<http://evil" not in text
    assert "*&lt;!channel&gt; &amp; Co*" in text and "/pricing?a=&lt;b&gt;&amp;c" in text


def test_an_mqa_alert_reads_as_one_in_slack():
    alert = sample_alert(NOW).model_copy(update={
        "kind": "mqa", "mode": "stage", "score": 75.0,
        "reason": "became a marketing-qualified account: fit A (75); 4 people"})
    text = json.loads(request(alert, dest(), NOW)[0])["text"]
    assert text.startswith(f"*{alert.account_name}* is a marketing-qualified account "
                           "(fit 75/100)\nbecame a marketing-qualified account: fit A (75)")
