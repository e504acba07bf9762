import random
from ipaddress import ip_address, ip_network

import pytest

from streams.attribution.ip_ranges import IpRangeTable, RangeClaim, _Family


def table() -> IpRangeTable:
    return IpRangeTable([
        RangeClaim("198.18.0.0/22", "acme"),
        RangeClaim("198.18.1.0/26", "acme-eu"),  # subsidiary inside the parent's block
        RangeClaim("2001:db8:1::/48", "acme"),
        RangeClaim("2001:db8:1:ff::/64", "acme-lab"),
    ])


def test_most_specific_prefix_wins():
    t = table()
    assert t.lookup("198.18.1.10").account_id == "acme-eu"
    assert t.lookup("198.18.1.10").cidr == "198.18.1.0/26"
    assert t.lookup("198.18.1.64").account_id == "acme"
    assert t.lookup("198.18.3.255").account_id == "acme"


def test_outside_every_range_is_no_match():
    t = table()
    assert t.lookup("198.18.4.0") is None
    assert t.lookup("203.0.113.7") is None
    assert t.lookup("2001:db8:2::1") is None


def test_ipv6_longest_prefix():
    t = table()
    assert t.lookup("2001:db8:1::42").account_id == "acme"
    assert t.lookup("2001:db8:1:ff::9").account_id == "acme-lab"
    assert t.lookup("2001:db8:1:ff::9").cidr == "2001:db8:1:ff::/64"


def test_ipv4_mapped_ipv6_matches_ipv4_ranges():
    hit = table().lookup("::ffff:198.18.1.5")
    assert hit is not None and hit.account_id == "acme-eu"


def test_invalid_ip_is_no_match_not_an_error():
    assert table().lookup("not-an-ip") is None


def test_equal_prefix_conflicts_resolve_by_explicit_priority_and_are_reported():
    t = IpRangeTable([
        RangeClaim("10.0.0.0/8", "b"),
        RangeClaim("10.0.0.0/8", "a"),
        RangeClaim("10.0.0.0/8", "a"),  # a repeat is no conflict
        RangeClaim("10.1.0.0/16", "c", "company", "accounts"),
        RangeClaim("10.1.0.0/16", "d", "company", "ip_ranges"),  # curated file wins
    ])
    assert t.lookup("10.9.9.9").account_id == "a"  # lowest account id, deterministic
    assert t.lookup("10.1.2.3").account_id == "d"
    assert t.conflicts == [
        "10.0.0.0/8: a [company, accounts] wins over b [company, accounts]",
        "10.1.0.0/16: d [company, ip_ranges] wins over c [company, accounts]",
    ]
    assert len(t) == 2


def test_host_bits_in_cidr_are_masked():
    t = IpRangeTable([RangeClaim("192.0.2.77/24", "x")])
    assert t.lookup("192.0.2.1").cidr == "192.0.2.0/24"


@pytest.mark.parametrize("bucketed", [False, True])
def test_flattened_table_agrees_with_brute_force_on_random_nested_ranges(bucketed, monkeypatch):
    if bucketed:
        monkeypatch.setattr(_Family, "bucket_min_segments", 0)
    rng = random.Random(3)
    claims = []
    for i in range(400):
        prefix = rng.choice([8, 12, 16, 20, 22, 24, 26, 28, 32])
        addr = rng.getrandbits(32) & (0x0AFFFFFF | 0x0A000000) | 0x0A000000
        claims.append(RangeClaim(str(ip_network((addr, prefix), strict=False)), f"acc{i}"))
    t = IpRangeTable(claims)
    nets: dict = {}
    for c in claims:  # equal prefixes: the lowest account id wins
        net = ip_network(c.cidr)
        nets[net] = min(nets.get(net, c.account_id), c.account_id)
    for _ in range(3000):
        ip = ip_address(rng.getrandbits(32) & 0x00FFFFFF | 0x0A000000)
        covering = [n for n in nets if ip in n]
        want = nets[max(covering, key=lambda n: n.prefixlen)] if covering else None
        got = t.lookup(str(ip))
        assert (got.account_id if got else None) == want, ip
