"""Account fit: how much a target company resembles the customers, as points a person reads.

A versioned points file (``fit.toml``) gives points per attribute value or range. An
account's score is ``base`` plus the points of every rule it matches, held to 0..100, and
its grade is the first whose cut-off the score reaches. ``pulse fit learn`` writes the same
kind of file from won and lost deals, so a learned model is reviewed and committed like a
hand-written one: there is no score a person cannot take apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

from infra import TARGETING_DIR
from streams import rules_files

DEFAULT_FIT = TARGETING_DIR / "fit.toml"

# What a rule can look at: the accounts CSV's columns. Text compares case-insensitively;
# technologies match when the account uses any of the values; numbers by range.
TEXT = ("industry", "country", "region", "city", "tier")
NUMBER = ("employees", "annual_revenue")
SET = ("technologies",)
Attribute = Literal["industry", "country", "region", "city", "tier", "employees",
                    "annual_revenue", "technologies"]


class FitRule(BaseModel):
    """One line of the points file: ``points`` when the attribute has one of ``values``,
    lies in [``min``, ``max``), or (``missing = true``) is blank."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attribute: Attribute
    points: int = Field(ge=-100, le=100)
    values: list[str] = Field(default_factory=list)
    min: float | None = None
    max: float | None = None
    missing: bool = False
    label: str = ""

    @model_validator(mode="after")
    def _one_test(self) -> FitRule:
        ranged = self.min is not None or self.max is not None
        tests = sum((bool(self.values), ranged, self.missing))
        if tests != 1:
            raise ValueError("give exactly one of values, min/max or missing = true")
        if ranged and self.attribute not in NUMBER:
            raise ValueError(f"{self.attribute} is not a number: give values")
        if self.values and self.attribute in NUMBER:
            raise ValueError(f"{self.attribute} is a number: give min and/or max")
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError("min must be below max")
        return self

    def evidence(self, value: Any) -> str | None:
        """Why the rule matches the account's value, or None when it does not."""
        blank = value is None or value == "" or value == []
        if self.missing:
            return f"no {self.attribute}" if blank else None
        if blank:
            return None
        if self.attribute in NUMBER:
            number = float(value)
            if (self.min is None or number >= self.min) and (
                    self.max is None or number < self.max):
                return f"{self.attribute} {_number(value)} in {self.span()}"
            return None
        wanted = {v.casefold(): v for v in self.values}
        have = value if isinstance(value, list) else [value]
        hits = [str(v) for v in have if str(v).casefold() in wanted]
        if not hits:
            return None
        if self.attribute in SET:
            return f"uses {', '.join(hits)}"
        return f"{self.attribute} is {', '.join(hits)}"

    def span(self) -> str:
        if self.min is None:
            return f"under {_number(self.max)}"
        if self.max is None:
            return f"{_number(self.min)} or more"
        return f"{_number(self.min)} to under {_number(self.max)}"


def _number(value: Any) -> str:
    number = float(value)
    return f"{number:,.0f}" if number == int(number) else f"{number:,.2f}"


class FitRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    base: int = Field(0, ge=0, le=100, description="Points every account starts with.")
    grades: dict[str, int] = Field(
        default_factory=lambda: {"A": 75, "B": 50, "C": 25, "D": 0},
        description="Grade -> lowest score, best grade first.")
    rules: list[FitRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _grades(self) -> FitRules:
        cuts = list(self.grades.values())
        if not cuts or cuts != sorted(cuts, reverse=True) or len(set(cuts)) != len(cuts):
            raise ValueError("grades go from the best (highest cut-off) down, each lower")
        if cuts[-1] != 0:
            raise ValueError("the last grade's cut-off must be 0, so every score has a grade")
        return self

    def grade(self, score: int) -> str:
        return next(g for g, cut in self.grades.items() if score >= cut)


class Point(NamedTuple):
    points: int
    evidence: str
    label: str


class Fit(NamedTuple):
    score: int
    grade: str
    points: list[Point]
    version: str


def score(rules: FitRules, account: Mapping[str, Any]) -> Fit:
    """The account's fit, with every rule that gave it points (in file order)."""
    points = []
    for rule in rules.rules:
        why = rule.evidence(_value(account, rule.attribute))
        if why is not None:
            points.append(Point(rule.points, why, rule.label))
    total = max(0, min(100, rules.base + sum(p.points for p in points)))
    return Fit(total, rules.grade(total), points, rules.version)


def _value(account: Mapping[str, Any], attribute: str) -> Any:
    value = account.get(attribute)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def explain(rules: FitRules, fit: Fit) -> list[str]:
    """What ``pulse fit explain`` prints and the account page shows, line by line."""
    lines = [f"base {rules.base:+d}"] if rules.base else []
    lines += [f"{p.points:+d}  {p.evidence}" + (f" ({p.label})" if p.label else "")
              for p in fit.points]
    return lines


def load(path: Path | None = None) -> FitRules:
    return rules_files.load(path or DEFAULT_FIT, FitRules)
