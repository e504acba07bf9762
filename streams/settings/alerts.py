"""Where alerts are delivered, and how hard delivery tries."""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings
from yarl import URL

from streams.settings.base import CONFIG


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


class AlertSettings(BaseSettings):
    model_config = CONFIG

    alert_destinations: list[AlertDestination] = Field(
        default_factory=list, description="Webhook destinations: a JSON list of {name, url, "
        "format (standard or slack), secret, tiers, owners}; the standard format needs a "
        "whsec_ secret.")
    alert_allow_networks: str = Field(
        "", description="';'-separated networks alerts may be sent to although loopback, "
        "private or link-local (refused otherwise), e.g. 127.0.0.0/8 for a local receiver.")
    alert_max_attempts: int = Field(
        6, ge=1, description="Delivery attempts per alert and destination (same webhook-id).")
    alert_retry_seconds: float = Field(
        1.0, gt=0, description="First retry delay; doubles with each attempt.")
    alert_timeout_seconds: float = Field(5.0, gt=0, description="HTTP timeout per attempt.")
