"""Revenue: reading CRM exports, influence models and their weights, the backtest."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode

from streams.settings.base import CONFIG


def _weights(value: object, n: int) -> object:
    if isinstance(value, str):
        value = [float(x) for x in value.replace(",", ";").split(";") if x.strip()]
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise ValueError(f"give {n} weights, ';'-separated")
    if any(float(x) < 0 for x in value) or abs(sum(float(x) for x in value) - 100) > 1e-9:
        raise ValueError("weights are percentages that add up to 100")
    return value


class RevenueSettings(BaseSettings):
    model_config = CONFIG

    crm_currency: str = Field(
        "USD", min_length=3, max_length=3, description="The currency of CRM exports without "
        "a currency column (Salesforce orgs with one currency have no CurrencyIsoCode).")
    crm_locale: str = Field(
        "en_US", description="How a Salesforce report export writes dates and amounts "
        "('3/2/2026', '120,000.00'); de_DE reads '02.03.2026' and '120.000,00'.")
    influence_lookback_days: int = Field(
        90, ge=1, le=730, description="Touches earn credit for an opportunity in this many "
        "days before it was created.")
    influence_u_shaped: Annotated[tuple[float, float, float], NoDecode] = Field(
        (40.0, 20.0, 40.0), description="U-shaped weights in percent: first touch, the "
        "touches between, last touch before creation.")
    influence_w_shaped: Annotated[tuple[float, float, float, float], NoDecode] = Field(
        (30.0, 30.0, 30.0, 10.0), description="W-shaped weights in percent: first touch, "
        "first known-contact touch, last touch before creation, the rest.")
    influence_half_life_days: float = Field(
        7.0, gt=0, description="Time decay: a touch this many days before creation earns half "
        "of one at creation.")
    backtest_horizon_days: int = Field(
        90, ge=1, le=730, description="The backtest counts an opportunity created within this "
        "many days after an account-day as its conversion.")

    @field_validator("influence_u_shaped", mode="before")
    @classmethod
    def _u(cls, value: object) -> object:
        return _weights(value, 3)

    @field_validator("influence_w_shaped", mode="before")
    @classmethod
    def _w(cls, value: object) -> object:
        return _weights(value, 4)
