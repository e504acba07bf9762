"""The domain rules as the settings configure them. The rules themselves are plain data of
the pure modules (surge model, alert hygiene, learned IP blocks, non-human traffic,
free mail); settings know nothing of them, and the runtime builds them here."""

from __future__ import annotations

from pathlib import Path

from streams.attribution.domains import disposable_domains, shipped_free_mail_domains
from streams.attribution.learned_ip import LearningRules
from streams.ingest.non_human import NonHumanFilter
from streams.ingest.scoring import ScoringRules, default_rules, load_rules
from streams.settings import (
    AttributionSettings,
    IngestSettings,
    LearnedIpSettings,
    SurgeSettings,
    split_list,
)
from streams.settings.targeting import TargetingSettings
from streams.stages import rules as stages
from streams.surge.episodes import HygieneRules
from streams.surge.model import HOUR, SurgeRules


def scoring_rules(settings: IngestSettings) -> ScoringRules:
    """PULSE_SCORING_RULES, else the shipped rules."""
    return load_rules(Path(settings.scoring_rules)) if settings.scoring_rules else default_rules()


def stage_rules(settings: TargetingSettings) -> stages.StageRules:
    """PULSE_STAGE_RULES, else the shipped journey-stage rules."""
    return stages.load(Path(settings.stage_rules) if settings.stage_rules else None)


def surge_rules(settings: SurgeSettings) -> SurgeRules:
    return SurgeRules(daily_window_hours=settings.surge_daily_window_hours,
                      min_z=settings.surge_min_z, breadth_floor=settings.surge_breadth_floor,
                      daily_volume_floor=settings.surge_daily_volume_floor,
                      spike_volume_floor=settings.surge_spike_volume_floor)


def hygiene_rules(settings: SurgeSettings) -> HygieneRules:
    default = HygieneRules.default()
    return HygieneRules(
        cooldown_s={**default.cooldown_s, "daily": settings.surge_daily_cooldown_hours * HOUR,
                    "spike": settings.surge_spike_cooldown_hours * HOUR},
        quiet_s=default.quiet_s, escalation_step=settings.surge_escalation_step)


def learning_rules(settings: LearnedIpSettings) -> LearningRules:
    return LearningRules(settings.learned_min_people, settings.learned_min_share,
                         settings.learned_min_weight, settings.learned_half_life_days,
                         settings.learned_lookback_days)


def free_mail(settings: AttributionSettings) -> frozenset[str]:
    """Free-mail and disposable domains: never evidence of a company."""
    extra = {d.lower() for d in split_list(settings.free_mail_extra)}
    return shipped_free_mail_domains() | disposable_domains() | extra


def non_human_filter(settings: IngestSettings) -> NonHumanFilter:
    return NonHumanFilter(settings.scanner_seconds, split_list(settings.privacy_proxy_ranges),
                          split_list(settings.email_scanner_ranges))
