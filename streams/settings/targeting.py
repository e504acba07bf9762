"""Targeting: the fit points file and the journey-stage rules."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from streams.settings.base import CONFIG


class TargetingSettings(BaseSettings):
    model_config = CONFIG

    fit_rules: str = Field(
        "", description="Path of the fit points file (TOML); empty: infra/targeting/fit.toml. "
        "`pulse fit learn` writes one to review.")
    fit_min_won: int = Field(
        50, ge=1, description="`pulse fit learn` refuses with fewer won accounts than this.")
