"""The front page and the manual: README opens with the two commands and stays a front
page; the reference pages say what the code says (regenerated and compared, as Datasette
checks its CLI reference with cog); the site builds in strict mode, so a broken link, a
missing anchor or a page left out of the navigation fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from services.manual import REFERENCE_DIR, render

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_commands():
    head = "\n".join(README.splitlines()[:20])
    assert "scripts/bootstrap && .venv/bin/pulse demo" in head
    assert "scripts/bootstrap && .venv/bin/pytest" in head
    assert "scripts/bootstrap\n.venv/bin/pytest" in (ROOT / ".ci" / "run").read_text()


def test_readme_is_a_front_page_whose_links_resolve():
    assert len(README.splitlines()) <= 160
    targets = re.findall(r"\]\(((?:docs/)[^)#]+)", README)
    assert targets and [t for t in targets if not (ROOT / t).exists()] == []


def test_reference_pages_are_current():
    stale = [name for name, text in render().items()
             if not (REFERENCE_DIR / name).exists() or (REFERENCE_DIR / name).read_text() != text]
    assert stale == [], (f"docs/reference/ is stale for {stale}: run `.venv/bin/python -m "
                         "services.manual` and commit the result")


def test_the_manual_builds_in_strict_mode(tmp_path):
    mkdocs = Path(sys.executable).parent / "mkdocs"
    out = subprocess.run([str(mkdocs), "build", "--strict", "-d", str(tmp_path / "site")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert out.returncode == 0, out.stderr[-3000:]
    assert (tmp_path / "site" / "reference" / "settings" / "index.html").exists()
