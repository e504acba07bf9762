"""The HTTP collector: write keys, limits, proxies, the email providers' webhooks."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, field_validator

from streams.settings.base import CONFIG, HttpSettings


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


class CollectorSettings(HttpSettings):
    model_config = CONFIG

    collect_port: int = Field(8081, ge=0, le=65535, description="`pulse collect` port.")
    collect_write_keys: list[WriteKey] = Field(
        default_factory=list, description="Collector write keys: JSON list of "
        '{"key", "source", "origins"} (keys of 16+ characters; origins: the web pages '
        "allowed to send with the key).")
    collect_trusted_proxies: str = Field(
        "", description="';'-separated networks (CIDR) whose X-Forwarded-For the "
        "collector believes; other clients' addresses are the connection's.")
    collect_max_body_bytes: int = Field(
        1 << 20, ge=1024, description="Largest request body the collector reads (413 above).")
    collect_max_events: int = Field(
        500, ge=1, description="Most events in one request (413 above).")
    collect_rate_per_key: float = Field(
        10_000.0, gt=0, description="Events per second one write key may send (429 with "
        "Retry-After above).")
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
