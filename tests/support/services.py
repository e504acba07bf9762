"""What the web app's and the collector's tests share: waiting for a `pulse` HTTP service
to serve, and Debian's headless Chromium (installed by scripts/bootstrap; never skipped)."""

from __future__ import annotations

import contextlib
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"


def wait_serving(proc: subprocess.Popen[str], base: str, what: str) -> None:
    """Until ``base``/healthz answers; the process's log if it exits first."""
    from tests.conftest import wait_for

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(proc.log.read_text())  # type: ignore[attr-defined]
        try:
            return bool(urllib.request.urlopen(base + "/healthz", timeout=2).status == 200)
        except OSError:
            return False

    wait_for(up, 120, what=what)


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "scripts/bootstrap installs Debian's chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            browser.close()
