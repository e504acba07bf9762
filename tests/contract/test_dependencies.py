"""pyproject's bounds admit exactly what the tests run on: each dependency's lower bound is
the version requirements.lock pins (a looser bound promised versions nobody ran: the lag
reader broke on kafka-python 3 while pyproject still allowed 2.2), and the lock is inside
every range."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def test_lower_bounds_are_the_locked_versions():
    lock = dict(line.split("==") for line in (ROOT / "requirements.lock").read_text().split()
                if "==" in line)
    lock = {name(k): v for k, v in lock.items()}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wrong = {}
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        req = Requirement(spec)
        lowest = [s.version for s in req.specifier if s.operator == ">="]
        locked = lock.get(name(req.name))
        if lowest != [locked] or not req.specifier.contains(locked or "0"):
            wrong[req.name] = (str(req.specifier), locked)
    assert wrong == {}
