"""CRM opportunities on the real stack: exports loaded through the CLI to the topic and the
warehouse, versions and deletions, a bad file that loads nothing, and influence and the
backtest over events the pipeline landed."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest
from kafka import KafkaConsumer, TopicPartition

from tests.conftest import PulseEnv
from tests.support.clock import yesterday_noon
from tests.support.events import ad_click, email_open, web_visit

pytestmark = pytest.mark.integration

NOON = yesterday_noon()
CREATED = NOON - timedelta(hours=1)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def iso(t) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def report_rows(path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def topic_records(env: PulseEnv) -> list[tuple[str, object]]:
    consumer = KafkaConsumer(bootstrap_servers=env.settings.kafka_bootstrap,
                             isolation_level="read_committed", consumer_timeout_ms=3000)
    tp = TopicPartition(env.topic("opportunities"), 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    out = [(m.key.decode(), json.loads(m.value) if m.value is not None else None)
           for m in consumer]
    consumer.close()
    return out


def test_crm_exports_land_and_weigh_engagement(pulse_env: PulseEnv):
    env = pulse_env
    env.stack(accounts="account_id,name,domains,ip_ranges,tier,crm_ids\n"
                       "acme,Acme,acme.com,198.51.100.0/24,1,0019000000B98de\n"
                       "globex,Globex,globex.com,203.0.113.0/24,2,\n",
              contacts="email,account_id,title\ncfo@acme.com,acme,Chief Financial Officer\n")
    ip = "198.51.100.9"
    env.publish_events([
        web_visit("v1", ip, ts=CREATED - timedelta(days=10), path="/pricing"),
        email_open("o1", "cfo@acme.com", ts=CREATED - timedelta(days=5), campaign_id="spring"),
        web_visit("bot", ip, ts=CREATED - timedelta(days=3), user_agent=GOOGLEBOT),
        ad_click("a1", ip, ts=CREATED - timedelta(days=2), campaign_id="li-q4"),
        web_visit("late", ip, ts=NOON, path="/demo"),  # after the opportunity: earns nothing
    ])
    env.cli("run", "--drain")

    # A report export: labels, 15-character ids, US dates and grouped amounts.
    files = env.files
    (files / "report.csv").write_text(
        '"Opportunity Name","Stage","Amount","Close Date","Created Date","Opportunity ID",'
        '"Account ID","Closed","Won","Website"\n'
        f'"Acme platform","Prospecting","USD 120,000.00","","{CREATED:%m/%d/%Y %I:%M %p}",'
        '"0065g00000AbCdE","0019000000B98de","0","0",""\n'
        f'"Globex pilot","Qualification","USD 5,000.00","","{CREATED:%m/%d/%Y}",'
        '"0065g00000ZzZzz","","0","0","https://www.globex.com"\n'
        f'"Mystery","Prospecting","USD 1.00","","{CREATED:%m/%d/%Y}","0065g00000Qqqqq",'
        '"001000000000qqq","0","0",""\n')
    out = env.cli("opportunities", "load", str(files / "report.csv"), "--report",
                  str(files / "report-1.csv")).stdout
    assert "2 imported, 1 unmatched" in out
    assert "unmatched: line 4, 0065g00000QqqqqAAB: no account has CRM id 001000000000qqqAAA" in out
    rows = report_rows(files / "report-1.csv")
    assert [(r["line"], r["opportunity_id"], r["status"], r["account_id"], r["match_method"])
            for r in rows] == [("2", "0065g00000AbCdEAAV", "imported", "acme", "crm_id"),
                               ("3", "0065g00000ZzZzzAAF", "imported", "globex", "domain"),
                               ("4", "0065g00000QqqqqAAB", "unmatched", "", "")]

    # The API export of the same opportunity (18-character id) is a newer version.
    api_header = ("Id,AccountId,Name,StageName,Amount,CurrencyIsoCode,CloseDate,CreatedDate,"
                  "IsClosed,IsWon,SystemModstamp,IsDeleted\n")
    (files / "api.csv").write_text(
        api_header
        + f"0065g00000AbCdEAAV,0019000000B98deAAB,Acme platform,Negotiation,120000,USD,,"
          f"{iso(CREATED)},false,false,{iso(NOON)},false\n"
        + f"0065g00000ZzZzzAAF,,Globex pilot,Qualification,5000,USD,,{iso(CREATED)},false,"
          f"false,{iso(NOON)},true\n")
    out = env.cli("opportunities", "load", str(files / "api.csv")).stdout
    assert "1 updated, 1 deleted" in out
    older = api_header + (f"0065g00000AbCdEAAV,0019000000B98deAAB,Acme platform,Prospecting,"
                          f"1,USD,,{iso(CREATED)},false,false,{iso(CREATED)},false\n")
    (files / "older.csv").write_text(older)
    assert "1 unchanged" in env.cli("opportunities", "load", str(files / "older.csv")).stdout

    with env.clickhouse() as ch:
        assert ch.query("SELECT opportunity_id, account_id, stage, toString(amount) "
                        "FROM abm.opportunities FINAL ORDER BY opportunity_id").result_rows == [
            ("0065g00000AbCdEAAV", "acme", "Negotiation", "120000"),
            ("0065g00000QqqqqAAB", "", "Prospecting", "1")]
        assert ch.query("SELECT stage FROM abm.opportunity_stages FINAL WHERE opportunity_id "
                        "= '0065g00000AbCdEAAV' ORDER BY entered_at, stage").result_rows == [
            ("Prospecting",), ("Negotiation",)]
    records = topic_records(env)
    latest = dict(records)
    assert latest["0065g00000AbCdEAAV"]["stage"] == "Negotiation"
    assert latest["0065g00000AbCdEAAV"]["account_id"] == "acme"
    assert latest["0065g00000ZzZzzAAF"] is None  # the tombstone of the deleted one
    assert len([k for k, _ in records if k == "0065g00000AbCdEAAV"]) == 2  # not the older one

    # A bad file loads nothing, and its report says why, line by line.
    (files / "bad.csv").write_text(api_header + f"0065g00000XyZzz,,X,Open,-3,USD,,"
                                   f"{iso(CREATED)},false,false,{iso(CREATED)},false\n")
    bad = env.cli("opportunities", "load", str(files / "bad.csv"), "--report",
                  str(files / "bad-report.csv"), check=False)
    assert bad.returncode == 1 and "line 2: amount: -3 is negative" in bad.stderr
    assert [r["status"] for r in report_rows(files / "bad-report.csv")] == ["refused"]
    assert len(topic_records(env)) == len(records)

    # Influence: u_shaped 40/20/40 over v1 (web), o1 (email), a1 (ad); the Googlebot visit
    # and the visit after creation earn nothing.
    first = env.cli("influence", "--model", "u_shaped", "--by", "channel", "--format",
                    "json").stdout
    got = json.loads(first)
    assert set(got) == {"model", "lookback_days", "by", "opportunities",
                        "matched_opportunities", "pipeline_amount",
                        "influenced_opportunities", "influenced_amount", "sourced_amount",
                        "rows"}
    assert (got["opportunities"], got["matched_opportunities"],
            got["influenced_opportunities"]) == (2, 1, 1)
    assert got["pipeline_amount"] == {"USD": 120001.0}
    assert got["influenced_amount"] == {"USD": 120000.0}
    assert got["sourced_amount"] == {}  # the first touch is an organic visit
    assert got["rows"] == [{"key": "ad", "credit": 0.4, "amount": {"USD": 48000.0}},
                           {"key": "web", "credit": 0.4, "amount": {"USD": 48000.0}},
                           {"key": "email", "credit": 0.2, "amount": {"USD": 24000.0}}]
    again = env.cli("influence", "--model", "u_shaped", "--by", "channel", "--format",
                    "json").stdout
    assert again == first
    as_csv = list(csv.DictReader(env.cli("influence", "--model", "u_shaped", "--by", "channel",
                                         "--format", "csv").stdout.splitlines()))
    assert [(r["channel"], float(r["credit"]), r["currency"], r["amount"], r["sourced_amount"])
            for r in as_csv] == [("ad", 0.4, "USD", "48000.00", "0.00"),
                                 ("web", 0.4, "USD", "48000.00", "0.00"),
                                 ("email", 0.2, "USD", "24000.00", "0.00")]
    table = env.cli("influence", "--by", "campaign").stdout
    assert "1 of 2 opportunities influenced (1 matched to an account): USD 120,000.00" in table
    assert "spring" in table and "li-q4" in table

    backtest = json.loads(env.cli("backtest", "--format", "json").stdout)
    assert {"horizon_days", "accounts", "units", "alerts", "alerted_accounts",
            "opportunities", "precision", "recall", "opportunity_rate_alerted",
            "opportunity_rate_not_alerted", "lift", "lift_ci95",
            "median_lead_days"} <= set(backtest)
    assert (backtest["accounts"], backtest["alerts"], backtest["horizon_days"]) == (2, 0, 90)
    assert backtest["opportunities"] == 1 and backtest["lift"] is None

    # The unmatched opportunity's account arrives later: matching again finds it, no reload.
    (files / "more-accounts.csv").write_text("account_id,name,domains,ip_ranges,tier,crm_ids\n"
                                             "mystery,Mystery Inc,mystery.example,,3,"
                                             "001000000000QQQ;001000000000qqq\n")
    env.cli("accounts", "load", str(files / "more-accounts.csv"))
    out = env.cli("opportunities", "match").stdout
    assert out.strip() == ("re-matched 2 opportunities: 1 newly matched, 0 moved to another "
                           "account, 0 unmatched")
    with env.clickhouse() as ch:
        assert ch.query("SELECT account_id, match_method FROM abm.opportunities FINAL WHERE "
                        "opportunity_id = '0065g00000QqqqqAAB'").result_rows == [
            ("mystery", "crm_id")]
    assert dict(topic_records(env))["0065g00000QqqqqAAB"]["account_id"] == "mystery"
    assert "re-matched 2 opportunities: 0 newly matched" in env.cli("opportunities",
                                                                     "match").stdout
