from datetime import UTC, datetime, timedelta

from schemas.events import AdClick, EmailOpen, WebVisit
from schemas.reference import Account, Contact
from streams.attribution.chain import CONFIDENCE, build_attributor
from streams.attribution.domains import shipped_free_mail_domains
from streams.attribution.ip_ranges import RangeClaim

TS = datetime(2026, 11, 2, tzinfo=UTC)
ACCOUNTS = [
    Account(account_id="acme", name="Acme", domains="acme.com", ip_ranges="198.18.0.0/22"),
    Account(account_id="globex", name="Globex", domains="globex.com",
            ip_ranges="198.18.8.0/22;198.18.12.0/22;2001:db8:2::/48"),
]
CONTACTS = [
    Contact(email="consultant@globex.com", account_id="acme"),  # works for acme
    Contact(email="jane.doe@gmail.com", account_id="globex"),
]


SHARED = [
    RangeClaim("198.18.0.128/25", "", "isp", "ip_ranges"),  # inside acme's /22
    RangeClaim("192.0.2.0/24", "", "hosting", "ip_ranges"),
    RangeClaim("198.18.8.0/22", "", "vpn", "ip_ranges"),  # same prefix as globex's range
]


def attributor():
    return build_attributor(ACCOUNTS, CONTACTS, shipped_free_mail_domains(), SHARED)


def visit(ip: str, email: str | None = None) -> WebVisit:
    return WebVisit(event_id="e", type="web_visit", ts=TS, ip=ip, url="https://x/",
                    user_agent="ua", email=email)


def test_known_contact_beats_domain_and_ip():
    m = attributor().attribute(visit("198.18.8.1", "consultant@globex.com"))
    assert (m.account_id, m.method) == ("acme", "contact")
    assert m.evidence == {"contact": "c***@globex.com"}  # the address itself is not stored


def test_free_mail_contact_still_matches_by_contact():
    m = attributor().attribute(
        EmailOpen(event_id="e", type="email_open", ts=TS, email="Jane.Doe@gmail.com",
                  campaign_id="c"))
    assert (m.account_id, m.method) == ("globex", "contact")


def test_email_domain_beats_ip():
    m = attributor().attribute(visit("198.18.0.9", "someone@mail.globex.com"))
    assert (m.account_id, m.method) == ("globex", "email_domain")
    assert m.evidence == {"domain": "globex.com", "host": "mail.globex.com"}


def test_unknown_free_mail_falls_through_to_ip():
    m = attributor().attribute(visit("198.18.0.9", "stranger@gmail.com"))
    assert (m.account_id, m.method) == ("acme", "ip_range")
    assert m.evidence == {"cidr": "198.18.0.0/22", "kind": "company", "source": "accounts"}


def test_shared_networks_never_attribute_even_inside_a_company_range():
    m = attributor().attribute(visit("198.18.0.200"))
    assert (m.account_id, m.method) == ("", "")
    assert m.evidence == {"cidr": "198.18.0.128/25", "kind": "isp", "source": "ip_ranges"}
    assert m.non_human == ""  # people at home are people


def test_equal_prefix_shared_claim_beats_company_claim_and_is_reported():
    a = attributor()
    assert a.attribute(visit("198.18.9.1")).account_id == ""
    assert a.ip_ranges.conflicts == [
        "198.18.8.0/22: (shared) [vpn, ip_ranges] wins over globex [company, accounts]"]


def test_hosting_traffic_is_flagged_non_human():
    m = attributor().attribute(visit("192.0.2.10"))
    assert m.non_human == "hosting_ip" and m.account_id == ""


def test_bot_is_attributed_for_audit_but_flagged():
    bot = visit("198.18.0.9").model_copy(
        update={"user_agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"})
    m = attributor().attribute(bot)
    assert (m.account_id, m.non_human) == ("acme", "bot_user_agent")


def test_scanner_and_privacy_proxy_opens_are_flagged():
    base = EmailOpen(event_id="e", type="email_open", ts=TS, email="anna@acme.com",
                     campaign_id="c", user_agent="Mozilla/5.0 (Windows NT 10.0) Outlook")
    a = attributor()
    assert a.attribute(base).non_human == ""
    scanned = base.model_copy(update={"sent_at": TS - timedelta(seconds=3)})
    assert a.attribute(scanned).non_human == "email_scanner"
    read_later = base.model_copy(update={"sent_at": TS - timedelta(hours=2)})
    assert a.attribute(read_later).non_human == ""
    assert a.attribute(base.model_copy(update={"ip": "17.58.1.2"})).non_human == \
        "privacy_proxy_open"
    assert a.attribute(base.model_copy(update={"user_agent": "Mozilla/5.0"})).non_human == \
        "privacy_proxy_open"


def test_ipv6_ad_click():
    m = attributor().attribute(
        AdClick(event_id="e", type="ad_click", ts=TS, ip="2001:db8:2::7", campaign_id="c"))
    assert m.evidence["cidr"] == "2001:db8:2::/48"
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


def click_from(ip: str, company: str) -> AdClick:
    return AdClick(event_id="e", type="ad_click", ts=TS, ip=ip, campaign_id="c",
                   company_name=company)


def test_company_name_decides_only_when_nothing_stronger_did():
    a = attributor()
    m = a.attribute(click_from("203.0.113.9", "GLOBEX Inc."))
    assert (m.account_id, m.method) == ("globex", "company_name")
    assert 0 < m.confidence < CONFIDENCE["ip_range"]
    assert m.evidence["company_name"]["result"] == "matched"


def test_company_name_disagreeing_with_the_ip_is_recorded_not_trusted():
    m = attributor().attribute(click_from("198.18.0.9", "Globex"))
    assert (m.account_id, m.method) == ("acme", "ip_range")
    assert m.evidence["company_name"]["agrees"] is False


def test_unknown_company_name_keeps_candidates():
    m = attributor().attribute(click_from("203.0.113.9", "Acme Widgets"))
    assert m.account_id == "" and m.evidence["company_name"]["result"] == "below_cutoff"
