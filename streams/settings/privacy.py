"""The key of the keyed hashes that stand for people."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from streams.settings.base import CONFIG

DEV_PERSON_KEY_SECRET = "accountpulse-dev-secret"
# Values that are no secret: the default, and what compose files and docs put as placeholders.
WEAK_SECRETS = frozenset({DEV_PERSON_KEY_SECRET, "change-me", "changeme", "secret", "password",
                          "dev", "test", "default"})
MIN_SECRET_CHARS = 16


class PrivacySettings(BaseSettings):
    model_config = CONFIG

    person_key_secret: SecretStr = Field(
        SecretStr(DEV_PERSON_KEY_SECRET),
        description="Key of the keyed hash (MAC) that turns emails and visitor ids into "
        "person keys; refused beyond this machine while it is the development value.",
    )
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
