"""One frozen settings object for every AccountPulse process (env prefix ``PULSE_``),
composed of a part per concern; each part of the code can take only the part it needs
(a ``KafkaSettings``, say): ``Settings`` is every part at once. Environment names are the
fields' names, whatever part holds them."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic_settings import BaseSettings

from streams.settings.alerts import AlertDestination, AlertSettings
from streams.settings.attribution import AttributionSettings, LearnedIpSettings
from streams.settings.base import CONFIG, AppSettings, HttpSettings, Network, networks, split_list
from streams.settings.collector import CollectorSettings, WriteKey
from streams.settings.ingest import IngestSettings
from streams.settings.kafka import KafkaSettings
from streams.settings.privacy import (
    DEV_PERSON_KEY_SECRET,
    MIN_SECRET_CHARS,
    WEAK_SECRETS,
    PrivacySettings,
)
from streams.settings.revenue import RevenueSettings
from streams.settings.surge import SurgeSettings
from streams.settings.targeting import TargetingSettings
from streams.settings.warehouse import WarehouseSettings
from streams.settings.web import WebSettings

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})

# The parts, in the order the settings reference lists them (docs/reference/settings.md).
PARTS: tuple[tuple[str, type[BaseSettings]], ...] = (
    ("General", AppSettings), ("Kafka", KafkaSettings), ("Warehouse", WarehouseSettings),
    ("Ingest", IngestSettings), ("Attribution", AttributionSettings),
    ("Learned IP blocks", LearnedIpSettings), ("Surge detection", SurgeSettings),
    ("Alerts", AlertSettings), ("Privacy", PrivacySettings), ("HTTP services", HttpSettings),
    ("Collector", CollectorSettings), ("Web app", WebSettings), ("Revenue", RevenueSettings),
    ("Targeting", TargetingSettings),
)


class Settings(KafkaSettings, WarehouseSettings, IngestSettings, AttributionSettings,
               LearnedIpSettings, SurgeSettings, AlertSettings, PrivacySettings,
               CollectorSettings, WebSettings, RevenueSettings, TargetingSettings):
    model_config = CONFIG

    @property
    def local_only(self) -> bool:
        """Broker and warehouse both on this machine (the embedded defaults)."""
        brokers = all(b.strip().rsplit(":", 1)[0] in LOOPBACK
                      for b in self.kafka_bootstrap.split(","))
        return brokers and (self.embedded or (urlsplit(self.dsn).hostname or "") in LOOPBACK)

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


__all__ = [
    "CONFIG", "DEV_PERSON_KEY_SECRET", "LOOPBACK", "MIN_SECRET_CHARS", "PARTS", "WEAK_SECRETS",
    "AlertDestination", "AlertSettings", "AppSettings", "AttributionSettings",
    "CollectorSettings", "HttpSettings", "IngestSettings", "KafkaSettings",
    "LearnedIpSettings", "PrivacySettings", "Settings", "SurgeSettings",
    "Network", "WarehouseSettings", "WebSettings", "WriteKey", "networks", "split_list",
]
