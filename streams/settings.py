"""One frozen settings object for every AccountPulse process (env prefix ``PULSE_``)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from yarl import URL

DEV_PERSON_KEY_SECRET = "accountpulse-dev-secret"
# Values that are no secret: the default, and what compose files and docs put as placeholders.
WEAK_SECRETS = frozenset({DEV_PERSON_KEY_SECRET, "change-me", "changeme", "secret", "password",
                          "dev", "test", "default"})
MIN_SECRET_CHARS = 16
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class WriteKey(BaseModel):
    """A key the collector accepts events with; ``source`` names the sender (a Kafka header
    on every record), ``origins`` the web pages allowed to send with it (CORS)."""

    model_config = {"frozen": True, "extra": "forbid", "hide_input_in_errors": True}

    key: SecretStr = Field(description="The bearer token (at least 16 characters).")
    source: str = Field(min_length=1, max_length=100)
    origins: list[str] = Field(default_factory=list,
                               description="e.g. https://www.example.com; none: no browser.")

    @field_validator("key")
    @classmethod
    def _long(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("a write key needs at least 16 characters")
        return value


class AlertDestination(BaseModel):
    """Where alerts go. A destination with ``tiers`` or ``owners`` gets only the alerts of
    accounts in those tiers or owned by those people; without either, every alert."""

    # Errors never echo what was given: a URL carries its token, a secret is a secret.
    model_config = {"frozen": True, "extra": "forbid", "hide_input_in_errors": True}

    name: str = Field(min_length=1, description="Shown in abm.alert_deliveries.")
    url: str = Field(description="http(s) URL the alert is POSTed to.")
    format: Literal["standard", "slack"] = Field(
        "standard", description="standard: the alert JSON, signed the Standard Webhooks way; "
        "slack: a Slack incoming-webhook message.")
    secret: SecretStr | None = Field(
        None, description="Standard Webhooks signing secret (whsec_ + base64); required for "
        "the standard format.")
    tiers: list[str] = Field(default_factory=list)
    owners: list[str] = Field(default_factory=list, description="owner_email values.")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        try:
            url = URL(value)
        except ValueError:
            url = None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise ValueError("the url is not an http(s) URL with a host")
        return value

    @field_validator("secret")
    @classmethod
    def _whsec(cls, value: SecretStr | None) -> SecretStr | None:
        """Standard Webhooks secrets are 'whsec_' + base64 of 24 to 64 random bytes; any
        other string fails at strict receivers, or cannot sign at all."""
        if value is None:
            return None
        raw = value.get_secret_value()
        if not raw.startswith("whsec_"):
            raise ValueError("the secret must start with 'whsec_' (Standard Webhooks)")
        try:
            key = base64.b64decode(raw.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the secret after 'whsec_' is not valid base64") from None
        if not 24 <= len(key) <= 64:
            raise ValueError(f"the secret decodes to {len(key)} bytes; use 24 to 64 random "
                             "bytes (e.g. 'whsec_' + base64 of 32)")
        return value

    @model_validator(mode="after")
    def _signed(self) -> AlertDestination:
        if self.format == "standard" and self.secret is None:
            raise ValueError(f"destination {self.name!r}: the standard format is signed; "
                             "give it a secret (whsec_ + base64 of random bytes)")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PULSE_", frozen=True, extra="ignore",
                                      hide_input_in_errors=True)

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
        SecretStr(DEV_PERSON_KEY_SECRET),
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
    email_scanner_ranges: str = Field(
        "", description="';'-separated networks of email security scanners (the gateways "
        "that fetch every message on delivery); opens from them are not people.")
    min_range_prefix_v4: int = Field(
        8, ge=0, le=32, description="IP ranges wider than this IPv4 prefix are refused at "
        "load (and ignored by workers): a /0 would claim the internet.")
    min_range_prefix_v6: int = Field(
        16, ge=0, le=128, description="The same for IPv6 ranges.")
    name_cutoff: float = Field(
        85.0, ge=0, le=100, description="Company-name match: least rapidfuzz score (0-100).")
    name_margin: float = Field(
        8.0, ge=0, description="Company-name match: lead the best needs over the runner-up.")
    scoring_rules: str = Field(
        "", description="Path of the scoring rules (TOML); empty: infra/scoring/rules.toml.")
    late_grace_seconds: float = Field(
        3600.0, ge=0, description="An event landing later than this after it happened is "
        "flagged late (still counted in its own window).")
    future_limit_hours: float = Field(
        168.0, gt=0, le=8760, description="Events stamped further ahead of their arrival than "
        "this are dead-lettered; closer ones are stored (flagged future past 5 minutes).")
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
    watermark_interval_seconds: float = Field(
        0.5, gt=0, description="How often pipeline workers tell surge detection how far "
        "(in event time) everything has landed.")
    watermark_idle_seconds: float = Field(
        10.0, gt=0, description="A partition (or pipeline worker) silent this long stops "
        "holding the event-time watermark back.")
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
    alert_destinations: list[AlertDestination] = Field(
        default_factory=list, description="Webhook destinations (JSON list of {name, url, "
        "format, secret, tiers, owners}).")
    alert_allow_networks: str = Field(
        "", description="';'-separated networks alerts may be sent to although loopback, "
        "private or link-local (refused otherwise), e.g. 127.0.0.0/8 for a local receiver.")
    alert_max_attempts: int = Field(
        6, ge=1, description="Delivery attempts per alert and destination (same webhook-id).")
    alert_retry_seconds: float = Field(
        1.0, gt=0, description="First retry delay; doubles with each attempt.")
    alert_timeout_seconds: float = Field(5.0, gt=0, description="HTTP timeout per attempt.")
    query_timeout_seconds: float = Field(
        30.0, gt=0, description="`pulse query` (and other read-only analyst queries) stops "
        "after this long.")
    query_max_rows: int = Field(
        10000, ge=1, description="`pulse query` returns at most this many rows (and says so).")
    log_level: str = Field("WARNING", description="Log level of AccountPulse and Faust.")
    collect_port: int = Field(8081, ge=0, le=65535, description="`pulse collect` port.")
    collect_write_keys: list[WriteKey] = Field(
        default_factory=list, description="Collector write keys: JSON list of "
        "{key, source, origins}.")
    collect_trusted_proxies: str = Field(
        "", description="Networks (CIDR, comma-separated) whose X-Forwarded-For the "
        "collector believes; other clients' addresses are the connection's.")
    collect_max_body_bytes: int = Field(
        1 << 20, ge=1024, description="Largest request body the collector reads (413 above).")
    collect_max_events: int = Field(
        500, ge=1, description="Most events in one request (413 above).")
    collect_rate_per_key: float = Field(
        10_000.0, gt=0, description="Events per second one write key may send (429 above).")
    collect_rate_per_client: float = Field(
        1_000.0, gt=0, description="Events per second one client address may send.")
    sendgrid_verification_key: str = Field(
        "", description="SendGrid's Event Webhook verification key (base64 public key, from "
        "its Mail Settings); unset: POST /v1/webhooks/sendgrid answers 404.")
    mailgun_signing_key: SecretStr | None = Field(
        None, description="Mailgun's HTTP webhook signing key; unset: POST "
        "/v1/webhooks/mailgun answers 404.")
    postmark_webhook_auth: SecretStr | None = Field(
        None, description="`user:password` Postmark sends as basic auth (put them in the "
        "webhook URL); unset: POST /v1/webhooks/postmark answers 404.")
    webhook_max_age_seconds: float = Field(
        86_400.0, gt=0, le=7 * 86_400, description="Oldest signed webhook timestamp accepted "
        "(SendGrid, Mailgun); older is refused as a replay. A day covers the providers' "
        "retries; at most 7 days (the Mailgun token ledger keeps 8).")
    http_request_timeout_seconds: float = Field(
        30.0, gt=0, description="A request to the collector or the web app must arrive whole "
        "(headers and body) within this long of its first byte; a slower one is answered 408 "
        "and its connection closed (slow clients cannot hold connections open).")
    web_host: str = Field("127.0.0.1", description="`pulse serve` binds this address; beyond "
                          "loopback it needs users or a trusted sign-in header.")
    web_port: int = Field(8080, ge=0, le=65535, description="`pulse serve` port.")
    web_users: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, description="Web users: JSON object of name to password hash "
        "(`pulse password-hash`).")
    web_users_file: Path | None = Field(
        None, description="A file of `name:hash` lines, read with PULSE_WEB_USERS.")
    web_trusted_user_header: str = Field(
        "", description="Header naming the signed-in user, set by a reverse proxy doing SSO "
        "(e.g. X-Forwarded-Email from oauth2-proxy). Only when nothing else reaches the app.")
    web_secret: SecretStr | None = Field(
        None, description="Signs the web session cookie; generated under PULSE_HOME if unset.")

    @field_validator("mailgun_signing_key", "postmark_webhook_auth", mode="before")
    @classmethod
    def _unset(cls, value: object) -> object:
        """Empty (compose's unset default) means not configured."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("postmark_webhook_auth")
    @classmethod
    def _user_password(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and ":" not in value.get_secret_value():
            raise ValueError("PULSE_POSTMARK_WEBHOOK_AUTH is user:password")
        return value

    @field_validator("web_users", mode="before")
    @classmethod
    def _no_users(cls, value: object) -> object:
        """JSON from the environment; empty (compose's unset default) means no users."""
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return {} if value is None else value

    @property
    def min_prefix(self) -> dict[int, int]:
        return {4: self.min_range_prefix_v4, 6: self.min_range_prefix_v6}

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

    @property
    def local_only(self) -> bool:
        """Broker and warehouse both on this machine (the embedded defaults)."""
        brokers = all(b.strip().rsplit(":", 1)[0] in LOOPBACK
                      for b in self.kafka_bootstrap.split(","))
        return brokers and (self.embedded or (urlsplit(self.dsn).hostname or "") in LOOPBACK)

    def person_key_problem(self) -> str | None:
        """Why PULSE_PERSON_KEY_SECRET cannot protect anyone, or None. With a known key, a
        list of common names re-identifies people from their person keys (36 of 249 demo
        emails were), so a deployment beyond this machine refuses to start with one."""
        secret = self.person_key_secret.get_secret_value()
        if secret in WEAK_SECRETS:
            return "PULSE_PERSON_KEY_SECRET is a development value"
        if len(secret) < MIN_SECRET_CHARS:
            return f"PULSE_PERSON_KEY_SECRET is shorter than {MIN_SECRET_CHARS} characters"
        return None

    def masked(self) -> dict[str, object]:
        """Settings as logged at start-up: secrets and DSN passwords masked (SecretStr
        fields dump as stars; the rest that identify or open something are masked here)."""
        out = self.model_dump(mode="json")
        out["person_key_secret"] = "***"
        out["web_users"] = {name: "***" for name in out["web_users"]}  # scrypt hashes
        if out["sendgrid_verification_key"]:
            out["sendgrid_verification_key"] = "***"
        for d in out["alert_destinations"]:
            d["secret"] = "***" if d.get("secret") else None
            d["url"] = _mask_url(d["url"])
        out["clickhouse_dsn"] = _mask_dsn(self.dsn)
        return out


def _mask_url(url: str) -> str:
    """Webhook URLs carry their token in the user-info, the path (Slack) or the query:
    only scheme, host and port are shown."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    where = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
    return where + ("/***" if parts.path.strip("/") or parts.query or parts.fragment else "")


_SECRET_PARAM = re.compile(r"pass|secret|token|key|auth", re.IGNORECASE)


def _mask_dsn(dsn: str) -> str:
    """A DSN as logged: the password masked in the user-info and in the query."""
    parts = urlsplit(dsn)
    netloc = parts.netloc
    if "@" not in netloc and not any(_SECRET_PARAM.search(k) for k, _ in parse_qsl(parts.query)):
        return dsn
    if "@" in netloc:
        creds, host = netloc.rsplit("@", 1)
        netloc = f"{creds.split(':', 1)[0]}:***@{host}"
    query = urlencode([(k, "***" if _SECRET_PARAM.search(k) else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
