"""The email_click event: decoded to its own topic, a scanner's click is not a person's,
and it weighs more than an open."""

from __future__ import annotations

import json

import pytest

from infra import SCORING_DIR
from schemas.events import EmailClick
from streams.ingest.codecs import TOPIC_OF_TYPE, DecodeError, decode
from streams.ingest.non_human import NonHumanFilter
from streams.ingest.scoring import load_rules

CLICK = {"type": "email_click", "event_id": "sg-1", "ts": "2026-11-30T10:00:30Z",
         "email": "Anna@Acme.com", "campaign_id": "q4-launch",
         "url": "https://vendor.example/pricing", "sent_at": "2026-11-30T10:00:00Z"}


def test_decodes_to_its_topic():
    event = decode(json.dumps(CLICK).encode(), "email_clicks")
    assert isinstance(event, EmailClick) and event.channel == "email"
    assert event.email == "anna@acme.com" and TOPIC_OF_TYPE["email_click"] == "email_clicks"
    with pytest.raises(DecodeError):
        decode(json.dumps(CLICK).encode(), "email_opens")
    with pytest.raises(DecodeError, match="url"):
        decode(json.dumps({k: v for k, v in CLICK.items() if k != "url"}).encode())


def test_a_click_seconds_after_delivery_is_a_scanner_and_a_proxy_is_not_an_excuse():
    f = NonHumanFilter(scanner_seconds=10, privacy_proxy_ranges=["17.58.0.0/16"])
    fast = EmailClick.model_validate({**CLICK, "ts": "2026-11-30T10:00:03Z"})
    assert f.reason(fast, None) == "email_scanner"
    person = EmailClick.model_validate({**CLICK, "ip": "17.58.1.2"})
    assert f.reason(person, None) == ""  # privacy proxies fetch images, they follow no link


def test_a_click_weighs_more_than_an_open():
    rules = load_rules(SCORING_DIR / "rules.toml")
    assert rules.score("email_click", "", "", "") == 3 * rules.score("email_open", "", "", "")
