"""Attribution (ranges, names, free mail, stitching) and the IP blocks it learns."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from streams.settings.base import CONFIG


class AttributionSettings(BaseSettings):
    model_config = CONFIG

    free_mail_extra: str = Field(
        "", description="Extra free-mail domains, ';'-separated, added to the shipped list."
    )
    min_range_prefix_v4: int = Field(
        8, ge=0, le=32, description="IP ranges wider than this IPv4 prefix are refused at "
        "load (and ignored by workers): a /0 would claim the internet.")
    min_range_prefix_v6: int = Field(
        16, ge=0, le=128, description="The same for IPv6 ranges.")
    name_cutoff: float = Field(
        85.0, ge=0, le=100, description="Company-name match: least rapidfuzz score (0-100).")
    name_margin: float = Field(
        8.0, ge=0, description="Company-name match: lead the best needs over the runner-up.")
    stitch_lookback_days: int = Field(
        30, ge=0, description="When a visitor becomes known, re-attribute their events this far "
        "back.")

    @property
    def min_prefix(self) -> dict[int, int]:
        return {4: self.min_range_prefix_v4, 6: self.min_range_prefix_v6}


class LearnedIpSettings(BaseSettings):
    model_config = CONFIG

    learn_interval_seconds: float = Field(
        60.0, gt=0, description="How often workers recompute learned IP blocks.")
    learned_min_people: int = Field(
        3, ge=1, description="Learned IP block: least distinct identified people.")
    learned_min_share: float = Field(
        0.8, gt=0, le=1, description="Learned IP block: least share of the block's identified "
        "(decayed) traffic that one account must have.")
    learned_min_weight: float = Field(
        2.0, ge=0, description="Learned IP block: least decayed evidence (1 = one fresh event).")
    learned_half_life_days: float = Field(
        14.0, gt=0, description="Learned IP block: evidence halves in weight every this many "
        "days, so a block that changes hands moves.")
    learned_lookback_days: int = Field(
        90, ge=1, description="Learned IP block: ignore evidence older than this.")
