"""What every settings part shares: the one configuration (env prefix ``PULSE_``, frozen,
errors that never echo a value), the general settings, and how list settings are read."""

from __future__ import annotations

import ipaddress
import re
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG = SettingsConfigDict(env_prefix="PULSE_", frozen=True, extra="ignore",
                            hide_input_in_errors=True)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def split_list(value: str) -> list[str]:
    """A list setting's items. One separator is documented, ';'; ',' is read too, as some
    list settings took commas before (PULSE_COLLECT_TRUSTED_PROXIES)."""
    return [part.strip() for part in re.split(r"[;,]", value) if part.strip()]


def networks(value: str) -> list[Network]:
    """A list setting of networks (CIDR; host bits allowed, as an address alone is)."""
    return [ipaddress.ip_network(part, strict=False) for part in split_list(value)]


class AppSettings(BaseSettings):
    """Where local state lives, and how much is logged."""

    model_config = CONFIG

    home: Path = Field(Path(".pulse"), description="Local state: broker data, chDB, run files.")
    log_level: str = Field("WARNING", description="Log level of AccountPulse and Faust.")

    @cached_property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()


class HttpSettings(BaseSettings):
    """What the two HTTP services (collector, web app) share."""

    model_config = CONFIG

    http_request_timeout_seconds: float = Field(
        30.0, gt=0, description="A request to the collector or the web app must arrive whole "
        "(headers and body) within this long of its first byte; a slower one is answered 408 "
        "and its connection closed (slow clients cannot hold connections open).")
