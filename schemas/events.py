"""Input events, one model per type, strict: an unknown field is an error, not a guess.

Each model carries a SchemaVer id (``web_visit/1-0-0``) exported with its JSON Schema.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from functools import lru_cache
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.json_schema import JsonDict

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_DOTTED_QUAD = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}\Z", re.ASCII)
_EMAIL = re.compile(r"^[^@\s]+@([\w-]+\.)+[\w-]{2,}$")


def _rfc3339(value: object) -> object:
    if isinstance(value, str) and _RFC3339.match(value):
        return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    raise ValueError("must be an RFC 3339 timestamp with an offset, e.g. 2026-11-02T09:30:00Z")


def _ip(value: object) -> str:
    """The address in its canonical form; an IPv6 zone ('fe80::1%eth0') names an interface
    of the sender's machine, which means nothing here, and is dropped."""
    if not isinstance(value, str):
        raise ValueError("must be an IPv4 or IPv6 address as a string")
    stripped = value.strip()
    if _DOTTED_QUAD.match(stripped):  # already canonical, as ip_address would write it
        return stripped
    return _canonical_ip(value)


@lru_cache(maxsize=1 << 16)
def _canonical_ip(value: str) -> str:
    """Remembered: the same visitors' addresses come again and again (a refused value
    raises, and is not remembered)."""
    try:
        addr: IPv4Address | IPv6Address = ip_address(value.strip().split("%", 1)[0])
    except ValueError:
        raise ValueError(f"{value[:60]!r} is not an IPv4 or IPv6 address") from None
    return str(addr)


def valid_email(value: str) -> str:
    """The address, trimmed and lower-cased; ValueError if it is not one."""
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


_email = valid_email


Timestamp = Annotated[datetime, BeforeValidator(_rfc3339)]
IpAddress = Annotated[str, BeforeValidator(_ip)]
Email = Annotated[str, AfterValidator(_email)]
NonEmpty = Annotated[str, Field(min_length=1, max_length=2048)]


def derive_event_id(payload: dict[str, object]) -> str:
    """A stable id from the payload itself, so a publisher's resend is still one event."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "d-" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _event_id_optional(schema: JsonDict) -> None:
    required = schema.get("required")
    if isinstance(required, list) and "event_id" in required:
        required.remove("event_id")


class _Event(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        json_schema_extra=_event_id_optional,
    )
    schema_ver: ClassVar[str]
    channel: ClassVar[str]

    event_id: NonEmpty = Field(
        description="Unique id of the event; when a publisher omits it, a stable id is derived "
        "from the payload so a resent event is still recognised."
    )
    ts: Timestamp = Field(description="When it happened, RFC 3339 with an offset.")

    @model_validator(mode="before")
    @classmethod
    def _derive_missing_id(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("event_id") is None:
            payload = {k: v for k, v in data.items() if k != "event_id"}
            return {**payload, "event_id": derive_event_id(payload)}
        return data


class WebVisit(_Event):
    schema_ver: ClassVar[str] = "web_visit/1-0-0"
    channel: ClassVar[str] = "web"

    type: Literal["web_visit"]
    ip: IpAddress = Field(description="Visitor IP, IPv4 or IPv6.")
    url: NonEmpty = Field(description="Page URL.")
    user_agent: Annotated[str, Field(max_length=2048)] = Field(description="Browser user agent.")
    referrer: NonEmpty | None = None
    anonymous_id: NonEmpty | None = Field(None, description="Cookie / device id of the visitor.")
    email: Email | None = Field(None, description="Set when the visitor is identified.")


MACHINE_DESCRIPTION = (
    "The email provider's own verdict that a machine, not a person, made this event: "
    "'apple' (Apple Mail Privacy Protection's pre-fetch: SendGrid sg_machine_open, Mailgun "
    "bot), 'gmail' (Gmail's image proxy), 'generic' (a security scanner or firewall).")
Machine = Annotated[str, Field(min_length=1, max_length=64)]


class EmailOpen(_Event):
    schema_ver: ClassVar[str] = "email_open/1-0-2"
    channel: ClassVar[str] = "email"

    type: Literal["email_open"]
    email: Email = Field(description="Recipient address.")
    campaign_id: NonEmpty
    ip: IpAddress | None = None
    user_agent: Annotated[str, Field(max_length=2048)] | None = None
    sent_at: Timestamp | None = Field(
        None, description="When the email was delivered (1-0-1): an open seconds after it "
        "is a security scanner, not a reader.")
    machine: Machine | None = Field(None, description=MACHINE_DESCRIPTION + " (1-0-2)")


class EmailClick(_Event):
    """A recipient followed a link in an email: a stronger signal than an open."""

    schema_ver: ClassVar[str] = "email_click/1-0-1"
    channel: ClassVar[str] = "email"

    type: Literal["email_click"]
    email: Email = Field(description="Recipient address.")
    campaign_id: NonEmpty
    url: NonEmpty = Field(description="The link followed.")
    ip: IpAddress | None = None
    user_agent: Annotated[str, Field(max_length=2048)] | None = None
    sent_at: Timestamp | None = Field(
        None, description="When the email was delivered: a click seconds after it is a link "
        "scanner, not a reader.")
    machine: Machine | None = Field(None, description=MACHINE_DESCRIPTION + " (1-0-1)")


class AdClick(_Event):
    schema_ver: ClassVar[str] = "ad_click/1-0-0"
    channel: ClassVar[str] = "ad"

    type: Literal["ad_click"]
    ip: IpAddress = Field(description="Clicker IP, IPv4 or IPv6.")
    campaign_id: NonEmpty
    ad_id: NonEmpty | None = None
    platform: NonEmpty | None = Field(None, description="e.g. linkedin, google.")
    url: NonEmpty | None = Field(None, description="Landing page URL.")
    company_name: NonEmpty | None = Field(None, description="Company name from the ad platform.")
    user_agent: Annotated[str, Field(max_length=2048)] | None = None
    anonymous_id: NonEmpty | None = None


Event = WebVisit | EmailOpen | EmailClick | AdClick

EVENT_MODELS: dict[str, type[WebVisit] | type[EmailOpen] | type[EmailClick] | type[AdClick]] = {
    "web_visit": WebVisit,
    "email_open": EmailOpen,
    "email_click": EmailClick,
    "ad_click": AdClick,
}
