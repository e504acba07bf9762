from datetime import UTC, datetime

import pytest

from schemas.events import AdClick, EmailOpen, WebVisit
from streams.rollups import is_high_intent, person_key, score_of

TS = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "high"),
    [("https://x/pricing", True), ("https://x/pricing/enterprise?a=1", True),
     ("https://x/demo", True), ("https://x/blog/pricing-models", False),
     ("https://x/pricingx", False), ("https://x/", False)],
)
def test_high_intent_pages(url, high):
    assert is_high_intent(url) is high


def test_scores_by_type():
    visit = WebVisit(event_id="e", type="web_visit", ts=TS, ip="1.1.1.1", url="https://x/",
                     user_agent="u")
    assert score_of(visit) == 1.0
    assert score_of(visit.model_copy(update={"url": "https://x/demo"})) == 5.0
    assert score_of(EmailOpen(event_id="e", type="email_open", ts=TS, email="a@b.com",
                              campaign_id="c")) == 0.5
    assert score_of(AdClick(event_id="e", type="ad_click", ts=TS, ip="1.1.1.1",
                            campaign_id="c")) == 2.0


def test_person_key_prefers_email_then_visitor_id_and_is_keyed():
    base = WebVisit(event_id="e", type="web_visit", ts=TS, ip="1.1.1.1", url="https://x/",
                    user_agent="u", anonymous_id="cookie-1")
    known = base.model_copy(update={"email": "anna@acme.com"})
    opened = EmailOpen(event_id="f", type="email_open", ts=TS, email="anna@acme.com",
                       campaign_id="c")
    assert person_key(known, b"k") == person_key(opened, b"k")  # same person, two channels
    assert person_key(base, b"k") != person_key(known, b"k")
    assert person_key(known, b"k") != person_key(known, b"other-key")
    assert "anna" not in person_key(known, b"k")
