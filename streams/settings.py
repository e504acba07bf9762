"""One frozen settings object for every AccountPulse process (env prefix ``PULSE_``)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from streams.attribution.learned_ip import LearningRules

# Data files the code reads at run time (SQL, scoring rules, broker config).
INFRA_DIR = Path(__file__).resolve().parents[1] / "infra"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PULSE_", frozen=True, extra="ignore")

    home: Path = Field(Path(".pulse"), description="Local state: broker data, chDB, run files.")
    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers.")
    clickhouse_dsn: str = Field(
        "",
        description="clickhouse-connect DSN; empty means the embedded chDB under PULSE_HOME.",
    )
    topic_prefix: str = Field("", description="Prefix for every topic name (isolates test runs).")
    input_partitions: int = Field(4, ge=1, description="Partitions of each input topic.")
    topic_replication: int = Field(1, ge=1, description="Replication factor of created topics.")
    app_id: str = Field("accountpulse", description="Faust app id, also the consumer group.")
    session_timeout_seconds: float = Field(
        10.0, gt=0, description="A worker that stops heartbeating loses its partitions after "
        "this long (how fast a restarted or surviving worker takes over).",
    )
    batch_size: int = Field(2000, ge=1, description="Records per ClickHouse insert at most.")
    batch_seconds: float = Field(0.5, gt=0, description="Flush a partial batch after this long.")
    reference_refresh_seconds: float = Field(
        2.0, gt=0, description="How often workers pick up visitor links other workers made."
    )
    owner_port: int = Field(
        0, ge=0, description="Loopback port of the running pipeline's warehouse endpoint (0: any)."
    )
    person_key_secret: SecretStr = Field(
        SecretStr("accountpulse-dev-secret"),
        description="Key of the keyed hash (MAC) that turns emails and visitor ids into "
        "person keys.",
    )
    free_mail_extra: str = Field(
        "", description="Extra free-mail domains, ';'-separated, added to the shipped list."
    )
    scanner_seconds: float = Field(
        10.0, ge=0, description="An email open this soon after delivery is a security scanner.")
    privacy_proxy_ranges: str = Field(
        "17.0.0.0/8", description="';'-separated networks of privacy proxies that pre-fetch "
        "email (Apple Mail Privacy Protection); opens from them are not people.")
    name_cutoff: float = Field(
        85.0, ge=0, le=100, description="Company-name match: least rapidfuzz score (0-100).")
    name_margin: float = Field(
        8.0, ge=0, description="Company-name match: lead the best needs over the runner-up.")
    scoring_rules: str = Field(
        "", description="Path of the scoring rules (TOML); empty: infra/scoring/rules.toml.")
    late_grace_seconds: float = Field(
        3600.0, ge=0, description="An event landing later than this after it happened is "
        "flagged late (still counted in its own window).")
    stitch_lookback_days: int = Field(
        30, ge=0, description="When a visitor becomes known, re-attribute their events this far "
        "back.")
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
    log_level: str = Field("WARNING", description="Log level of AccountPulse and Faust.")

    def learning_rules(self) -> LearningRules:
        return LearningRules(self.learned_min_people, self.learned_min_share,
                             self.learned_min_weight, self.learned_half_life_days,
                             self.learned_lookback_days)

    @cached_property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def dsn(self) -> str:
        return self.clickhouse_dsn or f"chdb://{self.home_dir / 'clickhouse'}"

    @property
    def embedded(self) -> bool:
        return self.dsn.startswith("chdb:")

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"

    def masked(self) -> dict[str, object]:
        """Settings as logged at start-up: secrets and DSN passwords masked."""
        out = self.model_dump(mode="json")
        out["person_key_secret"] = "***"
        out["clickhouse_dsn"] = _mask_dsn(self.dsn)
        return out


def _mask_dsn(dsn: str) -> str:
    if "@" not in dsn or "://" not in dsn:
        return dsn
    scheme, rest = dsn.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
