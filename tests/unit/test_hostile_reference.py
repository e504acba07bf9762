"""Reference data an operator types: networks, CSV files, company names, domains.
Each test is named after the defect it proved (issue 11)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from schemas.reference import Account, IpRange
from services.reference.loader import (
    ACCOUNT_HEADER,
    IP_RANGE_HEADER,
    CsvError,
    check_prefixes,
    check_sizes,
    read_csv,
)
from streams.attribution.company_names import CompanyNameIndex
from streams.attribution.domains import DomainIndex, normalize_host
from streams.attribution.ip_ranges import IpRangeTable, RangeClaim


def csv_file(tmp_path: Path, data: bytes, name: str = "ranges.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_ranges_with_host_bits_are_refused_not_widened(tmp_path):
    path = csv_file(tmp_path, b"cidr,account_id,kind,source\n198.18.0.5/8,acme,company,ops\n")
    with pytest.raises(CsvError) as err:
        read_csv(path, IpRange, IP_RANGE_HEADER)
    assert err.value.problems == [
        "line 2: cidr: '198.18.0.5/8' has host bits set: write the network, 198.0.0.0/8, or "
        "the address alone as /32"]


def test_zero_prefix_ranges_claiming_the_internet_are_refused(tmp_path):
    path = csv_file(tmp_path, b"cidr,account_id,kind,source\n0.0.0.0/0,,hosting,x\n"
                              b"::/0,acme,company,x\n10.0.0.0/8,acme,company,x\n")
    ranges = read_csv(path, IpRange, IP_RANGE_HEADER)
    with pytest.raises(CsvError) as err:
        check_prefixes(path, zip(ranges.lines, (r.cidr for r in ranges), strict=True),
                       {4: 8, 6: 16})
    assert err.value.problems == [
        "line 2: 0.0.0.0/0 is wider than /8 (PULSE_MIN_RANGE_PREFIX_V4)",
        "line 3: ::/0 is wider than /16 (PULSE_MIN_RANGE_PREFIX_V6)"]
    # Workers ignore such claims too (a range loaded by an older version).
    table = IpRangeTable([RangeClaim("0.0.0.0/0", "", "hosting"), RangeClaim("::/0", "acme")])
    assert table.lookup("93.184.216.34") is None and table.lookup("2001:db8::1") is None
    assert len(table.refused) == 2


def test_ipv4_mapped_ranges_are_converted_and_match():
    assert IpRange(cidr="::ffff:10.0.0.0/104", account_id="acme").cidr == "10.0.0.0/8"
    table = IpRangeTable([RangeClaim("::ffff:10.0.0.0/104", "acme")])
    assert table.lookup("10.1.2.3").account_id == "acme"
    assert table.lookup("::ffff:10.1.2.3").account_id == "acme"


def test_equal_prefix_claims_resolve_by_priority_whatever_their_order():
    claims = [RangeClaim("10.0.0.0/16", "b", "company", "accounts"),
              RangeClaim("10.0.0.0/16", "a", "company", "accounts"),
              RangeClaim("10.0.0.0/16", "c", "company", "ip_ranges"),
              RangeClaim("10.0.0.0/16", "", "isp", "ip_ranges"),
              RangeClaim("10.1.0.0/16", "a", "company", "accounts"),
              RangeClaim("10.1.0.0/16", "a", "company", "ip_ranges"),
              RangeClaim("10.1.0.0/16", "b", "company", "accounts")]
    rng = random.Random(4)
    seen = set()
    for _ in range(30):
        rng.shuffle(claims)
        t = IpRangeTable(claims)
        seen.add((t.lookup("10.0.1.1"), t.lookup("10.1.1.1"), tuple(t.conflicts)))
    assert len(seen) == 1
    shared, curated, _ = seen.pop()
    assert shared.kind == "isp"  # shared kinds first
    assert (curated.account_id, curated.source) == ("a", "ip_ranges")  # curated file wins


def test_accounts_load_bad_csv_prints_every_problem_with_its_line(tmp_path):
    body = (b"account_id,name,domains,ip_ranges,tier\n"
            b"acme,Acme,acme.com,198.18.0.0/22,1\n"
            b"bad,Bad,not a domain,10.0.0.0/33,1\n")
    body += "latin,Caf\u00e9,cafe.fr,,1\n".encode("latin-1")
    body += b"big,Big," + b"x" * 70000 + b".com,,1\n"
    body += b"extra,Extra,extra.com,,1,oops,more\n"
    path = csv_file(tmp_path, body, "accounts.csv")
    with pytest.raises(CsvError) as err:
        read_csv(path, Account, ACCOUNT_HEADER)
    problems = err.value.problems
    assert problems[:2] == ["line 3: domains.0: 'not a domain' is not a domain name",
                            "line 3: ip_ranges.0: '10.0.0.0/33' is not a CIDR range"]
    assert problems[2] == "line 4: name: not UTF-8 (byte 0xe9); save the file as UTF-8"
    assert problems[3] == "line 5: domains: 70,004 characters (at most 65,536)"
    assert problems[4] == "line 6: 2 more field(s) than the header has"
    assert str(err.value).count("\n  line ") == 5  # the CLI prints the message whole


def test_a_row_too_large_for_its_topic_is_reported_before_anything_is_published(tmp_path):
    rows = [("acme", {"name": "Acme"}), ("huge", {"name": "x" * 1_100_000})]
    with pytest.raises(CsvError) as err:
        check_sizes("accounts.csv", "account", rows, [2, 3])
    assert err.value.problems == ["line 3: 1,100,016 bytes as an account record (at most "
                                  "1,000,000)"]


def test_company_name_ambiguity_stays_ambiguous_abn_amro():
    names = CompanyNameIndex([("holding", "ABN Amro Holding N.V."),
                              ("bank", "ABN Amro Bank N.V."), ("globex", "Globex Inc")])
    abn = names.lookup("ABN Amro")
    assert abn.account_id == "" and abn.reason == "ambiguous", abn
    assert names.lookup("ABN AMRO Bank").account_id == "bank"
    assert names.lookup("Abn Amro Holding NV").account_id == "holding"
    assert names.lookup("Globex International").account_id == "globex"  # one candidate


def test_company_aliases_match_brands_and_short_names():
    accounts = [Account(account_id="ericsson", name="Telefonaktiebolaget L M Ericsson",
                        aliases="LM Ericsson; Ericsson"),
                Account(account_id="porsche", name="Dr. Ing. h.c. F. Porsche AG",
                        aliases="Porsche"),
                Account(account_id="ph", name="Porsche Holding GmbH")]
    names = CompanyNameIndex([(a.account_id, n) for a in accounts for n in (a.name, *a.aliases)])
    assert names.lookup("LM Ericsson").account_id == "ericsson"
    assert names.lookup("Ericsson AB").account_id == "ericsson"
    assert names.lookup("Porsche AG").account_id == "porsche"  # the alias is exact


def test_domains_use_idna_2008_fass_is_not_fass():
    assert normalize_host("faß.de") == "xn--fa-hia.de"
    assert Account(account_id="f", name="F", domains="faß.de").domains == ["xn--fa-hia.de"]
    index = DomainIndex([])
    index.add("fass.de", "other")
    index.add("xn--fa-hia.de", "fass")
    assert index.lookup("faß.de").account_id == "fass"


def test_d7_dot_segments_are_refused_as_account_ids(tmp_path):
    path = csv_file(tmp_path, b"account_id,name,domains,ip_ranges,tier\n..,Up,,,1\n.,Here,,,1\n"
                              b"../alerts,Slash,,,1\n", "accounts.csv")
    with pytest.raises(CsvError) as err:
        read_csv(path, Account, ACCOUNT_HEADER)
    assert err.value.problems == ["line 2: account_id: '..' cannot be an account id",
                                  "line 3: account_id: '.' cannot be an account id"]


def test_unreadable_reference_records_are_refused_one_by_one_and_change_nothing():
    from streams.ingest.non_human import NonHumanFilter
    from streams.reference.state import ReferenceData

    ref = ReferenceData(frozenset(), NonHumanFilter())
    good = b'{"account_id": "acme", "name": "Acme", "domains": ["acme.com"], "tier": "1"}'
    refused = ref.apply([
        ("accounts", b"acme", good),
        ("accounts", b"bad", b'{"account_id": 7}'),
        ("contacts", b"a@acme.com", b'{"account_id": "acme", "title": "CFO"}'),
        ("contacts", b"b@acme.com", b"[1]"),
        ("ip_ranges", b"r1", b'{"cidr": "10.0.0.0/8", "account_id": "acme", "kind": "company"}'),
        ("ip_ranges", b"r2", b'{"cidr": "10.0.0.0/8", "account_id": "acme", "kind": "moon"}'),
        ("ip_ranges", b"r3", b"[" * 50_000 + b"]" * 50_000),
        ("suppressions", b"\xff", b"{}"),
        ("suppressions", b"pk1", b"not json: still suppressed"),
    ])
    assert [(i, why.split(":", 1)[0]) for i, why in refused] == [
        (1, "unreadable accounts record"), (3, "unreadable contacts record"),
        (5, "unreadable ip_ranges record"), (6, "unreadable ip_ranges record"),
        (7, "unreadable suppressions record")]
    assert refused[2][1].endswith("kind 'moon' is not one of company, isp, hosting, vpn, mobile")
    assert refused[3][1].endswith("not JSON (nested too deeply)")
    assert set(ref.accounts) == {"acme"} and set(ref.contacts) == {"a@acme.com"}
    assert set(ref.ranges) == {"r1"} and ref.suppressed == {"pk1"}
    assert ref.rebuild().ip_ranges.lookup("10.1.2.3").account_id == "acme"
