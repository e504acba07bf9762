import pytest

from streams.attribution.domains import DomainIndex, registrable_domain, shipped_free_mail_domains


def index() -> DomainIndex:
    d = DomainIndex(shipped_free_mail_domains())
    d.add("acme.com", "acme")
    d.add("initech.co.uk", "initech")
    d.add("eu.acme.com", "acme-eu")
    d.add("xn--bcher-kva.de", "buecher")
    return d


@pytest.mark.parametrize(
    ("host", "account"),
    [
        ("acme.com", "acme"),
        ("ACME.com", "acme"),
        ("mail.acme.com", "acme"),
        ("mail.initech.co.uk", "initech"),
        ("initech.co.uk", "initech"),
        ("sales.eu.acme.com", "acme-eu"),  # most specific owned domain wins
        ("bücher.de", "buecher"),
        ("shop.xn--bcher-kva.de", "buecher"),
    ],
)
def test_matches(host, account):
    assert index().lookup(host).account_id == account


@pytest.mark.parametrize(
    "host",
    ["notacme.com", "acme.com.evil.net", "co.uk", "other.co.uk", "acme.co", "gmail.com",
     "googlemail.com"],
)
def test_never_matches(host):
    assert index().lookup(host) is None


def test_free_mail_never_matches_even_if_an_account_claims_it():
    d = index()
    d.add("gmail.com", "acme")
    assert d.lookup("gmail.com") is None


def test_registrable_domain_uses_the_public_suffix_list():
    assert registrable_domain("a.b.initech.co.uk") == "initech.co.uk"
    assert registrable_domain("co.uk") is None
    assert registrable_domain("tark.ee") == "tark.ee"


def test_conflicting_claims_are_reported():
    d = DomainIndex([])
    d.add("acme.com", "a")
    d.add("acme.com", "b")
    assert d.conflicts == ["acme.com claimed by a and b"]
