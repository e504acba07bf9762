from streams.attribution.ip_ranges import IpRangeTable


def table() -> IpRangeTable:
    t = IpRangeTable()
    t.add("198.18.0.0/22", "acme")
    t.add("198.18.1.0/26", "acme-eu")  # subsidiary inside the parent's block
    t.add("2001:db8:1::/48", "acme")
    t.add("2001:db8:1:ff::/64", "acme-lab")
    return t


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


def test_same_range_for_two_accounts_is_reported():
    t = IpRangeTable()
    t.add("10.0.0.0/8", "a")
    t.add("10.0.0.0/8", "b")
    t.add("10.0.0.0/8", "b")
    assert t.conflicts == ["10.0.0.0/8 claimed by a and b"]
    assert len(t) == 1


def test_host_bits_in_cidr_are_masked():
    t = IpRangeTable()
    t.add("192.0.2.77/24", "x")
    assert t.lookup("192.0.2.1").cidr == "192.0.2.0/24"
