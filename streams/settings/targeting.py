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
    stage_rules: str = Field(
        "", description="Path of the journey-stage rules (TOML); empty: "
        "infra/targeting/stages.toml. Change them, then `pulse stages replay`.")
    stage_interval_seconds: float = Field(
        60.0, gt=0, description="How often the surge role evaluates journey stages, at the "
        "pipeline's event-time watermark.")
    fit_min_won: int = Field(
        50, ge=1, description="`pulse fit learn` refuses with fewer won accounts than this.")
