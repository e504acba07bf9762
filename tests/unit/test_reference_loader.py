from pathlib import Path

import pytest

from schemas.reference import Account
from services.reference.loader import ACCOUNT_HEADER, CsvError, read_csv


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


def test_ultimate_parents_walk_to_the_top_and_refuse_cycles():
    from services.reference.loader import ultimate_parents

    tops = ultimate_parents({"eu": "acme", "de": "eu", "acme": "", "lone": "", "orphan": "gone"})
    assert tops == {"eu": "acme", "de": "acme", "acme": "acme", "lone": "lone", "orphan": "gone"}
    with pytest.raises(ValueError, match="cycle: a -> b -> a"):
        ultimate_parents({"a": "b", "b": "a"})


def test_ip_ranges_csv_checks_kind_and_owner(tmp_path):
    from schemas.reference import IpRange
    from services.reference.loader import IP_RANGE_HEADER

    path = tmp_path / "ranges.csv"
    path.write_text("cidr,account_id,kind,source\n"
                    "198.18.0.0/24,acme,company,ops\n"
                    "203.0.113.0/24,,isp,vendor-x\n"
                    "192.0.2.0/24,acme,hosting,vendor-x\n"
                    "192.0.3.0/24,,company,ops\n"
                    "192.0.4.0/24,,satellite,ops\n")
    with pytest.raises(CsvError) as err:
        read_csv(path, IpRange, IP_RANGE_HEADER)
    assert err.value.problems == [
        "line 4: a hosting range is shared: leave account_id empty",
        "line 5: a company range needs an account_id",
        "line 6: kind: Input should be 'company', 'isp', 'hosting', 'vpn' or 'mobile'",
    ]


def test_customer_and_owner_columns_are_optional_and_validated():
    from pydantic import ValidationError

    base = {"account_id": "a", "name": "A"}
    assert Account.model_validate(base).customer is False
    acc = Account.model_validate({**base, "customer": "Yes", "owner_email": "Rep@Vendor.com"})
    assert acc.customer is True and acc.owner_email == "rep@vendor.com"
    assert Account.model_validate({**base, "customer": "", "owner_email": " "}).owner_email is None
    with pytest.raises(ValidationError, match="is not yes/no"):
        Account.model_validate({**base, "customer": "maybe"})


@pytest.mark.parametrize("header", [
    # Salesforce report export (display labels), Data Loader export (API names, upper
    # case as it writes them), HubSpot's contacts export, and our own columns.
    "First Name,Last Name,Title,Email,Account ID",
    "FIRSTNAME,LASTNAME,TITLE,EMAIL,ACCOUNTID",
    "First Name,Last Name,Job Title,Email,account_id",
    "name_first_last,title,email,account_id",
])
def test_contacts_from_crm_exports_keep_name_and_title(tmp_path, header):
    from schemas.reference import Contact
    from services.reference.loader import CONTACT_ALIASES, CONTACT_HEADER

    ours = header.startswith("name_")
    row = ("Jane Doe,Chief Financial Officer,Jane.Doe@Acme.com,acme" if ours else
           "Jane,Doe,Chief Financial Officer,Jane.Doe@Acme.com,acme")
    path = write(tmp_path, header.replace("name_first_last", "name") + "\n" + row + "\n")
    [jane] = read_csv(path, Contact, CONTACT_HEADER, aliases=CONTACT_ALIASES)
    assert (jane.email, jane.account_id, jane.name, jane.title) == (
        "jane.doe@acme.com", "acme", "Jane Doe", "Chief Financial Officer")


def test_contacts_without_names_still_load(tmp_path):
    from schemas.reference import Contact
    from services.reference.loader import CONTACT_ALIASES, CONTACT_HEADER

    path = write(tmp_path, "email,account_id\nann@acme.com,acme\n")
    [ann] = read_csv(path, Contact, CONTACT_HEADER, aliases=CONTACT_ALIASES)
    assert (ann.name, ann.title) == ("", "")


FIRMOGRAPHICS = ("account_id,name,domains,ip_ranges,tier,industry,employees,annual_revenue,"
                 "country,region,city,zip,technologies,linkedin_url,stock_symbol\n")


def test_firmographics_are_optional_and_read_as_crms_write_them(tmp_path):
    path = write(tmp_path, FIRMOGRAPHICS
                 + 'acme,Acme,acme.com,,1,Software,"1,200",12500000.50,Germany,Bavaria,'
                   'München,80331,Salesforce; HubSpot,'
                   'https://de.linkedin.com/company/acme-corp/?trk=x,nasdaq:acme\n'
                 + "hooli,Hooli,,,2,,,,us,,,,,,\n")
    acme, hooli = read_csv(path, Account, ACCOUNT_HEADER)
    assert (acme.industry, acme.employees, str(acme.annual_revenue), acme.country,
            acme.region, acme.city, acme.zip) == (
        "Software", 1200, "12500000.50", "DE", "Bavaria", "München", "80331")
    assert acme.technologies == ["Salesforce", "HubSpot"]
    assert acme.linkedin_url == "https://www.linkedin.com/company/acme-corp"
    assert acme.stock_symbol == "NASDAQ:ACME"
    assert (hooli.employees, hooli.annual_revenue, hooli.country, hooli.linkedin_url) == (
        None, None, "US", "")
    assert Account.schema_ver == "account/1-0-5"


def test_bad_firmographics_are_named_with_their_line(tmp_path):
    path = write(tmp_path, FIRMOGRAPHICS
                 + "a,A,,,1,,-3,,,,,,,,\n"
                 + "b,B,,,1,,,lots,,,,,,,\n"
                 + "c,C,,,1,,,,Atlantis,,,,,,\n"
                 + "d,D,,,1,,,,,,,,,https://www.linkedin.com/in/someone,\n"
                 + "e,E,,,1,,,,,,,,,,$$$\n")
    with pytest.raises(CsvError) as err:
        read_csv(path, Account, ACCOUNT_HEADER)
    assert err.value.problems == [
        "line 2: employees: Input should be greater than or equal to 0",
        "line 3: annual_revenue: 'lots' is not an amount",
        "line 4: country: 'Atlantis' is not a country (an ISO 3166 code such as DE, or its "
        "English name)",
        "line 5: linkedin_url: 'https://www.linkedin.com/in/someone' is not a LinkedIn "
        "company page URL (https://www.linkedin.com/company/...)",
        "line 6: stock_symbol: '$$$' is not a stock symbol (e.g. MSFT or NASDAQ:MSFT)",
    ]
