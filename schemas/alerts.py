"""Sales alerts as published on the ``surge_alerts`` topic and sent to webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class KnownContact(BaseModel):
    """A known contact behind an alert, as the customer's CRM names them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="The contact's name (their email when the CRM has none).")
    title: str = ""
    persona: str = Field("", description="Buying role derived from the title by the "
                         "scoring rules, e.g. economic_buyer.")


class OpenOpportunity(BaseModel):
    """An opportunity already open on the account when the alert was raised: the rep is
    told the account is in a deal, not sent to open one (1-0-2)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    opportunity_id: str
    name: str = ""
    stage: str = ""
    amount: str = Field("", description="Decimal, as the CRM gave it (2 places).")
    currency: str = ""
    created_at: datetime


class SurgeAlert(BaseModel):
    """An account surging (daily trend or intraday spike), escalating, a customer cooling,
    or an account entering the MQA journey stage (1-0-3). ``alert_id`` is deterministic:
    consumers deduplicate on it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_ver: ClassVar[str] = "surge_alert/1-0-3"

    alert_id: str = Field(description="Stable id of this alert; also the webhook-id header.")
    account_id: str
    account_name: str
    tier: str = ""
    owner_email: str = ""
    kind: Literal["surge", "spike", "cooling", "escalation", "mqa"]
    mode: Literal["daily", "spike", "cooling", "stage"]
    detected_at: datetime = Field(description="Event time of the reading that raised it.")
    window_start: datetime
    window_end: datetime
    score: float = Field(ge=0, le=100, description="0-100; 50 is the account's usual level "
                         "(an mqa alert: the account's fit).")
    baseline_multiple: float = Field(description="Recent engagement / the usual level.")
    people: int = Field(ge=0, description="Distinct people in the window.")
    new_people: int = Field(0, ge=0)
    high_intent: int = Field(0, ge=0, description="Pricing and demo page visits in the window.")
    recent: float = 0.0
    expected: float = 0.0
    reason: str = Field(description="What a rep reads.")
    top_pages: list[str] = Field(default_factory=list)
    top_campaigns: list[str] = Field(default_factory=list)
    episode_started_at: datetime
    level: int = Field(0, ge=0, description="Escalations before this one in the episode.")
    contact_keys: list[str] = Field(
        default_factory=list, description="Person keys (keyed hashes) of the known contacts "
        "active in the window, strongest first, at most 5 (1-0-1). Names are not stored "
        "with the alert: `pulse forget` must be able to take them back.")
    contacts: list[KnownContact] = Field(
        default_factory=list, description="The contacts of contact_keys, named: filled in "
        "when an alert is delivered (webhook, Slack), empty on the topic (1-0-1).")
    open_opportunities: list[OpenOpportunity] = Field(
        default_factory=list, description="Opportunities open on the account (created before "
        "the alert, still open): filled in when an alert is delivered, empty on the topic "
        "(1-0-2).")
    schema_: Literal["surge_alert/1-0-0", "surge_alert/1-0-1", "surge_alert/1-0-2",
                     "surge_alert/1-0-3"] = Field("surge_alert/1-0-3", alias="schema")
