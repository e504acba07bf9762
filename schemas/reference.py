"""Reference data loaded by ops: target accounts and known contacts (CSV rows)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit

import idna
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from schemas.crm_ids import crm_key
from schemas.events import Email


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    return value


def _domain(value: str) -> str:
    value = value.strip().lower()
    if "://" in value:  # a URL: keep its host
        value = urlsplit(value).hostname or ""
    value = value.rstrip(".")
    if value.startswith("www."):
        value = value[4:]
    if "." not in value or "@" in value or "/" in value or " " in value:
        raise ValueError(f"{value!r} is not a domain name")
    if value.isascii():
        return value
    try:  # IDNA 2008 with UTS #46 mapping ('faß.de' is not 'fass.de', as IDNA 2003 has it)
        return idna.encode(value, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise ValueError(f"{value!r} is not a domain name") from None


def _cidr(value: str) -> str:
    """A network, exactly as written: host bits are an error (``198.18.0.5/8`` would
    silently widen to 198.0.0.0/8), and IPv4-mapped IPv6 is written as the IPv4 network."""
    text = value.strip()
    try:
        net: IPv4Network | IPv6Network = ip_network(text)
    except ValueError:
        try:
            loose = ip_network(text, strict=False)
        except ValueError:
            raise ValueError(f"{text!r} is not a CIDR range") from None
        raise ValueError(f"{text!r} has host bits set: write the network, {loose}, or the "
                         f"address alone as /{loose.max_prefixlen}") from None
    if isinstance(net, IPv6Network) and net.prefixlen >= 96:
        mapped = net.network_address.ipv4_mapped
        if mapped is not None:
            net = IPv4Network((mapped, net.prefixlen - 96))
    return str(net)


def _flag(value: object) -> object:
    """CSV truthiness: yes/true/1/y (any case) or empty for no."""
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("", "0", "false", "no", "n"):
            return False
        if v in ("1", "true", "yes", "y"):
            return True
        raise ValueError(f"{value!r} is not yes/no (use true/false, yes/no or 1/0)")
    return value


def _path_safe(value: str) -> str:
    """'.' and '..' cannot name a page of their own: browsers resolve them (escaped or not)
    as steps up the path, so the account's link would open another page."""
    if value in (".", ".."):
        raise ValueError(f"{value!r} cannot be an account id")
    return value


def _blank_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _count(value: object) -> object:
    """'1,200' or '1 200' as 1200; blank as unknown."""
    if isinstance(value, str):
        text = re.sub(r"[\s,_]", "", value)
        return int(text) if text.isdigit() else (None if not text else value)
    return value


def _money(value: object) -> object:
    if isinstance(value, str):
        text = re.sub(r"[\s,_]", "", value)
        if not text:
            return None
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not an amount") from None
        if not amount.is_finite() or amount < 0 or amount >= Decimal(10) ** 16:
            raise ValueError(f"{value!r} is not an amount (0 up to 16 digits)")
        return amount.quantize(Decimal("0.01"))
    return value


@cache
def _countries() -> dict[str, str]:
    """Upper-cased ISO 3166-1 alpha-2 codes and English names -> the code (CLDR, Babel)."""
    from babel import Locale

    names = {str(k): str(v) for k, v in Locale("en").territories.items()}
    codes = {k: k for k in names if len(k) == 2 and k.isalpha() and k != "ZZ"}
    return {**{names[k].upper(): k for k in codes}, **codes}


def _country(value: str) -> str:
    text = value.strip()
    if not text:
        return ""
    code = _countries().get(text.upper())
    if code is None:
        raise ValueError(f"{value!r} is not a country (an ISO 3166 code such as DE, or its "
                         "English name)")
    return code


_LINKEDIN = re.compile(r"^(?:https?://)?(?:[a-z]{2,3}\.)?linkedin\.com/company/([^/?#\s]+)/?"
                       r"(?:[?#].*)?$", re.IGNORECASE)


def _linkedin(value: str) -> str:
    """A company page, as LinkedIn's matching wants it: https://www.linkedin.com/company/x"""
    text = value.strip()
    if not text:
        return ""
    m = _LINKEDIN.match(text)
    if not m:
        raise ValueError(f"{value!r} is not a LinkedIn company page URL "
                         "(https://www.linkedin.com/company/...)")
    return f"https://www.linkedin.com/company/{m.group(1)}"


def _symbol(value: str) -> str:
    text = value.strip().upper()
    if text and not re.fullmatch(r"[A-Z0-9][A-Z0-9.:\-]{0,19}", text):
        raise ValueError(f"{value!r} is not a stock symbol (e.g. MSFT or NASDAQ:MSFT)")
    return text


Domain = Annotated[str, AfterValidator(_domain)]
Alias = Annotated[str, Field(min_length=1, max_length=256)]
Cidr = Annotated[str, AfterValidator(_cidr)]
CrmId = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(crm_key)]


class Account(BaseModel):
    """One target company. ``domains`` and ``ip_ranges`` are ';'-separated in CSV."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)
    schema_ver: ClassVar[str] = "account/1-0-5"

    account_id: Annotated[str, Field(min_length=1, max_length=256), AfterValidator(_path_safe)]
    name: Annotated[str, Field(min_length=1)]
    domains: Annotated[list[Domain], BeforeValidator(_split)] = Field(default_factory=list)
    ip_ranges: Annotated[list[Cidr], BeforeValidator(_split)] = Field(default_factory=list)
    tier: str = Field("", description="Target tier, e.g. 1, 2, 3.")
    parent_account_id: str = Field("", description="The account this one belongs to, if any.")
    customer: Annotated[bool, BeforeValidator(_flag)] = Field(
        False, description="Already a customer: watched for cooling (churn risk) as well.")
    owner_email: Annotated[Email | None, BeforeValidator(_blank_none)] = Field(
        None, description="The account owner (sales rep); alerts can be routed by it.")
    aliases: Annotated[list[Alias], BeforeValidator(_split)] = Field(
        default_factory=list, description="Other names the company goes by (brands, short "
        "names: 'LM Ericsson' for 'Telefonaktiebolaget L M Ericsson'); ';'-separated in CSV. "
        "Typed company names match them as they match the name (1-0-3).")
    crm_ids: Annotated[list[CrmId], BeforeValidator(_split)] = Field(
        default_factory=list, description="The account's ids in the CRM (Salesforce Account "
        "ids in either form, kept in the 18-character form; HubSpot company ids); "
        "';'-separated in CSV. Opportunities find their account by them first (1-0-4).")
    # Firmographics (1-0-5): what fit scores and ad-platform audiences are made from.
    industry: str = Field("", max_length=256, description="Industry, as the CRM names it.")
    employees: Annotated[int | None, BeforeValidator(_count)] = Field(
        None, ge=0, le=10_000_000, description="Number of employees ('1,200' reads as 1200).")
    annual_revenue: Annotated[Decimal | None, BeforeValidator(_money)] = Field(
        None, description="Annual revenue, a plain amount (at most 2 decimals kept).")
    country: Annotated[str, AfterValidator(_country)] = Field(
        "", description="ISO 3166-1 alpha-2 code; an English name is read as its code.")
    region: str = Field("", max_length=256, description="State, province or region.")
    city: str = Field("", max_length=256)
    zip: str = Field("", max_length=32, description="Postal code, as written.")
    technologies: Annotated[list[Alias], BeforeValidator(_split)] = Field(
        default_factory=list, description="Technologies the company uses; ';'-separated "
        "in CSV.")
    linkedin_url: Annotated[str, AfterValidator(_linkedin)] = Field(
        "", description="LinkedIn company page, kept as https://www.linkedin.com/company/<id>.")
    stock_symbol: Annotated[str, AfterValidator(_symbol)] = Field(
        "", description="Ticker, e.g. MSFT or NASDAQ:MSFT (upper-cased).")


class Contact(BaseModel):
    """A known person at an account: one of the customer's own CRM records, so reps see
    who it is (anonymous visitors stay keyed)."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)
    schema_ver: ClassVar[str] = "contact/1-0-2"

    email: Email
    account_id: Annotated[str, Field(min_length=1, max_length=256)]
    title: str = Field("", max_length=256,
                       description="Job title (optional); scoring derives a persona.")
    name: str = Field("", max_length=256, description="Full name (optional), shown to reps "
                      "(1-0-2); a CRM export's first_name and last_name make it too.")

    @model_validator(mode="before")
    @classmethod
    def _full_name(cls, data: object) -> object:
        """CRM exports split the name: First Name + Last Name."""
        if isinstance(data, dict) and not str(data.get("name") or "").strip():
            parts = [str(data.get(k) or "").strip() for k in ("first_name", "last_name")]
            if any(parts):
                return {**data, "name": " ".join(p for p in parts if p)}
        return data


IP_RANGE_KINDS = ("company", "isp", "hosting", "vpn", "mobile")


class IpRange(BaseModel):
    """A network and who uses it. Shared kinds (isp, hosting, vpn, mobile) have no account."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)
    schema_ver: ClassVar[str] = "ip_range/1-0-0"

    cidr: Cidr
    account_id: str = ""
    kind: Literal["company", "isp", "hosting", "vpn", "mobile"] = "company"
    source: str = Field("", description="Where the range comes from, e.g. a vendor or 'ops'.")

    @model_validator(mode="after")
    def _owner_matches_kind(self) -> IpRange:
        if self.kind == "company" and not self.account_id:
            raise ValueError("a company range needs an account_id")
        if self.kind != "company" and self.account_id:
            raise ValueError(f"a {self.kind} range is shared: leave account_id empty")
        return self
