"""The web app: where it listens, and who may sign in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from streams.settings.base import CONFIG, HttpSettings


class WebSettings(HttpSettings):
    model_config = CONFIG

    web_host: str = Field("127.0.0.1", description="`pulse serve` binds this address; beyond "
                          "loopback it needs users or a trusted sign-in header.")
    web_port: int = Field(8080, ge=0, le=65535, description="`pulse serve` port.")
    web_read_ttl_seconds: float = Field(
        2.0, ge=0, le=300, description="A page query's answer serves the same query (same "
        "SQL and parameters) for this long, and a query already running is joined, not run "
        "again (0: every request reads).")
    web_users: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, description="Web users: JSON object of name to password hash "
        "(`pulse password-hash`).")
    web_users_file: Path | None = Field(
        None, description="A file of `name:hash` lines, read with PULSE_WEB_USERS.")
    web_trusted_user_header: str = Field(
        "", description="Header naming the signed-in user, set by a reverse proxy doing SSO "
        "(e.g. X-Forwarded-Email from oauth2-proxy). Only when nothing else reaches the app.")
    web_secret: SecretStr | None = Field(
        None, description="Signs the web session cookie; generated under PULSE_HOME "
        "(run/web-secret) if unset.")


    @field_validator("web_users", mode="before")
    @classmethod
    def _no_users(cls, value: object) -> object:
        """JSON from the environment; empty (compose's unset default) means no users."""
        if isinstance(value, str):
            return json.loads(value) if value.strip() else {}
        return {} if value is None else value
