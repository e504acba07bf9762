"""CRM exports as the CRMs write them: Salesforce ids, the four header styles, locale values,
and bad files that load nothing, each problem named with its line."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.crm_ids import crm_key, salesforce_id18
from schemas.reference import Account
from services.reference.loader import CsvError
from services.revenue import crm_formats
from services.revenue.matching import AccountIndex
from services.revenue.opportunities import OpportunityFileError, match_all, read

DATA = Path(__file__).resolve().parents[1] / "data" / "crm"


@pytest.mark.parametrize(("id15", "id18"), [
    ("500x000000003TR", "500x000000003TRAAY"),  # Salesforce's help, "How do I convert an ID"
    ("0019000000B98de", "0019000000B98deAAB"),
    ("a0D30000001n7Pi", "a0D30000001n7PiEAI"),
    ("70130000001tcyI", "70130000001tcyIAAQ"),
    ("003G000001SUbc4", "003G000001SUbc4IAD"),
])
def test_salesforce_ids_take_their_documented_18_character_form(id15, id18):
    assert salesforce_id18(id15) == id18
    assert salesforce_id18(id18) == id18
    # A spreadsheet's UPPER() or LOWER() of the 18-character form is the same record.
    assert salesforce_id18(id18.upper()) == id18
    assert salesforce_id18(id18.lower()) == id18


def test_a_wrong_checksum_is_refused_not_guessed():
    with pytest.raises(ValueError, match="checksum does not match"):
        salesforce_id18("0019000000B98deAAC")
    with pytest.raises(ValueError, match="cannot be upper case"):
        salesforce_id18("001900000000000555")  # marks digits as upper case
    with pytest.raises(ValueError, match="not a Salesforce id"):
        salesforce_id18("0019000000B98d")


def test_hubspot_ids_pass_unchanged_and_accounts_keep_the_18_character_form():
    assert crm_key("12345") == "12345"
    account = Account.model_validate({"account_id": "initech", "name": "Initech",
                                      "crm_ids": "0019000000B98de; 12345"})
    assert account.crm_ids == ["0019000000B98deAAB", "12345"]


@pytest.mark.parametrize(("file", "fmt"), [
    ("salesforce_dataloader.csv", "salesforce"), ("salesforce_report.csv", "salesforce_report"),
    ("hubspot_properties.csv", "hubspot"), ("hubspot_labels.csv", "hubspot")])
def test_the_header_tells_the_format(file, fmt):
    header = (DATA / file).read_text().splitlines()[0].replace('"', "").split(",")
    assert crm_formats.detect(header) == fmt


def test_a_data_loader_export_reads_whole():
    fmt, rows = read(DATA / "salesforce_dataloader.csv")
    assert fmt == "salesforce"
    by_id = {o.opportunity_id: o for _, o in rows}
    won = by_id["0065g00000AbCdFAAV"]
    assert (won.is_closed, won.is_won, won.amount, won.currency, won.type) == (
        True, True, Decimal("30000.00"), "USD", "Existing Business")
    assert won.created_at == datetime(2026, 8, 1, 8, tzinfo=UTC)
    assert won.updated_at == datetime(2026, 9, 30, 16, 20, tzinfo=UTC)
    assert won.close_date == date(2026, 9, 30) and won.crm_account_id == "0015g00000XyZ12AAF"
    lost = by_id["0065g00000AbCdGAAV"]
    assert (lost.is_closed, lost.is_won, lost.amount) == (True, False, Decimal("0.00"))
    assert by_id["0065g00000AbCdHAAV"].is_deleted


def test_a_report_export_reads_its_locale_and_15_character_ids():
    fmt, rows = read(DATA / "salesforce_report.csv")
    assert fmt == "salesforce_report"
    first, second = (o for _, o in rows)
    # The same opportunity as the Data Loader file's, in its other id form.
    assert first.opportunity_id == "0065g00000AbCdEAAV"
    assert first.crm_account_id == "0015g00000XyZ12AAF"
    assert first.amount == Decimal("120000.00") and first.created_at.date() == date(2026, 10, 2)
    assert first.close_date == date(2026, 12, 31) and not first.is_closed
    assert second.amount == Decimal("45500.50") and second.is_won
    assert second.account_domain == "https://www.globex.com/"


def test_a_german_report_export_reads_with_its_locale(tmp_path):
    path = tmp_path / "de.csv"
    path.write_text('"Opportunity ID","Stage","Amount","Created Date","Close Date","Closed","Won"'
                    '\n"0065g00000AbCdE","Closed Won","EUR 1.234,50","02.03.2026","31.03.2026",'
                    '"1","1"\n')
    _, [(_, o)] = read(path, locale="de_DE")
    assert (o.amount, o.currency, o.created_at.date(), o.close_date) == (
        Decimal("1234.50"), "EUR", date(2026, 3, 2), date(2026, 3, 31))


def test_hubspot_by_property_names_keeps_stage_dates():
    fmt, rows = read(DATA / "hubspot_properties.csv")
    assert fmt == "hubspot"
    deal = rows[0][1]
    assert deal.opportunity_id == "87654321098" and deal.crm_account_id == "12345"
    assert deal.stage == "presentationscheduled" and deal.amount == Decimal("50000.00")
    assert deal.stage_dates == {
        "appointmentscheduled": datetime(2024, 1, 10, 9, 15, 30, 234000, tzinfo=UTC),
        "qualifiedtobuy": datetime(2024, 1, 12, 10, tzinfo=UTC)}
    assert rows[1][1].is_won and "closedwon" in rows[1][1].stage_dates


def test_hubspot_by_labels_is_the_same_deal():
    _, [(_, labels)] = read(DATA / "hubspot_labels.csv")
    _, rows = read(DATA / "hubspot_properties.csv")
    names = rows[0][1]
    assert (labels.opportunity_id, labels.crm_account_id, labels.amount, labels.is_closed,
            labels.created_at.date()) == (names.opportunity_id, names.crm_account_id,
                                          names.amount, names.is_closed,
                                          names.created_at.date())


def test_matching_by_crm_id_then_website_never_by_name():
    index = AccountIndex([("initech", ["initech.co.uk"], ["0015g00000XyZ12", "12345"]),
                          ("globex", ["globex.com"], []),
                          ("acme", ["acme.com"], [])])
    _, rows = read(DATA / "salesforce_report.csv")
    matched = {o.opportunity_id: o for _, o in match_all(rows, index)}
    first = matched["0065g00000AbCdEAAV"]
    assert (first.account_id, first.match_method) == ("initech", "crm_id")
    assert "0015g00000XyZ12AAF" in first.match_evidence
    second = matched["0065g00000ZzZzzAAF"]
    assert (second.account_id, second.match_method) == ("globex", "domain")
    assert "globex.com" in second.match_evidence
    unmatched = index.match("001000000000qqq", "https://notacme.com")
    assert unmatched.account_id == "" and "no account owns notacme.com" in unmatched.evidence
    assert index.match("", "").evidence == "the file gives no account id and no website"


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "opps.csv"
    path.write_text(text)
    return path


HEADER = "opportunity_id,account_id,name,stage,amount,currency,created_at,close_date,is_closed," \
         "is_won,updated_at\n"


def test_every_bad_line_is_named_and_nothing_loads(tmp_path):
    path = write(tmp_path, HEADER
                 + "o1,initech,ok,Won,100,USD,2026-01-01,2026-02-01,true,true,2026-02-01\n"
                 + "o2,initech,neg,Open,-5,USD,2026-01-01,,false,false,2026-01-01\n"
                 + "o3,initech,text,Open,lots,USD,2026-01-01,,false,false,2026-01-01\n"
                 + "o4,initech,early,Open,1,USD,2026-03-01,2026-02-01,false,false,2026-03-01\n"
                 + "o5,initech,cur,Open,1,XYZ,2026-01-01,,false,false,2026-01-01\n"
                 + "o6,initech,won open,Won,1,USD,2026-01-01,,false,true,2026-01-01\n"
                 + "o1,initech,ok,Won,999,USD,2026-01-01,2026-02-01,true,true,2026-02-01\n"
                 + "o7,initech,fine,Open,1,USD,2026-01-01,,false,false,2026-01-01\n")
    with pytest.raises(OpportunityFileError) as caught:
        read(path)
    problems = "\n".join(caught.value.problems)
    assert "line 3: amount: -5 is negative" in problems
    assert "line 4: amount: 'lots' is not an amount" in problems
    assert "line 5: close date 2026-02-01 is before the creation date 2026-03-01" in problems
    assert "line 6: currency: 'XYZ' is not an ISO 4217 currency code" in problems
    assert "line 7: won but not closed" in problems
    assert "line 8: opportunity o1 is also on line 2 with other contents" in problems
    assert len(caught.value.problems) == 6
    statuses = {x.line: x.status for x in caught.value.lines}
    assert statuses == {2: "not loaded", 3: "refused", 4: "refused", 5: "refused",
                        6: "refused", 7: "refused", 8: "refused", 9: "not loaded"}


def test_the_same_line_twice_is_one_opportunity(tmp_path):
    line = "o1,initech,ok,Won,100,USD,2026-01-01,2026-02-01,true,true,2026-02-01\n"
    _, rows = read(write(tmp_path, HEADER + line + line))
    assert len(rows) == 2 and rows[0][1] == rows[1][1]


def test_mixed_currencies_need_rates(tmp_path):
    text = (HEADER + "o1,a,x,Open,100,USD,2026-01-01,,false,false,2026-01-01\n"
            + "o2,a,x,Open,100,USD,2026-01-01,,false,false,2026-01-01\n"
            + "o3,a,x,Open,100,EUR,2026-01-01,,false,false,2026-01-01\n")
    with pytest.raises(OpportunityFileError) as caught:
        read(write(tmp_path, text))
    assert caught.value.problems == [
        "line 4: currency EUR in a file mostly in USD, and no rate for EUR, USD: load rates "
        "first (pulse opportunities rates)"]
    _, rows = read(write(tmp_path, text), rates=["EUR", "USD"])
    assert len(rows) == 3


def test_closed_and_won_are_never_guessed_from_stage_names(tmp_path):
    path = write(tmp_path, "Id,StageName,CreatedDate\n0065g00000AbCdE,Closed Won,2026-01-01\n")
    with pytest.raises(ValueError, match="needs IsClosed, IsWon .closed and won are read from "
                                         "the file, never guessed"):
        read(path)


def test_an_unknown_header_says_what_was_expected(tmp_path):
    with pytest.raises(ValueError, match="not one of a known CRM export"):
        read(write(tmp_path, "deal,value\nx,1\n"))


odd_cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["NaN", "sNaN", "Infinity", "-0", "1e400", "99999999999999999999999",
                     "1" * 40, "0x10", "12,34,56", "$", "USD", "31/31/2026", "2026-02-30",
                     "true ", "ＴＲＵＥ", "١٢٣", "9:99 PM", "1/2/3/4", "\x00", "=1+1"]))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["salesforce", "salesforce_report", "hubspot", "pulse"]),
       st.lists(odd_cells, min_size=11, max_size=11))
def test_odd_values_are_refused_with_their_line_never_a_crash(tmp_path_factory, fmt, cells):
    header = {"salesforce": "Id,AccountId,Name,StageName,Amount,CurrencyIsoCode,CloseDate,"
                            "CreatedDate,IsClosed,IsWon,SystemModstamp",
              "salesforce_report": "Opportunity ID,Account ID,Opportunity Name,Stage,Amount,"
                                   "Amount Currency,Close Date,Created Date,Closed,Won,"
                                   "Last Modified Date",
              "hubspot": "hs_object_id,associatedcompanyid,dealname,dealstage,amount,"
                         "deal_currency_code,closedate,createdate,hs_is_closed,"
                         "hs_is_closed_won,hs_lastmodifieddate",
              "pulse": HEADER.strip()}[fmt]
    path = tmp_path_factory.mktemp("odd") / "odd.csv"
    with open(path, "w", newline="", encoding="utf-8", errors="surrogatepass") as fh:
        csv.writer(fh).writerows([header.split(","), cells])
    try:
        _, rows = read(path, fmt)
    except OpportunityFileError as err:
        assert err.problems and all(p.startswith("line ") for p in err.problems)
        assert [x.status for x in err.lines] in (["refused"], [])
    except CsvError as err:  # a broken header or record: named with its line too
        assert all(p.startswith("line ") for p in err.problems)
    else:
        assert len(rows) <= 1
