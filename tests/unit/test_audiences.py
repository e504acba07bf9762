"""Audience files: LinkedIn's company-list header (golden), the rows, splitting at the row
limit, readiness, the size rules and the diff between exports."""

from __future__ import annotations

import csv
import io

import pytest

from services.targeting import audiences

ACME = {"account_id": "acme", "name": "Acme, Inc.", "domains": ["acme.com", "acme.io"],
        "linkedin_url": "https://www.linkedin.com/company/acme-corp", "stock_symbol": "ACME",
        "industry": "Software", "city": "San Francisco", "region": "CA", "country": "US",
        "zip": "94105", "tier": "1", "grade": "A", "fit": 100, "stage": "mqa",
        "employees": 2400}


def test_linkedin_header_is_the_template_exactly():
    first = audiences.files([ACME], "linkedin")[0].splitlines()[0]
    assert first == ("companyname,companywebsite,companyemaildomain,linkedincompanypageurl,"
                     "stocksymbol,industry,city,state,companycountry,zipcode")


def test_linkedin_rows_quote_what_needs_it():
    [text] = audiences.files([ACME, {"account_id": "bare", "name": "Bare"}], "linkedin")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == ["Acme, Inc.", "acme.com", "acme.com",
                       "https://www.linkedin.com/company/acme-corp", "ACME", "Software",
                       "San Francisco", "CA", "US", "94105"]
    assert rows[2] == ["Bare", "", "", "", "", "", "", "", "", ""]
    assert '"Acme, Inc."' in text


def test_files_split_at_the_row_limit_each_with_its_header():
    many = [{**ACME, "account_id": f"a{i}", "name": f"A{i}"} for i in range(7)]
    parts = audiences.files(many, "csv", max_rows=3)
    assert [len(p.splitlines()) for p in parts] == [4, 4, 2]
    assert all(p.startswith("account_id,name,domains,") for p in parts)
    assert audiences.MAX_ROWS_PER_FILE == 300_000
    assert audiences.files([], "linkedin") == [",".join(audiences.LINKEDIN_HEADER) + "\n"]
    with pytest.raises(ValueError, match="unknown audience format"):
        audiences.files([], "xlsx")


def test_size_rules_and_readiness():
    with pytest.raises(RuntimeError, match="299 accounts: LinkedIn serves no audience under 300"):
        audiences.check_size(299, force=False)
    assert "299 accounts" in audiences.check_size(299, force=True)
    assert "recommends at least 1,000" in audiences.check_size(300, force=False)
    assert audiences.check_size(1000, force=False) == ""
    r = audiences.readiness([ACME, {"account_id": "x", "domains": []}])
    assert r == (2, 1, 1)


def test_diff_names_added_and_removed():
    assert audiences.diff({"a", "b"}, {"b", "c"}) == (["c"], ["a"])
