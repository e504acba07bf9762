from pathlib import Path

import pytest

from schemas.reference import Account
from services.reference_loader import ACCOUNT_HEADER, CsvError, read_csv


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text(text)
    return path


def test_accounts_csv_with_lists_and_extra_columns(tmp_path):
    path = write(tmp_path, "account_id,name,domains,ip_ranges,tier,owner\n"
                           "acme,Acme Corp,acme.com; ACME.co.uk,198.18.0.0/22;2001:db8::/32,1,x\n"
                           "hooli,Hooli,,,2,\n")
    acme, hooli = read_csv(path, Account, ACCOUNT_HEADER)
    assert acme.domains == ["acme.com", "acme.co.uk"]
    assert acme.ip_ranges == ["198.18.0.0/22", "2001:db8::/32"]
    assert hooli.domains == [] and hooli.ip_ranges == [] and hooli.tier == "2"


def test_every_bad_row_is_reported_with_its_line_and_nothing_loads(tmp_path):
    path = write(tmp_path, "account_id,name,domains,ip_ranges,tier\n"
                           "acme,Acme,acme.com,198.18.0.0/22,1\n"
                           "bad,Bad,not a domain,10.0.0.0/33,1\n"
                           ",Nameless,x.com,,1\n")
    with pytest.raises(CsvError) as err:
        read_csv(path, Account, ACCOUNT_HEADER)
    assert err.value.problems == [
        "line 3: domains.0: 'not a domain' is not a domain name",
        "line 3: ip_ranges.0: '10.0.0.0/33' is not a CIDR range",
        "line 4: account_id: String should have at least 1 character",
    ]


def test_missing_column_names_what_is_expected(tmp_path):
    path = write(tmp_path, "id,name\nacme,Acme\n")
    with pytest.raises(CsvError, match="header lacks column\\(s\\) account_id, domains"):
        read_csv(path, Account, ACCOUNT_HEADER)
