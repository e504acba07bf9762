"""The website tag in real headless Chromium: a visitor lands from an ad (gclid), follows a
single-page-app route change and submits their email; the page views, the ad click and the
identity land attributed to the email's account. With Global Privacy Control on, the tag
sends nothing."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from services.runtime.local_kafka import free_port
from tests.conftest import PulseEnv
from tests.integration.test_collector import KEY, start_collector
from tests.support.services import chromium

pytestmark = pytest.mark.integration
# What Chrome 156 on Linux sends (the reduced user agent); headless Chromium's own says
# "HeadlessChrome", which the bot rules rightly refuse.
CHROME_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/156.0.0.0 Safari/537.36")
ACCOUNTS = "account_id,name,domains,ip_ranges,tier\nacme,Acme,acme.com,,1\n"

PAGE = """<!doctype html><html><head><title>Vendor</title>
<script async src="{collector}/tag.js" data-key="{key}"></script></head><body>
<a id="pricing" href="/pricing">Pricing</a>
<form id="demo"><input id="email" type="email"><button>Book a demo</button></form>
<script>
document.getElementById("pricing").addEventListener("click", function (e) {{
  e.preventDefault(); history.pushState({{}}, "", "/pricing"); }});
document.getElementById("demo").addEventListener("submit", function (e) {{
  e.preventDefault(); AccountPulse.identify(document.getElementById("email").value); }});
</script></body></html>"""


@pytest.fixture
def site(pulse_env: PulseEnv) -> Iterator[tuple[str, str]]:
    """A vendor's website on its own origin, and the collector it tags with."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    collector = start_collector(pulse_env, PULSE_COLLECT_WRITE_KEYS=json.dumps(
        [{"key": KEY, "source": "website", "origins": [origin]}]))
    html = PAGE.format(collector=collector, key=KEY).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield origin, collector
    server.shutdown()


@pytest.fixture
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def browse(page: Any, origin: str) -> list[str]:
    """Land from an ad, follow the SPA route to pricing, submit an email; the tag's requests."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.method) if "/v1/tag" in r.url else None)
    page.goto(f"{origin}/landing?gclid=Cj0KCQiA&utm_campaign=q4-abm")
    page.wait_for_function("() => window.AccountPulse !== undefined")
    page.click("#pricing")
    page.fill("#email", "anna@acme.com")
    page.click("text=Book a demo")
    page.wait_for_timeout(1500)
    return sent


def test_tag_page_views_route_change_ad_landing_and_identify_land(pulse_env, site, browser):
    pulse_env.stack(ACCOUNTS)
    origin, _ = site
    sent = browse(browser.new_context(user_agent=CHROME_UA).new_page(), origin)
    assert sent == ["POST", "POST", "POST"], sent  # landing (page + ad), route change, identify
    pulse_env.cli("run", "--drain", timeout=300)
    rows = pulse_env.query("""SELECT type, account_id, url, platform, campaign_id,
        match_method, non_human FROM abm.events FINAL ORDER BY ts, type""")
    assert [r["type"] for r in rows].count("web_visit") == 3
    assert [(r["platform"], r["campaign_id"]) for r in rows if r["type"] == "ad_click"] == [
        ("google", "q4-abm")]
    assert {r["account_id"] for r in rows} == {"acme"}, rows
    assert {r["non_human"] for r in rows} == {""}
    assert {r["url"].rsplit("/", 1)[-1].split("?")[0] for r in rows} >= {"landing", "pricing"}


def test_with_global_privacy_control_the_tag_sends_nothing(pulse_env, site, browser):
    origin, _ = site
    context = browser.new_context(user_agent=CHROME_UA)
    context.add_init_script(
        "Object.defineProperty(navigator, 'globalPrivacyControl', {get: () => true})")
    assert browse(context.new_page(), origin) == []
    assert "ap_aid" not in {c["name"] for c in context.cookies()}
