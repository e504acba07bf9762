"""ruff and mypy, as configured in pyproject.toml, pass on the code."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, text=True, capture_output=True, timeout=600)


def test_ruff():
    proc = run(str(BIN / "ruff"), "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy():
    proc = run(str(BIN / "mypy"), "schemas", "streams", "services")
    assert proc.returncode == 0, proc.stdout + proc.stderr
