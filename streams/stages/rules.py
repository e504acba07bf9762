"""Journey stages: one stage per account, from ordered, versioned rules (``stages.toml``).

Evaluated from the top down at one moment of event time; the first stage whose rule holds
is the account's:

    customer      the customer flag, or a won opportunity
    opportunity   an open opportunity
    mqa           fit grade in ``mqa_grades``, engaged, and at least ``mqa_high_intent``
                  high-intent page visits in ``mqa_days`` (or a surge alert in them)
    engaged       at least ``engaged_people`` people, or a score of ``engaged_score``, in
                  ``engaged_days``
    aware         at least ``aware_people`` people in ``aware_days``
    unaware       none of the above

Every threshold is a field of the file's ``[defaults]``, and ``[tiers."1"]`` overrides any
of them for one tier. Pure: the facts come from the warehouse (``streams.stages.store``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from infra import TARGETING_DIR
from streams import rules_files

DEFAULT_STAGES = TARGETING_DIR / "stages.toml"
STAGES = ("unaware", "aware", "engaged", "mqa", "opportunity", "customer")  # low to high
RANK = {s: i for i, s in enumerate(STAGES)}


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    aware_people: int = Field(1, ge=1)
    aware_days: int = Field(30, ge=1, le=365)
    engaged_people: int = Field(3, ge=1)
    engaged_score: float = Field(30.0, gt=0)
    engaged_days: int = Field(30, ge=1, le=365)
    mqa_grades: list[str] = Field(default_factory=lambda: ["A", "B"])
    mqa_high_intent: int = Field(2, ge=1)
    mqa_days: int = Field(14, ge=1, le=365)
    mqa_on_surge: bool = Field(True, description="A surge alert in mqa_days counts as the "
                               "high-intent visits.")
    intent_classes: list[str] = Field(default_factory=lambda: ["pricing", "demo"],
                                      description="URL classes of the scoring rules that "
                                      "count as high intent.")

    def windows(self) -> tuple[int, int, int]:
        return self.aware_days, self.engaged_days, self.mqa_days


class StageRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1)
    mqa_realert_days: int = Field(30, ge=0, description="No second MQA alert for an account "
                                  "within this many days of its last.")
    defaults: Thresholds = Field(default_factory=Thresholds)
    tiers: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _overrides(self) -> StageRules:
        for tier, override in self.tiers.items():
            if not override:
                raise ValueError(f"tiers.{tier} overrides nothing")
            try:
                self.for_tier(tier)
            except ValidationError as err:
                raise ValueError(f"tiers.{tier}: {rules_files.problems(err)}") from None
        return self

    def for_tier(self, tier: str) -> Thresholds:
        override = self.tiers.get(tier)
        if not override:
            return self.defaults
        return Thresholds.model_validate({**self.defaults.model_dump(), **override})


class Facts(NamedTuple):
    """An account at one moment of event time (counts are of people, not machines)."""

    tier: str = ""
    customer: bool = False
    grade: str = ""
    fit: int = 0
    aware_people: int = 0
    engaged_people: int = 0
    engaged_score: float = 0.0
    high_intent: int = 0
    surged: bool = False
    open_opportunities: int = 0
    won: int = 0


class Stage(NamedTuple):
    stage: str
    reason: str


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def stage_of(facts: Facts, rules: StageRules) -> Stage:
    """The account's one stage and why, evaluated from the top down."""
    t = rules.for_tier(facts.tier)
    if facts.customer or facts.won:
        return Stage("customer", "the customer flag" if facts.customer else
                     _n(facts.won, "won opportunity", "won opportunities"))
    if facts.open_opportunities:
        return Stage("opportunity", _n(facts.open_opportunities, "open opportunity",
                                       "open opportunities"))
    engaged = (facts.engaged_people >= t.engaged_people
               or facts.engaged_score >= t.engaged_score)
    engagement = (f"{_n(facts.engaged_people, 'person', 'people')} and score "
                  f"{facts.engaged_score:.1f} in {t.engaged_days} days")
    intent = facts.high_intent >= t.mqa_high_intent or (t.mqa_on_surge and facts.surged)
    if engaged and intent and facts.grade in t.mqa_grades:
        visits = _n(facts.high_intent, "high-intent visit", "high-intent visits")
        why = (f"{visits} in {t.mqa_days} days" if facts.high_intent >= t.mqa_high_intent
               else f"a surge in {t.mqa_days} days")
        return Stage("mqa", f"fit {facts.grade} ({facts.fit}); {engagement}; {why}")
    if engaged:
        return Stage("engaged", engagement)
    seen = f"{_n(facts.aware_people, 'person', 'people')} in {t.aware_days} days"
    if facts.aware_people >= t.aware_people:
        return Stage("aware", seen)
    return Stage("unaware", seen)


def load(path: Path | None = None) -> StageRules:
    return rules_files.load(path or DEFAULT_STAGES, StageRules)
