"""Email providers' webhooks, pure parts: each provider's documented payloads become the
contract events a user expects, and each signature scheme accepts what the provider signs
and refuses what it did not (SendGrid's official test vector; Mailgun's HMAC; Postmark's
basic auth)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from schemas.events import EmailClick, EmailOpen
from services.collector.payloads import check
from services.collector.providers import (
    NotProviderShape,
    Refused,
    iso_time,
    mailgun,
    postmark,
    sendgrid,
    unix_time,
)
from streams.ingest.codecs import decode
from streams.ingest.non_human import NonHumanFilter

DATA = Path(__file__).parents[1] / "data" / "providers"
DAY = 86_400.0


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def contract(event: dict[str, Any]) -> EmailOpen | EmailClick:
    decoded = decode(json.dumps(event).encode())
    assert isinstance(decoded, EmailOpen | EmailClick)
    return decoded


# --- SendGrid ---------------------------------------------------------------------------

def vector() -> tuple[ec.EllipticCurvePublicKey, str, str, bytes]:
    v = load("sendgrid_vector.json")
    body = (json.dumps(v["payload"], sort_keys=True, separators=(",", ":")) + "\r\n").encode()
    return sendgrid.public_key(v["public_key"]), v["signature"], v["timestamp"], body


def test_sendgrid_official_vector_verifies_at_its_time_and_nothing_else_does():
    key, signature, timestamp, body = vector()
    then = float(timestamp) + 5
    sendgrid.verify(key, signature, timestamp, body, then, DAY)  # the vector itself
    with pytest.raises(Refused, match="does not match"):
        sendgrid.verify(key, signature, timestamp, body.replace(b"dropped", b"dropper"), then,
                        DAY)
    with pytest.raises(Refused, match="does not match"):
        sendgrid.verify(key, signature, str(int(timestamp) + 1), body, then, DAY)
    with pytest.raises(Refused, match="s old"):
        sendgrid.verify(key, signature, timestamp, body, float(timestamp) + DAY + 1, DAY)
    with pytest.raises(Refused, match="missing"):
        sendgrid.verify(key, None, timestamp, body, then, DAY)
    with pytest.raises(Refused):
        sendgrid.verify(key, "not base64!", timestamp, body, then, DAY)
    assert sendgrid.events(body) == ([], 1)  # a dropped event: not engagement


def test_sendgrid_key_accepts_pem_armour_and_refuses_junk():
    v = load("sendgrid_vector.json")
    pem = f"-----BEGIN PUBLIC KEY-----\n{v['public_key']}\n-----END PUBLIC KEY-----\n"
    assert sendgrid.public_key(pem).public_numbers() == \
        sendgrid.public_key(v["public_key"]).public_numbers()
    with pytest.raises(ValueError, match="PULSE_SENDGRID_VERIFICATION_KEY"):
        sendgrid.public_key("bm90IGEga2V5")


def test_sendgrid_documented_events_become_one_open_and_one_click():
    body = (DATA / "sendgrid_engagement.json").read_bytes()
    events, ignored = sendgrid.events(body)
    assert ignored == 3  # processed, delivered, bounce
    opened, clicked = (contract(e) for e in events)
    assert isinstance(opened, EmailOpen) and isinstance(clicked, EmailClick)
    assert opened.event_id == "sendgrid:FOTFFO0ecsBE-zxFXfs6WA=="
    assert clicked.event_id == "sendgrid:kCAi1KttyQdEKHhdC-nuEA=="
    assert opened.email == "example@test.com" and opened.campaign_id == "cat facts"
    assert opened.ts.isoformat() == "2017-12-15T00:59:29+00:00"
    assert opened.ip == "255.255.255.255" and opened.user_agent.startswith("Mozilla/4.0")
    assert clicked.url == "http://www.sendgrid.com/" and opened.machine is None


def test_sendgrid_machine_open_is_kept_and_counts_as_privacy_prefetch():
    body = json.loads((DATA / "sendgrid_engagement.json").read_text())
    body[2]["sg_machine_open"] = True  # what SendGrid adds for Apple MPP opens
    opened = contract(sendgrid.events(json.dumps(body).encode())[0][0])
    assert opened.machine == "apple"
    assert NonHumanFilter().reason(opened, None) == "privacy_proxy_open"


def test_sendgrid_campaign_prefers_the_senders_own_id():
    e = {**load("sendgrid_engagement.json")[2], "campaign_id": "q4-launch",
         "marketing_campaign_id": 12345}
    assert sendgrid.translate(e)["campaign_id"] == "q4-launch"
    del e["campaign_id"]
    assert sendgrid.translate(e)["campaign_id"] == "12345"
    e = {k: v for k, v in e.items() if k not in ("marketing_campaign_id", "category")}
    assert sendgrid.translate(e)["campaign_id"] == "sendgrid"


def test_sendgrid_refuses_a_body_that_is_not_an_array():
    for body in (b"{}", b"not json", b'"x"'):
        with pytest.raises(NotProviderShape):
            sendgrid.events(body)


# --- Mailgun ----------------------------------------------------------------------------

SIGNING_KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"


def signed(event_data: dict[str, Any], timestamp: str = "1770327075", key: str = SIGNING_KEY,
           token: str = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0") -> dict[str, Any]:
    sig = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {"signature": {"timestamp": timestamp, "token": token, "signature": sig},
            "event-data": event_data}


def test_mailgun_signature_valid_tampered_expired():
    data = signed(load("mailgun_opened.json"))
    now = 1770327080.0
    mailgun.verify(SIGNING_KEY, data["signature"], now, DAY)
    with pytest.raises(Refused, match="does not match"):
        mailgun.verify("key-other", data["signature"], now, DAY)
    forged = {**data["signature"], "token": data["signature"]["token"][:-1] + "1"}
    with pytest.raises(Refused, match="does not match"):
        mailgun.verify(SIGNING_KEY, forged, now, DAY)
    with pytest.raises(Refused, match="s old"):
        mailgun.verify(SIGNING_KEY, data["signature"], now + DAY, DAY)
    with pytest.raises(Refused, match="lacks"):
        mailgun.verify(SIGNING_KEY, {"timestamp": "1"}, now, DAY)
    for odd in ("nan", "inf", "-inf", "soon"):  # signed, yet no time at all
        with pytest.raises(Refused, match="not a number"):
            mailgun.verify(SIGNING_KEY, signed({}, timestamp=odd)["signature"], now, DAY)


def test_mailgun_documented_open_and_click():
    opened = contract(mailgun.events(mailgun.parse(json.dumps(
        signed(load("mailgun_opened.json"))).encode()))[0][0])
    assert isinstance(opened, EmailOpen)
    assert opened.event_id == "mailgun:q7DMpbLFRKW1QuiLC9XV4Q"
    assert opened.email == "recipient@sample.mailgun.com"
    assert opened.campaign_id == "webhook_payload"  # no campaign or variable: its tag
    assert opened.ip == "38.142.208.162" and "Chrome/144" in (opened.user_agent or "")
    assert opened.sent_at is not None and (opened.ts - opened.sent_at).total_seconds() > 25
    assert opened.machine is None and NonHumanFilter().reason(opened, None) == ""
    clicked = contract(mailgun.translate(load("mailgun_clicked.json")))
    assert isinstance(clicked, EmailClick) and clicked.url == "https://sample.mailgun.com"
    assert mailgun.events({"event-data": load("mailgun_delivered.json")}) == ([], 1)


def test_mailgun_bot_detection_is_kept_for_the_non_human_rules():
    bot = contract(mailgun.translate(load("mailgun_bot_open.json")))
    assert bot.machine == "apple"
    assert NonHumanFilter().reason(bot, None) == "privacy_proxy_open"
    rules = NonHumanFilter()
    human = load("mailgun_opened.json")
    for flag, reason in (("generic", "email_scanner"), ("gmail", "")):
        e = {**human, "client-info": {**human["client-info"], "bot": flag}}
        assert rules.reason(contract(mailgun.translate(e)), None) == reason, flag
    click = load("mailgun_clicked.json")
    e = {**click, "client-info": {**click["client-info"], "bot": "gmail"}}
    assert rules.reason(contract(mailgun.translate(e)), None) == "email_scanner"


def test_mailgun_user_variable_campaign_id_wins():
    e = {**load("mailgun_opened.json"), "user-variables": {"campaign_id": "q4-launch"},
         "campaigns": [{"id": "c1", "name": "Spring"}]}
    assert mailgun.translate(e)["campaign_id"] == "q4-launch"
    e["user-variables"] = []
    assert mailgun.translate(e)["campaign_id"] == "c1"


def test_mailgun_refuses_other_shapes():
    for body in (b"[]", b"{}", b'{"signature": {}, "event-data": []}', b"x"):
        with pytest.raises(NotProviderShape):
            mailgun.parse(body)


# --- Postmark ---------------------------------------------------------------------------

def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def test_postmark_basic_auth():
    postmark.verify("hook:s3cret-value", basic("hook:s3cret-value"))
    for header in (None, "", basic("hook:wrong"), "Bearer hook:s3cret-value", "Basic !!!",
                   basic("hook:s3cret-value-old")):
        with pytest.raises(Refused):
            postmark.verify("hook:s3cret-value", header)


def test_postmark_documented_open_click_and_delivery():
    opened = contract(postmark.events((DATA / "postmark_open.json").read_bytes())[0][0])
    clicked = contract(postmark.events((DATA / "postmark_click.json").read_bytes())[0][0])
    assert isinstance(opened, EmailOpen) and isinstance(clicked, EmailClick)
    assert opened.email == "john@example.com" and opened.campaign_id == "welcome-email"
    assert opened.ip == "188.2.95.4" and opened.ts.isoformat() == "2026-02-13T18:19:43+00:00"
    assert clicked.url == "https://example.com"
    assert opened.event_id.startswith("postmark:") and opened.event_id != clicked.event_id
    again = contract(postmark.events((DATA / "postmark_open.json").read_bytes())[0][0])
    assert again.event_id == opened.event_id  # a retry counts once
    assert postmark.events((DATA / "postmark_delivery.json").read_bytes()) == ([], 1)


def test_postmark_older_open_without_record_type_or_offset():
    opened = contract(postmark.events((DATA / "postmark_open_2014.json").read_bytes())[0][0])
    assert opened.ts.isoformat() == "2014-06-01T12:00:00+00:00"  # no offset: UTC


def test_times_as_the_contract_takes_them():
    assert iso_time("2016-04-27T16:21:41.2493688-04:00") == "2016-04-27T16:21:41.249368-04:00"
    assert iso_time("yesterday") == "yesterday"
    assert unix_time(1513299569) == "2017-12-15T00:59:29+00:00"
    assert unix_time("1513299569") == "1513299569" and unix_time(True) is True
    assert unix_time(1e20) == 1e20


def test_a_translated_event_the_contract_refuses_is_rejected_with_the_reason():
    e = {**load("postmark_open.json"), "Recipient": "not an address"}
    item = check([json.dumps(postmark.translate(e)).encode()])[0]
    assert not item.accepted and "not an email address" in item.error
    assert item.topic == "email_opens"
    e = {**load("sendgrid_engagement.json")[3], "timestamp": "soon"}
    item = check([json.dumps(sendgrid.translate(e)).encode()])[0]
    assert not item.accepted and "RFC 3339" in item.error and item.topic == "email_clicks"


def test_odd_but_authentic_bodies_are_ignored_or_refused_never_a_crash():
    """What a provider (or whoever holds its key) might send: no value may raise anything
    but the two answers the collector gives (400, or events and an ignored count)."""
    odd: list[object] = [None, 1, "open", [], {}, ["open"], {"open": 1}, 1e308, True,
                         "\u00e9\u0000", -1]
    for value in odd:
        for field in ("event", "email", "timestamp", "ip", "useragent", "url", "category",
                      "sg_event_id", "sg_machine_open"):
            e = {**load("sendgrid_engagement.json")[3], field: value}
            events, _ = sendgrid.events(json.dumps([e, value]).encode())
            check([json.dumps(x).encode() for x in events])
        for field in ("event", "id", "recipient", "timestamp", "client-info", "user-variables",
                      "campaigns", "tags", "delivered-at", "url"):
            data = signed({**load("mailgun_clicked.json"), field: value})
            events, _ = mailgun.events(data)
            check([json.dumps(x).encode() for x in events])
            with pytest.raises(Refused):
                mailgun.verify(SIGNING_KEY, {**data["signature"], "signature": "\u00e9" * 64},
                               1770327080.0, DAY)
        for field in ("RecordType", "Recipient", "ReceivedAt", "Geo", "Metadata", "Tag",
                      "OriginalLink", "MessageID"):
            r = {**load("postmark_click.json"), field: value}
            events, _ = postmark.events(json.dumps(r).encode())
            check([json.dumps(x).encode() for x in events])
        with pytest.raises(Refused):
            postmark.verify("hook:pw", f"Basic {value}")
