"""The pipeline: batches, event time, machine traffic, scoring, watermarks."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from streams.settings.base import CONFIG


class IngestSettings(BaseSettings):
    model_config = CONFIG

    batch_size: int = Field(2000, ge=1, description="Records per ClickHouse insert at most.")
    batch_seconds: float = Field(
        0.5, gt=0, description="A batch is landed as soon as nothing more is buffered, or at "
        "batch_size; this is only the ceiling on how long its first record may wait.")
    batch_spacing_seconds: float = Field(
        0.1, ge=0, le=10, description="At least this long between two batches of a worker "
        "unless the batch is full: at most 10 inserts a second by default, as ClickHouse "
        "wants few, large inserts (0: land each batch as soon as nothing more is buffered).")
    gil_switch_seconds: float = Field(
        0.0005, gt=0, le=0.1, description="Workers' thread switch interval "
        "(sys.setswitchinterval): how long the landing thread may wait for the event loop "
        "after each warehouse call.")
    reference_refresh_seconds: float = Field(
        2.0, gt=0, description="How often workers pick up visitor links other workers made."
    )
    late_grace_seconds: float = Field(
        3600.0, ge=0, description="An event landing later than this after it happened is "
        "flagged late (still counted in its own window).")
    future_limit_hours: float = Field(
        168.0, gt=0, le=8760, description="Events stamped further ahead of their arrival than "
        "this are dead-lettered; closer ones are stored (flagged future past 5 minutes).")
    scanner_seconds: float = Field(
        10.0, ge=0, description="An email open this soon after delivery is a security scanner.")
    privacy_proxy_ranges: str = Field(
        "17.0.0.0/8", description="';'-separated networks of privacy proxies that pre-fetch "
        "email (Apple Mail Privacy Protection); opens from them are not people.")
    email_scanner_ranges: str = Field(
        "", description="';'-separated networks of email security scanners (the gateways "
        "that fetch every message on delivery); opens from them are not people.")
    scoring_rules: str = Field(
        "", description="Path of the scoring rules (TOML); empty: infra/scoring/rules.toml.")
    watermark_interval_seconds: float = Field(
        0.5, gt=0, description="How often pipeline workers tell surge detection how far "
        "(in event time) everything has landed.")
    watermark_idle_seconds: float = Field(
        10.0, gt=0, description="A partition (or pipeline worker) silent this long stops "
        "holding the event-time watermark back.")
