from datetime import UTC, datetime

import pytest

from schemas.events import EmailOpen, WebVisit
from streams.ingest.pseudonyms import person_key, truncate_ip

TS = datetime(2026, 11, 2, tzinfo=UTC)


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


@pytest.mark.parametrize(
    ("ip", "kept"),
    [("198.51.100.77", "198.51.100.0"), ("2001:db8:1234:5678::1", "2001:db8:1234::"),
     ("::ffff:c633:644d", "::ffff:198.51.100.0"), ("", "")],
)
def test_truncate_ip(ip, kept):
    assert truncate_ip(ip) == kept
