"""The web app in real headless Chromium (Debian's chromium, driven by Playwright) on the
demo's data: the numbers match ClickHouse, charts draw, filters and search work, every
control is reachable by keyboard, no page logs a console error, a new alert appears
without a reload, known contacts are named, the lag is read. Routes and templates that need
no browser (sign-in, links, escaping, paging) are tested in-process:
tests/unit/test_web_routes.py."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from services.runtime.local_kafka import free_port
from streams.ingest.scoring import default_rules
from streams.stages import rules as stage_rules
from tests.conftest import PULSE, PulseEnv, wait_for
from tests.support.services import chromium, wait_serving

pytestmark = pytest.mark.integration
PAGES = ("/", "/alerts", "/pipeline", "/program", "/ops")


def serve(env: PulseEnv) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = env.start("serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    wait_serving(proc, base, "pulse serve")
    return proc, base


@pytest.fixture(scope="module")
def demo(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseEnv]:
    run = uuid.uuid4().hex[:10]
    home = tmp_path_factory.mktemp("webdemo")
    env = PulseEnv({"PULSE_HOME": str(home / "home"), "PULSE_KAFKA_BOOTSTRAP": kafka_bootstrap,
                    "PULSE_TOPIC_PREFIX": f"t{run}.", "PULSE_APP_ID": f"pulse-{run}",
                    "PULSE_BATCH_SECONDS": "0.2"})
    out = env.cli("demo", timeout=600).stdout
    assert "Web app: .venv/bin/pulse serve, then open http://127.0.0.1:8080/" in out
    yield env
    for proc in env.procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(30)


@pytest.fixture(scope="module")
def site(demo: PulseEnv) -> str:
    return serve(demo)[1]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(timezone_id="America/New_York", viewport={"width": 1280,
                                                                            "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def ch(env: PulseEnv, sql: str) -> list[dict]:
    return env.query(sql)


def test_accounts_page_numbers_match_clickhouse_and_sparklines_draw(demo, site, page):
    page.goto(site + "/")
    page.wait_for_selector(".spark canvas")
    rows = page.locator("table.accounts tbody tr")
    assert rows.count() == ch(demo, "SELECT count() AS n FROM abm.accounts FINAL")[0]["n"]
    truth = {r["account_id"]: r for r in ch(demo, """
        SELECT account_id, sum(score) AS score, uniqExact(person_key) AS people
        FROM abm.events FINAL
        WHERE account_id != '' AND non_human = '' AND future = 0 AND toDate(ts) >= today() - 29
        GROUP BY account_id""")}
    shown = []
    for i in range(rows.count()):
        row = rows.nth(i)
        account = row.get_attribute("data-account")
        score = float(row.locator("td.score").inner_text().replace(",", ""))
        people = int(row.locator("td.people").inner_text().split()[0].replace(",", ""))
        shown.append(score)
        want = truth.get(account, {"score": 0.0, "people": 0})
        assert abs(score - float(want["score"])) <= 0.05 + 1e-9, account  # shown to 0.1
        assert people == int(want["people"]), account
    assert shown == sorted(shown, reverse=True) and shown[0] > 0
    painted = page.evaluate("""() => [...document.querySelectorAll('.spark canvas')].map(c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; })""")
    assert len(painted) == rows.count() and sum(1 for n in painted if n > 0) >= 10
    # "Surging" is shown exactly for the accounts whose surge or spike episode is still open
    # (the demo's episodes close as time passes, so the set may be empty by now)
    open_ = ch(demo, """SELECT DISTINCT account_id FROM abm.surge_episodes FINAL
        WHERE started_at > toDateTime64(0, 3, 'UTC') AND mode != 'cooling'
          AND account_id IN (SELECT account_id FROM abm.surge_alerts FINAL)""")
    hot = {rows.nth(i).get_attribute("data-account") for i in range(rows.count())
           if rows.nth(i).locator(".badge.hot").count()}
    assert hot == {r["account_id"] for r in open_}
    assert page.errors == []


def test_search_and_filters(demo, site, page):
    page.goto(site + "/")
    page.get_by_label("Search").fill("initech")
    page.get_by_label("Search").press("Enter")
    page.wait_for_url("**/?q=initech*")
    names = page.locator("table.accounts tbody th a").all_inner_texts()
    assert names == ["Initech Ltd"]
    page.goto(site + "/")
    tier = ch(demo, "SELECT tier, count() AS n FROM abm.accounts FINAL GROUP BY tier "
                    "ORDER BY n, tier LIMIT 1")[0]
    page.get_by_label("Tier").select_option(tier["tier"])
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(f"**tier={tier['tier']}*")
    assert page.locator("table.accounts tbody tr").count() == tier["n"]
    page.get_by_label("Status").select_option("surging")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert page.locator("table.accounts tbody tr .badge.quiet").count() == 0
    page.goto(site + "/?q=no-such-company-anywhere")
    assert "No account matches these filters" in page.inner_text("main")
    assert page.errors == []


def test_fit_by_engagement_matrix_counts_match_clickhouse_and_link_to_their_lists(
        demo, site, page):
    version = stage_rules.load().version
    truth = ch(demo, f"""
        SELECT if(f.grade = '', '-', f.grade) AS grade, if(s.stage = '', 'unaware', s.stage)
               AS stage, count() AS n
        FROM (SELECT account_id FROM abm.accounts FINAL) AS a
        LEFT JOIN (SELECT account_id, grade FROM abm.account_fit FINAL) AS f USING account_id
        LEFT JOIN (SELECT account_id, argMax(stage, changed_at) AS stage
                   FROM abm.account_stage_changes FINAL WHERE rules_version = '{version}'
                   GROUP BY account_id) AS s USING account_id
        GROUP BY grade, stage""")
    want = {f"{r['grade']}/{r['stage']}": int(r["n"]) for r in truth}
    assert len({k.split("/")[1] for k in want}) >= 4  # the demo spans the stages
    page.goto(site + "/")
    cells = page.locator("table.fit-matrix td[data-cell]")
    shown = {cells.nth(i).get_attribute("data-cell"): int(cells.nth(i).inner_text())
             for i in range(cells.count())}
    assert {k: v for k, v in shown.items() if v} == want
    cell = max(want, key=lambda k: want[k])
    page.locator(f'table.fit-matrix td[data-cell="{cell}"] a').click()
    page.wait_for_url("**/?grade=*")
    rows = page.locator("table.accounts tbody tr")
    assert rows.count() == want[cell]
    grade, stage = cell.split("/")
    for i in range(rows.count()):
        assert rows.nth(i).locator("td.grade").inner_text() == grade
        assert rows.nth(i).locator("td.stage").inner_text().lower() == stage
    page.goto(site + "/")
    page.locator("select[name=stage]").select_option("unaware")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**stage=unaware*")
    unaware = sum(n for k, n in want.items() if k.endswith("/unaware"))
    assert page.locator("table.accounts tbody tr").count() == unaware
    assert page.errors == []


def test_program_page_lift_is_the_clis_and_its_audience_download_the_cli_file(
        demo, site, page, tmp_path):
    cli = json.loads(demo.cli("lift", "--format", "json").stdout)
    page.goto(site + "/program")
    lift = page.locator("table[data-table=lift]")
    accounts = lift.locator("tr[data-measure=accounts] td").all_inner_texts()
    assert accounts[:2] == [str(cli["treatment"]["accounts"]), str(cli["control"]["accounts"])]
    rate = lift.locator("tr[data-measure='opportunity rate (95%)'] td").all_inner_texts()[0]
    assert rate.startswith(f"{cli['treatment']['opportunity_rate']:.1%}")
    coverage = {r["arm"]: int(r["n"]) for r in ch(demo, "SELECT arm, count() AS n FROM "
                                                  "abm.control_current GROUP BY arm")}
    shown = page.locator("tr[data-arm=control] td").first.inner_text()
    assert int(shown) == coverage["control"]
    page.wait_for_selector("#stage-weeks-title")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    got = download.value.path().read_text()
    demo.cli("audience", "export", "web-check", "--stage", "mqa", "--grade", "A,B", "--force",
             "--out", str(tmp_path))
    assert got == (tmp_path / "web-check.csv").read_text()
    control = {r["account_id"] for r in ch(demo, "SELECT account_id FROM abm.control_current "
                                                 "WHERE arm = 'control'")}
    names = {r["name"] for r in ch(demo, "SELECT account_id, name FROM abm.accounts FINAL")
             if r["account_id"] in control}
    assert not any(line.split(",")[0] in names for line in got.splitlines()[1:])
    assert page.errors == []


def test_account_page_shows_every_fit_point(demo, site, page):
    landed = ch(demo, "SELECT score, grade, arrayMap(p -> p.1, points) AS points "
                      "FROM abm.account_fit FINAL WHERE account_id = 'acme'")[0]
    page.goto(site + "/accounts/acme")
    section = page.locator("section[aria-labelledby=fit]")
    assert f"Grade {landed['grade']}, {landed['score']} of 100 points" in section.inner_text()
    points = [int(x) for x in section.locator("td.n").all_inner_texts()]
    assert points == landed["points"] and sum(points) == landed["score"]
    assert page.errors == []


def family_people(demo: PulseEnv, account_id: str) -> int:
    """People seen in 90 days by an account and its subsidiaries, whose events its page rolls up."""
    return ch(demo, f"""SELECT uniqExact(person_key) AS n FROM abm.events FINAL
        WHERE account_id IN (SELECT account_id FROM abm.accounts FINAL
                             WHERE '{account_id}' IN (account_id, parent_account_id,
                                                      ultimate_parent_id))
          AND non_human = '' AND future = 0
          AND ts >= toStartOfDay(now64(3)) - INTERVAL 89 DAY""")[0]["n"]


def people_kpi(page) -> int:
    return int(page.locator(".kpis div", has_text="People").locator("dd").inner_text()
               .replace(",", ""))


def test_a_parent_account_counts_its_subsidiarys_people(demo, site, page):
    page.goto(site + "/accounts/acme")
    only_acme = ch(demo, """SELECT uniqExact(person_key) AS n FROM abm.events FINAL
        WHERE account_id = 'acme' AND non_human = '' AND future = 0""")[0]["n"]
    assert people_kpi(page) == family_people(demo, "acme") > only_acme
    assert page.errors == []


def test_account_page_explains_the_surge(demo, site, page):
    page.goto(site + "/alerts")  # the feed always has the demo's alerts, open or closed
    link = page.locator("ol.feed .alert-head a").first
    account_id = link.get_attribute("href").rsplit("/", 1)[-1]
    link.click()
    page.wait_for_selector("[data-chart] canvas")
    assert page.url.endswith(f"/accounts/{account_id}")
    alert = ch(demo, f"""SELECT account_id, reason FROM abm.surge_alerts FINAL
        WHERE account_id = '{account_id}' ORDER BY detected_at DESC LIMIT 1""")[0]
    main = page.inner_text("main")
    assert alert["reason"] in main
    assert people_kpi(page) == family_people(demo, account_id)
    latest = ch(demo, f"""SELECT event_id, match_method FROM abm.events FINAL
        WHERE account_id = '{alert["account_id"]}' ORDER BY ts DESC, event_id LIMIT 1""")[0]
    row = page.locator(f"tr[data-event='{latest['event_id']}']")
    assert latest["match_method"].replace("_", " ") in row.inner_text()
    assert row.locator("ul.evidence li").count() >= 1  # the evidence `pulse explain` prints
    marks = page.evaluate("""() => [...document.querySelectorAll('[data-chart]')].map(
        el => el.uplot.data.slice(1).flat().filter(v => v > 0).length)""")
    assert len(marks) == 2 and all(n > 0 for n in marks)
    page.get_by_text("Data table").first.click()
    assert page.locator("table.data tbody tr").first.is_visible()
    assert page.errors == []


def test_keyboard_reaches_every_control_and_no_console_errors(demo, site, page):
    for path in (*PAGES, "/accounts/initech"):
        page.goto(site + path)
        page.wait_for_load_state("networkidle")
        key = """el => el.tagName + '|' + (el.getAttribute('href') || el.name || '') + '|' +
                   el.textContent.trim().slice(0, 40)"""
        controls = set(page.evaluate(f"""() => [...document.querySelectorAll(
            'a[href], button, input:not([type=hidden]), select, summary')]
            .filter(el => el.offsetParent !== null).map({key})"""))
        reached = set()
        for _ in range(len(controls) + 10):
            page.keyboard.press("Tab")
            reached.add(page.evaluate(f"() => ({key})(document.activeElement)"))
        assert controls and controls <= reached, (path, sorted(controls - reached))
        assert page.errors == [], (path, page.errors)


def test_alert_feed_shows_a_new_alert_without_reload(demo, site, page):
    from services.warehouse import running_holder
    from services.warehouse.holder import HolderWarehouse

    page.goto(site + "/alerts")
    page.wait_for_selector("ol.feed")
    before = page.locator("ol.feed li").count()
    now = datetime.now(UTC)
    holder = running_holder(demo.settings)
    assert holder is not None, "pulse serve holds the embedded warehouse"
    HolderWarehouse(holder).insert(
        "abm.surge_alerts", ["alert_id", "account_id", "account_name", "tier", "kind",
                             "mode", "detected_at", "score", "reason"],
        [["live-1", "initech", "Initech Ltd", "1", "spike", "spike", now, 97.0,
          "live test: 9 people in one hour"]])
    page.wait_for_selector("li[data-alert='live-1']", timeout=15000)
    assert page.locator("ol.feed li").count() == before + 1
    assert "live test: 9 people in one hour" in page.locator("ol.feed li").first.inner_text()
    assert page.errors == []


def _status(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                      timeout=10).status
    except urllib.error.HTTPError as err:
        return err.code


def test_serving_beyond_loopback_without_sign_in_is_refused(demo):
    """The sign-in rules themselves are tested in-process (tests/unit/test_web_routes.py)."""
    refused = subprocess.run([PULSE, "serve", "--host", "0.0.0.0", "--port", "0"],
                             env={**os.environ, **demo.env}, text=True, capture_output=True,
                             timeout=60)
    assert refused.returncode == 2 and "refusing to serve on 0.0.0.0" in refused.stderr


def test_ops_page_shows_the_consumer_lag_of_each_input_topic(demo, site):
    def lag_shown() -> str:
        with urllib.request.urlopen(site + "/ops", timeout=30) as r:
            html = r.read().decode()
        return html if "<dt>Lag web visits</dt>" in html else ""

    html = wait_for(lag_shown, 60, interval=2, what="the ops page to show the lag")
    for topic in ("web visits", "email opens", "email clicks", "ad clicks"):
        assert f"<dt>Lag {topic}</dt><dd>0</dd>" in html  # the demo has drained
    assert "not reachable" not in html and "could not read" not in html


def test_d3_web_app_bounds_headers_too(site):
    host, port = site.removeprefix("http://").split(":")
    s = socket.create_connection((host, int(port)))
    with contextlib.suppress(OSError):  # the server may close while this is still sending
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
    s.settimeout(10)
    assert s.recv(100).startswith(b"HTTP/1.1 431 ")
    s.close()
    assert _status(site + "/healthz") == 200


def test_committee_names_known_contacts_and_keys_everyone_else(demo, site, page):
    """Reps see who known contacts are (the customer's own CRM records: name, title,
    persona); anonymous visitors and unknown addresses stay keyed, never named."""
    contacts = ch(demo, "SELECT person_key, name, title FROM abm.contacts FINAL "
                        "WHERE account_id = 'initech'")
    assert contacts and all(c["name"] and c["title"] for c in contacts)
    known = {c["person_key"][:10]: c for c in contacts}
    every_name = {r["name"] for r in ch(demo, "SELECT name FROM abm.contacts FINAL")}
    page.goto(site + "/accounts/initech")
    rows = page.locator("section[aria-labelledby=committee] tbody tr")
    named = 0
    for i in range(rows.count()):
        row = rows.nth(i)
        key, text = row.get_attribute("data-person"), row.inner_text()
        if key in known:
            named += 1
            c = known[key]
            assert c["name"] in text and c["title"] in text, text
            persona = default_rules().persona(c["title"]).replace("_", " ")
            assert persona in text and persona != "other", (c["title"], text)
        else:
            assert row.locator("code").inner_text() == key
            assert not [n for n in every_name if n in text], text
    assert named >= 2 and rows.count() > named  # both kinds are on the page
    assert page.errors == []


def test_alert_reasons_name_their_known_contacts(demo, site, page):
    alerts = [a for a in ch(demo, "SELECT alert_id, contact_keys FROM abm.surge_alerts FINAL")
              if a["contact_keys"]]
    assert alerts, "the demo's alerts have known contacts in their windows"
    names = {r["person_key"]: r["name"] for r in ch(
        demo, "SELECT person_key, name FROM abm.contacts FINAL")}
    page.goto(site + "/alerts")
    for a in alerts:
        reason = page.locator(f"li[data-alert='{a['alert_id']}'] .reason").inner_text()
        assert "known contacts: " in reason
        for key in a["contact_keys"]:
            assert names[key] in reason, (names[key], reason)


def test_pipeline_page_shows_what_the_cli_computes(demo, site, page):
    cli = json.loads(demo.cli("influence", "--model", "u_shaped", "--by", "channel",
                              "--format", "json").stdout)
    sentence = demo.cli("backtest").stdout.strip().splitlines()[-1]
    page.goto(site + "/pipeline")
    page.select_option("select[name=model]", "u_shaped")
    page.select_option("select[name=days]", "0")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/pipeline?model=u_shaped&days=0")
    rows = page.locator("table[data-table=by-channel] tbody tr")
    shown = {rows.nth(i).get_attribute("data-key"): (rows.nth(i).locator("td").nth(1)
                                                     .inner_text(),
                                                     rows.nth(i).locator("td").nth(2)
                                                     .inner_text())
             for i in range(rows.count())}
    assert shown == {r["key"]: (f"{r['credit']:.2f}", f"USD {r['amount']['USD']:,.2f}")
                     for r in cli["rows"]}
    assert cli["influenced_opportunities"] == 10 and cli["matched_opportunities"] == 10
    assert page.inner_text("[data-kpi=influenced]") == "10"
    assert page.inner_text("#backtest") == sentence
    assert sentence.startswith("Accounts that surged opened opportunities")
    by_campaign = page.locator("table[data-table=by-campaign] tbody tr")
    assert by_campaign.count() >= 3  # q4-launch, webinar-nov, ... and (no campaign)
    # The deal opened an hour after the planted buying group, with what influenced it.
    page.goto(site + "/accounts/initech")
    deal = page.locator("tr[data-opportunity]").first
    assert "Qualification" in deal.inner_text() and "USD 85,000.00" in deal.inner_text()
    shares = [float(t.split("%")[0]) for t in deal.locator("ul.evidence li").all_inner_texts()]
    assert shares and sum(shares) <= 100.05 and max(shares) >= 10
    assert page.errors == []
