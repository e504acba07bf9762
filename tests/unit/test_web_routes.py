"""The web app's routes and templates in-process (Starlette's test client, as Datasette
tests its pages), on fixed data in a real embedded ClickHouse: sign-in, sign-out, SSO,
links, escaping, paging and health. What needs a browser (rendering, scripts, keyboard, live
refresh) stays in tests/integration/test_web_pages.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import clickhouse_connect
import pytest
from starlette.testclient import TestClient

from services.warehouse import DirectWarehouse, migrate
from services.web.app import create_app
from services.web.auth import Access, Revocations, hash_password
from streams.settings import Settings
from streams.stages import rules as stage_rules

NOW = datetime.now(UTC).replace(microsecond=0)
PASSWORD = "a long password"
USERS = {"ann": hash_password(PASSWORD)}


@pytest.fixture(scope="module")
def read(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    settings = Settings(home=tmp_path_factory.mktemp("routes"))
    client = clickhouse_connect.get_client(dsn=settings.dsn)
    migrate(client)
    client.insert("abm.accounts", [["acme", "Acme Corporation", ["acme.com"], "1"],
                                   ["../alerts", "Slash Probe Co", [], "3"]],
                  column_names=["account_id", "name", "domains", "tier"])
    # acme is in a deal when it surges; a later deal, and a lost one, are not named.
    client.insert("abm.opportunities", [
        ["0065g00000AbCdEAAV", "acme", "crm_id", "", "Acme <platform>", "Negotiation",
         Decimal("120000.50"), "USD", NOW - timedelta(days=3), 0, 0, NOW],
        ["0065g00000AbCdFAAV", "acme", "crm_id", "", "Acme later", "Prospecting",
         Decimal("10.00"), "USD", NOW - timedelta(hours=1), 0, 0, NOW],
        ["0065g00000AbCdGAAV", "acme", "crm_id", "", "Acme lost", "Closed Lost",
         Decimal("99.00"), "USD", NOW - timedelta(days=5), 1, 0, NOW]],
        column_names=["opportunity_id", "account_id", "match_method", "match_evidence", "name",
                      "stage", "amount", "currency", "created_at", "is_closed", "is_won",
                      "updated_at"])
    client.insert("abm.account_fit", [["acme", 65, "B", [(30, "industry is Software",
                                                          "an industry we win in"),
                                                         (35, "country is <DE>", "")],
                                        "fit-t.1", NOW]],
                  column_names=["account_id", "score", "grade", "points", "version",
                                "scored_at"])
    version = stage_rules.load().version
    client.insert("abm.account_stage_changes", [
        ["acme", "engaged", "unaware", NOW - timedelta(days=3), version, "3 people"],
        ["acme", "mqa", "engaged", NOW - timedelta(days=1), version, "fit B"],
        ["../alerts", "customer", "unaware", NOW, "an older version", "flag"]],
        column_names=["account_id", "stage", "previous_stage", "changed_at", "rules_version",
                      "reason"])
    client.insert("abm.control_assignments", [
        ["as-1", "acme", "control", "", 0.1, 7, [], "ann", NOW - timedelta(days=9), "first"]],
        column_names=["assignment_id", "account_id", "arm", "stratum", "share", "seed",
                      "stratify", "assigned_by", "assigned_at", "reason"])
    client.insert("abm.alert_deliveries", [
        ["al-1", "sales", "control", 0, 0, "control account: not worked", NOW, NOW]],
        column_names=["alert_id", "destination", "status", "attempts", "http_status", "error",
                      "first_attempt_at", "finished_at"])
    at = NOW - timedelta(hours=2)
    client.insert("abm.surge_alerts", [["al-1", "acme", "Acme Corporation", "1", "surge",
                                        "daily", at, at, at, 80.0, 3.0, 4, "4 people", at]],
                  column_names=["alert_id", "account_id", "account_name", "tier", "kind",
                                "mode", "detected_at", "window_start", "window_end", "score",
                                "baseline_multiple", "people", "reason",
                                "episode_started_at"])
    client.insert("abm.dead_letters", [["web_visits", 0, 7, b'{"a":"\x00\x01"}\x7f',
                                        "invalid JSON: probe \x00", NOW, "not_json", "decode"]],
                  column_names=["topic", "partition", "offset", "payload", "error",
                                "received_at", "kind", "stage"])
    client.close()
    wh = DirectWarehouse(settings)

    def reader(sql: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
        r = wh.read(sql, parameters)
        return [dict(zip(r.columns, row, strict=True)) for row in r.rows]

    yield reader
    wh.close()


def app(read: Any, access: Access, revoked: Path | None = None) -> TestClient:
    return TestClient(create_app(read, access, "s" * 32, clock=lambda: NOW,
                                 revoked=Revocations(revoked)), follow_redirects=False)


def signed_in(client: TestClient) -> str:
    """Signs ann in; returns the session cookie."""
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"username": "ann", "password": PASSWORD, "next": "/",
                                         "csrf": csrf})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    return str(client.cookies["pulse_session"])


def test_sign_in_rules(read):
    client = app(read, Access(USERS, "", secure_cookies=False))
    answer = client.get("/alerts")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/alerts"
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    wrong = client.post("/login", data={"username": "ann", "password": "wrong password!",
                                        "csrf": csrf})
    assert wrong.status_code == 401 and "Wrong user name or password." in wrong.text
    no_csrf = TestClient(client.app).post("/login", data={"username": "ann",
                                                         "password": PASSWORD})
    assert no_csrf.status_code == 400
    ok = client.post("/login", data={"username": "ann", "password": PASSWORD,
                                     "next": "/alerts", "csrf": csrf})
    assert ok.status_code == 303 and ok.headers["location"] == "/alerts"
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    page = client.get("/")
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    secure = app(read, Access(USERS, "", secure_cookies=True))
    form = secure.get("/login")
    assert form.headers["strict-transport-security"] == "max-age=31536000"
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    assert "; secure" in secure.post("/login", data={
        "username": "ann", "password": PASSWORD, "csrf": csrf}).headers["set-cookie"].lower()


def test_d6_sign_out_revokes_every_copy_of_the_session(read, tmp_path):
    revoked = tmp_path / "run" / "web-revoked"
    client = app(read, Access(USERS, "", secure_cookies=False), revoked)
    stolen = signed_in(client)  # a copy, as from a shared machine or a proxy's log
    page = client.get("/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    thief = app(read, Access(USERS, "", secure_cookies=False), revoked)
    thief.cookies.set("pulse_session", stolen)
    assert thief.get("/").status_code == 303  # to /login: the copy is dead too
    restarted = app(read, Access(USERS, "", secure_cookies=False), revoked)
    restarted.cookies.set("pulse_session", stolen)
    assert restarted.get("/").status_code == 303  # and stays dead after a restart


def test_sso_header_names_the_user(read):
    client = app(read, Access({}, "X-Forwarded-Email", secure_cookies=True))
    assert client.get("/").status_code == 401
    assert client.get("/", headers={"X-Forwarded-Email": "ann@seller.example"}).status_code \
        == 200


def test_d7_an_account_id_with_a_slash_links_to_its_own_page(read):
    client = app(read, Access({}, "", secure_cookies=False))
    listing = client.get("/", params={"q": "Slash Probe"}).text
    [href] = re.findall(r'href="(/accounts/[^"]+)"', listing)
    assert href == "/accounts/..%2Falerts"
    page = client.get(href)
    assert page.status_code == 200 and "<h1>Slash Probe Co" in page.text


def test_o6_ops_page_shows_control_bytes_escaped(read):
    html = app(read, Access({}, "", secure_cookies=False)).get("/ops").text
    assert not any(c in html for c in "\x00\x01\x7f")
    assert '{"a":"\\x00\\x01"}\\x7f' in html.replace("&#34;", '"')
    assert "not json" in html  # grouped by kind


def test_a_page_past_the_last_shows_the_last_page(read):
    html = app(read, Access({}, "", secure_cookies=False)).get("/", params={"page": "99"}).text
    assert "No target accounts yet" not in html and "Acme Corporation" in html


def test_health_says_whether_the_warehouse_answers(read):
    def down(sql: str, parameters: dict[str, Any]) -> list[dict[str, Any]]:
        raise ConnectionError("the warehouse holder went away")

    access = Access(USERS, "", secure_cookies=False)
    ok = app(read, access).get("/healthz")
    assert (ok.status_code, ok.text) == (200, "ok")
    gone = app(down, access).get("/healthz")
    assert (gone.status_code, gone.text) == (503, "warehouse not reachable")


def test_alert_feed_and_dates_are_within_reach(read):
    """Pages answer on a warehouse with no events at all (a fresh deployment)."""
    client = app(read, Access({}, "", secure_cookies=False))
    for path in ("/alerts", "/accounts/acme", "/ops"):
        assert client.get(path).status_code == 200, path
    assert client.get("/accounts/nobody").status_code == 404


def test_alerts_name_the_deal_their_account_was_in(read):
    client = app(read, Access({}, "", secure_cookies=False))
    for path in ("/alerts", "/accounts/acme"):
        text = client.get(path).text
        assert text.count("Open opportunity:") == 1, path
        assert "Open opportunity: Acme &lt;platform&gt; (Negotiation, USD 120,000.50)" in text


def test_pipeline_page_answers_with_no_touch_yet(read):
    client = app(read, Access({}, "", secure_cookies=False))
    page = client.get("/pipeline?model=u_shaped&days=0")
    assert page.status_code == 200
    assert '<option value="u_shaped" selected>' in page.text
    assert "0 of 3 opportunities influenced (3 matched to an account)" in page.text
    assert "USD 120,109.50" in page.text
    # A made-up model or period falls back to the defaults instead of failing.
    odd = client.get("/pipeline?model=%3Cscript%3E&days=7")
    assert odd.status_code == 200 and '<option value="w_shaped" selected>' in odd.text
    account = client.get("/accounts/acme").text
    assert 'data-opportunity="0065g00000AbCdEAAV"' in account
    assert "no touch in the lookback window before it" in account


def test_account_page_explains_its_fit_point_by_point(read):
    client = app(read, Access({}, "", secure_cookies=False))
    text = client.get("/accounts/acme").text
    assert "Grade <strong>B</strong>, 65 of 100 points, by fit <code>fit-t.1</code>." in text
    rows = re.findall(r'<tr><td class="n">([^<]+)</td><td>(.*?)</td></tr>',
                      text.split('id="fit"')[1].split("</section>")[0])
    assert rows == [("+30", 'industry is Software <span class="muted">(an industry we win '
                     'in)</span>'), ("+35", "country is &lt;DE&gt;")]
    unscored = client.get("/accounts/..%2Falerts").text
    assert "Not scored yet: <code>pulse fit score</code>" in unscored


def test_accounts_page_has_grade_and_stage_columns_filters_and_a_matrix(read):
    client = app(read, Access({}, "", secure_cookies=False))
    page = client.get("/").text
    cells = dict(re.findall(r'data-cell="([^"]+)"><(?:a|span) [^>]+>(\d+)', page))
    # Stages are read under the current rules version only: ../alerts is unaware.
    assert cells == {"B/customer": "0", "B/opportunity": "0", "B/mqa": "1", "B/engaged": "0",
                     "B/aware": "0", "B/unaware": "0", "-/customer": "0",
                     "-/opportunity": "0", "-/mqa": "0", "-/engaged": "0", "-/aware": "0",
                     "-/unaware": "1"}
    assert 'href="/?grade=B&amp;stage=mqa"' in page
    acme = page.split('data-account="acme"')[1].split("</tr>")[0]
    assert '<span title="fit 65 of 100">B</span>' in acme and ">MQA</span>" in acme

    def listed(query: str) -> list[str]:
        return re.findall(r'<tr data-account="([^"]+)"', client.get("/" + query).text)

    assert listed("?grade=B&stage=mqa") == ["acme"]
    assert listed("?grade=-") == ["../alerts"]
    assert listed("?stage=unaware") == ["../alerts"]
    assert listed("?stage=customer") == []
    assert listed("?stage=%3Cscript%3E") == ["acme", "../alerts"]  # unknown: no filter


def test_a_control_accounts_alert_reads_not_worked(read):
    client = app(read, Access({}, "", secure_cookies=False))
    for path in ("/alerts", "/accounts/acme"):
        text = client.get(path).text
        assert text.count("control: not worked") == 2, path  # the account, the delivery
        assert '<span class="badge bad">control</span>' not in text


def test_program_page_shows_the_control_group_coverage_and_stages(read):
    client = app(read, Access({}, "", secure_cookies=False))
    page = client.get("/program")
    assert page.status_code == 200
    text = page.text
    assert "Control group of 1 accounts (0 worked), assigned by ann" in text
    assert 'data-measure="accounts"' in text
    assert '<tr data-arm="control"><th scope="row">Control (not worked)</th>' in text
    assert '<tr data-arm="all">' in text  # ../alerts was never assigned
    assert 'data-chart="daily"' in text and "Accounts per journey stage" in text


def test_audience_download_is_the_cli_file_without_control_accounts(read):
    client = app(read, Access({}, "", secure_cookies=False))
    linkedin = client.get("/audiences.csv?name=q4&stage=mqa&grade=B")
    assert linkedin.status_code == 200
    assert linkedin.headers["content-disposition"] == 'attachment; filename="q4.csv"'
    assert linkedin.headers["x-audience-accounts"] == "0"  # acme, the MQA, is in control
    assert linkedin.text == ("companyname,companywebsite,companyemaildomain,"
                             "linkedincompanypageurl,stocksymbol,industry,city,state,"
                             "companycountry,zipcode\n")
    plain = client.get("/audiences.csv?format=csv&name=../../etc")
    assert plain.headers["content-disposition"] == 'attachment; filename="..-..-etc.csv"'
    assert [line.split(",")[0] for line in plain.text.splitlines()] == ["account_id",
                                                                        "../alerts"]
