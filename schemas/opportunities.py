"""CRM opportunities, as AccountPulse keeps them whatever CRM they came from: the value of
the compacted ``opportunities`` topic and a row of ``abm.opportunities``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

SOURCES = ("salesforce", "salesforce_report", "hubspot", "pulse")
MATCH_METHODS = ("crm_id", "account_id", "domain", "")


@cache
def currencies() -> frozenset[str]:
    """ISO 4217 codes, from CLDR (Babel)."""
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def _currency(value: str) -> str:
    code = value.strip().upper()
    if code not in currencies():
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return code


def aware_utc(value: datetime) -> datetime:
    """A time in UTC; one without an offset is taken as UTC (CRM exports' dates)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _cents(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError(f"{value} is not an amount")
    if value < 0:
        raise ValueError(f"{value} is negative")
    if value >= Decimal(10) ** 16:
        raise ValueError(f"{value} is too large (at most 16 digits before the point)")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{value} has more than 2 decimals")
    return value.quantize(Decimal("0.01"))


Currency = Annotated[str, AfterValidator(_currency)]
Amount = Annotated[Decimal, AfterValidator(_cents)]
UtcTime = Annotated[datetime, AfterValidator(aware_utc)]


class Opportunity(BaseModel):
    """One CRM opportunity (deal), matched to an account or not."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_ver: ClassVar[str] = "opportunity/1-0-0"

    opportunity_id: Annotated[str, Field(min_length=1, max_length=256)] = Field(
        description="The CRM's id; Salesforce ids in their 18-character form.")
    account_id: str = Field("", max_length=256,
                            description="The matched AccountPulse account; empty: unmatched.")
    match_method: Literal["crm_id", "account_id", "domain", ""] = ""
    match_evidence: str = Field("", max_length=1024)
    crm_account_id: str = Field("", max_length=256,
                                description="The account id the file gave (a CRM id or ours).")
    account_domain: str = Field("", max_length=256,
                                description="The account website or domain the file gave.")
    name: str = Field("", max_length=1024)
    stage: str = Field("", max_length=256)
    amount: Amount = Field(Decimal("0.00"), description="At most 2 decimals; blank is 0.")
    currency: Currency
    created_at: UtcTime
    close_date: date | None = None
    is_closed: bool = False
    is_won: bool = False
    probability: float | None = Field(None, ge=0, le=100)
    type: str = Field("", max_length=256, description="e.g. New Business.")
    source: Literal["salesforce", "salesforce_report", "hubspot", "pulse"]
    updated_at: UtcTime = Field(description="The version (SystemModstamp, "
                                "hs_lastmodifieddate, updated_at): the newest wins.")
    is_deleted: bool = False
    stage_dates: dict[str, UtcTime] = Field(
        default_factory=dict, description="Stage -> when the opportunity entered it, where "
        "the CRM says (HubSpot's hs_v2_date_entered_<stage>).")

    @model_validator(mode="after")
    def _consistent(self) -> Opportunity:
        if self.is_won and not self.is_closed:
            raise ValueError("won but not closed (IsWon without IsClosed)")
        if self.close_date is not None and self.close_date < self.created_at.date():
            raise ValueError(f"close date {self.close_date} is before the creation date "
                             f"{self.created_at.date()}")
        return self
