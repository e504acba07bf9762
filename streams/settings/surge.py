"""Surge detection: windows, thresholds, floors, cooldowns."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from streams.settings.base import CONFIG


class SurgeSettings(BaseSettings):
    model_config = CONFIG

    cooling_tick_delay_seconds: float = Field(
        900.0, ge=0, description="Cooling is read for a day once the watermark is this far "
        "past its midnight (room for slightly late events).")
    surge_daily_window_hours: int = Field(
        24, ge=1, le=168, description="Daily trend: the recent window, compared with the same "
        "hours of the 4 weeks before.")
    surge_min_z: float = Field(
        3.0, gt=0, description="A surge must stand this many standard deviations above the "
        "account's usual level (its own noise).")
    surge_breadth_floor: int = Field(
        2, ge=1, description="Least distinct people behind a surge; it must also survive "
        "removing its busiest person.")
    surge_daily_volume_floor: float = Field(
        15.0, ge=0, description="Least score in the daily window to call it a surge.")
    surge_spike_volume_floor: float = Field(
        20.0, ge=0, description="Least score in the hour to call it a spike.")
    surge_daily_cooldown_hours: float = Field(
        168.0, ge=0, description="Least time between two daily-trend alerts of one account.")
    surge_spike_cooldown_hours: float = Field(
        12.0, ge=0, description="Least time between two spike alerts of one account.")
    surge_escalation_step: float = Field(
        10.0, gt=0, description="Within an episode, alert again only if the score rose this "
        "many points over the last alert.")
