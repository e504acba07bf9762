"""Control-group assignments: which target accounts the programme leaves alone, so that
lift is an experiment. The value of the ``control_assignments`` topic and a row of
``abm.control_assignments``; an assignment is frozen, and a re-assignment is a new one."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class ControlAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_ver: ClassVar[str] = "control_assignment/1-0-0"

    assignment_id: str = Field(description="The assignment this row belongs to (all its "
                               "accounts share it); the newest assignment is in force.")
    account_id: str
    arm: Literal["control", "treatment"]
    stratum: str = Field("", description="The account's stratum, e.g. 'tier=1|grade=A'.")
    share: float = Field(gt=0, lt=1, description="The share of each stratum put in control.")
    seed: int = Field(description="The random seed: the same accounts, strata and seed give "
                      "the same assignment.")
    stratify: list[str] = Field(default_factory=list)
    assigned_by: str = Field(description="Who ran `pulse control assign`.")
    assigned_at: datetime
    reason: str = Field("", description="Why (a re-assignment says what it replaced).")
    schema_: Literal["control_assignment/1-0-0"] = Field("control_assignment/1-0-0",
                                                         alias="schema")
