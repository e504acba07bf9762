"""Screenshots of each page for the manual (docs/screenshots/), taken in headless Chromium
from a running `pulse serve` (run `pulse demo --serve` first):

    .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8080] [docs/screenshots]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1360, "height": 900},
                                timezone_id="Europe/Berlin")
        page.goto(base + "/")
        page.wait_for_selector(".spark canvas")
        page.screenshot(path=out / "accounts.png", full_page=False)
        page.goto(base + "/alerts")  # the account of the latest alert
        alerted = page.locator("ol.feed .alert-head a")
        first = alerted if alerted.count() else page.locator("a[href^='/accounts/']")
        page.goto(base + (first.first.get_attribute("href") or "/"))
        page.wait_for_selector("[data-chart] canvas")
        page.screenshot(path=out / "account.png", full_page=True,
                        clip={"x": 0, "y": 0, "width": 1360, "height": 2200})
        for name in ("alerts", "ops"):
            page.goto(f"{base}/{name}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=out / f"{name}.png", full_page=True)
        browser.close()
    for f in sorted(out.glob("*.png")):
        print(f, f.stat().st_size)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(re.sub("/$", "", args[0]) if args else "http://127.0.0.1:8080",
         Path(args[1]) if len(args) > 1 else Path("docs/screenshots"))
