from datetime import UTC, datetime

from schemas.events import AdClick, EmailOpen, WebVisit
from schemas.reference import Account, Contact
from streams.attribution.chain import build_attributor
from streams.attribution.domains import shipped_free_mail_domains

TS = datetime(2026, 11, 2, tzinfo=UTC)
ACCOUNTS = [
    Account(account_id="acme", name="Acme", domains="acme.com", ip_ranges="198.18.0.0/22"),
    Account(account_id="globex", name="Globex", domains="globex.com",
            ip_ranges="198.18.8.0/22;2001:db8:2::/48"),
]
CONTACTS = [
    Contact(email="consultant@globex.com", account_id="acme"),  # works for acme
    Contact(email="jane.doe@gmail.com", account_id="globex"),
]


def attributor():
    return build_attributor(ACCOUNTS, CONTACTS, shipped_free_mail_domains())


def visit(ip: str, email: str | None = None) -> WebVisit:
    return WebVisit(event_id="e", type="web_visit", ts=TS, ip=ip, url="https://x/",
                    user_agent="ua", email=email)


def test_known_contact_beats_domain_and_ip():
    m = attributor().attribute(visit("198.18.8.1", "consultant@globex.com"))
    assert (m.account_id, m.method, m.evidence) == ("acme", "contact", "consultant@globex.com")


def test_free_mail_contact_still_matches_by_contact():
    m = attributor().attribute(
        EmailOpen(event_id="e", type="email_open", ts=TS, email="Jane.Doe@gmail.com",
                  campaign_id="c"))
    assert (m.account_id, m.method) == ("globex", "contact")


def test_email_domain_beats_ip():
    m = attributor().attribute(visit("198.18.0.9", "someone@mail.globex.com"))
    assert (m.account_id, m.method, m.evidence) == ("globex", "email_domain", "globex.com")


def test_unknown_free_mail_falls_through_to_ip():
    m = attributor().attribute(visit("198.18.0.9", "stranger@gmail.com"))
    assert (m.account_id, m.method, m.evidence) == ("acme", "ip_range", "198.18.0.0/22")


def test_ipv6_ad_click():
    m = attributor().attribute(
        AdClick(event_id="e", type="ad_click", ts=TS, ip="2001:db8:2::7", campaign_id="c"))
    assert (m.account_id, m.method) == ("globex", "ip_range")


def test_no_evidence_is_no_match():
    m = attributor().attribute(visit("203.0.113.5", "eve@notacme.com"))
    assert (m.account_id, m.method, m.confidence) == ("", "", 0.0)


def test_confidence_orders_methods():
    a = attributor()
    c = a.attribute(visit("1.1.1.1", "consultant@globex.com")).confidence
    d = a.attribute(visit("1.1.1.1", "x@acme.com")).confidence
    i = a.attribute(visit("198.18.0.1")).confidence
    assert 1.0 == c > d > i > 0
