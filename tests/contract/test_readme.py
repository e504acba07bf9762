"""The README documents what the code has: every setting, topic, CLI command and table."""

import re
from pathlib import Path

from services.cli import pulse
from streams.settings import Settings
from streams.topics import TOPICS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
SNAPSHOT = (Path(__file__).parent / "snapshots" / "schema.sql").read_text()


def test_every_setting_is_documented():
    missing = [f"PULSE_{n.upper()}" for n in Settings.model_fields
               if f"`PULSE_{n.upper()}`" not in README]
    assert not missing, f"README's settings table lacks {missing}"


def test_every_topic_is_documented():
    assert not [t.name for t in TOPICS if f"| `{t.name}`" not in README]


def test_every_command_is_documented():
    assert pulse.commands and not [c for c in pulse.commands if f"`pulse {c}" not in README]


def test_every_table_is_documented():
    tables = re.findall(r"CREATE (?:TABLE|VIEW) (abm\.\w+)", SNAPSHOT)
    assert tables and not [t for t in tables if f"`{t}`" not in README]


def test_readme_opens_with_the_two_commands():
    head = "\n".join(README.splitlines()[:20])
    assert "scripts/bootstrap && .venv/bin/pulse demo" in head
    assert "scripts/bootstrap && .venv/bin/pytest" in head
    assert "scripts/bootstrap\n.venv/bin/pytest" in (
        Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
