"""CRM exports as they come: which format a header is, and each row as an opportunity.

Four formats, told apart by the header (``--format`` forces one):

- ``salesforce``: API field names (Data Loader, a SOQL export): ``Id, AccountId, Name,
  StageName, Amount, CurrencyIsoCode, CloseDate, CreatedDate, IsClosed, IsWon, ...``;
- ``salesforce_report``: a report export's labels ("Opportunity ID", "Stage", "Close Date",
  "Won", ...), often with locale-formatted dates and amounts ("3/2/2026", "USD 1,200.00");
- ``hubspot``: a deals export, by property names (``hs_object_id, dealname, dealstage,
  closedate, hs_is_closed_won, hs_v2_date_entered_<stage>, ...``) or by their labels;
- ``pulse``: ``opportunity_id, account_id, name, stage, amount, currency, created_at,
  close_date, is_closed, is_won, updated_at``.

Closed and won are read from their columns, never guessed from stage names: a header
without them is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from schemas.crm_ids import crm_key

FORMATS = ("salesforce", "salesforce_report", "hubspot", "pulse")

# Field -> the header names it goes by, per format; compared without case, spaces or
# punctuation ("Close Date" = "closedate" = "CLOSE_DATE").
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "salesforce": {
        "opportunity_id": ("Id",), "crm_account_id": ("AccountId",),
        "account_domain": ("Account.Website", "Website"), "name": ("Name",),
        "stage": ("StageName",), "amount": ("Amount",), "currency": ("CurrencyIsoCode",),
        "close_date": ("CloseDate",), "created_at": ("CreatedDate",),
        "is_closed": ("IsClosed",), "is_won": ("IsWon",), "probability": ("Probability",),
        "type": ("Type",), "updated_at": ("SystemModstamp", "LastModifiedDate"),
        "is_deleted": ("IsDeleted",),
    },
    "salesforce_report": {
        "opportunity_id": ("Opportunity ID", "Opportunity ID (18)"),
        "crm_account_id": ("Account ID", "Account ID (18)"),
        "account_domain": ("Website", "Account Website"), "name": ("Opportunity Name",),
        "stage": ("Stage",), "amount": ("Amount",),
        "currency": ("Opportunity Currency", "Amount Currency", "Currency"),
        "close_date": ("Close Date",), "created_at": ("Created Date",),
        "is_closed": ("Closed",), "is_won": ("Won",), "probability": ("Probability (%)",),
        "type": ("Type",), "updated_at": ("Last Modified Date", "Last Stage Change Date"),
    },
    "hubspot": {
        "opportunity_id": ("hs_object_id", "Record ID", "Deal ID"),
        "crm_account_id": ("associatedcompanyid", "Associated Company IDs",
                           "Associated Company ID", "Associated Company IDs (Primary)",
                           "Company ID"),
        "account_domain": ("company_domain", "Company Domain Name", "Associated Company Domain",
                           "Domain"),
        "name": ("dealname", "Deal Name"), "stage": ("dealstage", "Deal Stage"),
        "amount": ("amount", "Amount"), "currency": ("deal_currency_code", "Currency"),
        "close_date": ("closedate", "Close Date"), "created_at": ("createdate", "Create Date"),
        "is_closed": ("hs_is_closed", "Is Closed", "Is deal closed?", "Is Deal Closed"),
        "is_won": ("hs_is_closed_won", "Is Closed Won", "Is closed won"),
        "type": ("dealtype", "Deal Type"),
        "updated_at": ("hs_lastmodifieddate", "Last Modified Date"),
        "is_deleted": ("archived",),
    },
    "pulse": {
        "opportunity_id": ("opportunity_id",), "crm_account_id": ("account_id",),
        "account_domain": ("domain", "website"), "name": ("name",), "stage": ("stage",),
        "amount": ("amount",), "currency": ("currency",), "close_date": ("close_date",),
        "created_at": ("created_at",), "is_closed": ("is_closed",), "is_won": ("is_won",),
        "probability": ("probability",), "type": ("type",), "updated_at": ("updated_at",),
        "is_deleted": ("is_deleted",),
    },
}
REQUIRED = ("opportunity_id", "created_at", "is_closed", "is_won")
# HubSpot's stage dates: a property per stage, or its label "Date entered "Stage (Pipeline)"".
_HUBSPOT_ENTERED = re.compile(r"^hs_v2_date_entered_(.+)$|^date entered ['\"“]?(.+?)['\"”]?$",
                              re.IGNORECASE)
_CURRENCY_IN_AMOUNT = re.compile(r"^\s*([A-Za-z]{3})\s+(.+)$|^(.+?)\s+([A-Za-z]{3})\s*$")
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}


def key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.strip().lower())


def detect(header: list[str]) -> str:
    """The format a header is written in; ValueError naming what was looked for."""
    raw = {h.strip() for h in header}
    keys = {key(h) for h in header}
    if {"opportunity_id", "is_won"} <= raw:
        return "pulse"
    if {"id", "stagename"} <= keys or {"id", "iswon"} <= keys:
        return "salesforce"
    if keys & {"hsobjectid", "dealname", "dealstage"}:
        return "hubspot"
    if "opportunityid" in keys or {"stage", "won"} <= keys:
        return "salesforce_report"
    raise ValueError("the header is not one of a known CRM export's: expected Salesforce API "
                     "names (Id, StageName, IsWon, ...), a Salesforce report's labels "
                     "(Opportunity ID, Stage, Won, ...), HubSpot deal properties (hs_object_id, "
                     "dealname, dealstage, ...) or AccountPulse's (opportunity_id, ..., is_won); "
                     "or name the format with --format")


@dataclass(frozen=True)
class Layout:
    """Where each field is in a file's header, and its stage-date columns."""

    fmt: str
    columns: dict[str, str]  # field -> header cell
    stage_dates: dict[str, str]  # header cell -> stage


def layout(header: list[str], fmt: str) -> Layout:
    """The file's columns for each field; ValueError when a required one is missing."""
    by_key = {key(h): h for h in header}
    columns = {}
    for field, names in COLUMNS[fmt].items():
        found = next((by_key[key(n)] for n in names if key(n) in by_key), None)
        if found is not None:
            columns[field] = found
    missing = [f for f in REQUIRED if f not in columns]
    if missing:
        wanted = ", ".join(COLUMNS[fmt][f][0] for f in missing)
        why = (" (closed and won are read from the file, never guessed from stage names)"
               if {"is_closed", "is_won"} & set(missing) else "")
        raise ValueError(f"line 1: a {fmt} header needs {wanted}{why}")
    stage_dates = {}
    if fmt == "hubspot":
        for h in header:
            m = _HUBSPOT_ENTERED.match(h.strip())
            if m:
                stage_dates[h] = (m.group(1) or m.group(2)).strip()
    return Layout(fmt, columns, stage_dates)


def flag(value: str) -> bool:
    v = value.strip().lower()
    if v in ("1", "true", "yes", "y", "t"):
        return True
    if v in ("", "0", "false", "no", "n", "f"):
        return False
    raise ValueError(f"{value!r} is not true or false")


def amount(value: str, locale: str | None) -> tuple[Decimal, str]:
    """An amount and the currency written with it ('' if none). Without a locale (API
    exports) the number is written plainly, '120000.00'; with one (a report export), as
    that locale writes it: 'USD 120,000.00', '$1,200.50' (en_US), '1.234,50 EUR' (de_DE)."""
    from babel.numbers import NumberFormatError, parse_decimal

    text = value.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if not text:
        return Decimal("0.00"), ""
    currency = ""
    m = _CURRENCY_IN_AMOUNT.match(text)
    if m:
        code = m.group(1) or m.group(4)
        currency, text = code.upper(), (m.group(2) or m.group(3)).strip()
    for symbol, code in _SYMBOLS.items():
        if text.startswith(symbol) or text.endswith(symbol):
            currency = currency or code
            text = text.strip(symbol).strip()
    try:
        if locale is None:
            return Decimal(text), currency
        return parse_decimal(text, locale=locale, strict=True), currency
    except (InvalidOperation, NumberFormatError, ValueError):
        raise ValueError(f"{value!r} is not an amount") from None


def moment(value: str, locale: str) -> datetime | None:
    """A date or time as CRMs write them: ISO 8601 (Salesforce '...+0000', HubSpot '...Z'),
    epoch milliseconds (HubSpot's API), or a report's locale date ('3/2/2026', '3/2/2026,
    9:30 AM'). No offset: UTC."""
    from babel.dates import parse_date

    text = value.strip()
    if not text:
        return None
    if text.isdigit() and len(text) >= 12:
        try:
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{value[:40]!r} is not a time in epoch milliseconds") from None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        day, _, clock = text.partition(" ")
        day = day.rstrip(",")
        try:
            d = parse_date(day, locale=locale)
        except (ValueError, IndexError):
            raise ValueError(f"{value!r} is not a date") from None
        parsed = datetime.combine(d, _clock(clock, value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _clock(text: str, original: str) -> time:
    if not text:
        return time()
    m = re.match(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$", text.strip())
    if not m:
        raise ValueError(f"{original!r} is not a date and time")
    hour, minute, second = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if m.group(4):
        hour = hour % 12 + (12 if m.group(4).lower() == "pm" else 0)
    return time(hour, minute, second)


def record(row: Mapping[str, str], lay: Layout, locale: str, currency: str) -> dict[str, Any]:
    """One row as the fields of an Opportunity (validated by the model afterwards);
    ValueError for a value that cannot be read, naming its column."""
    cols = lay.columns
    out: dict[str, Any] = {"source": lay.fmt}

    def get(field: str) -> str:
        return (row.get(cols[field]) or "").strip() if field in cols else ""

    def read(field: str, parse: Any) -> Any:
        try:
            return parse(get(field))
        except ValueError as err:
            raise ValueError(f"{cols[field]}: {err}") from None

    ident = get("opportunity_id")
    out["opportunity_id"] = read("opportunity_id", crm_key) if lay.fmt != "pulse" else ident
    account = get("crm_account_id").split(";")[0].strip()
    out["crm_account_id"] = crm_key(account) if account and lay.fmt != "pulse" else account
    out["account_domain"] = get("account_domain")
    out["name"], out["stage"], out["type"] = get("name"), get("stage"), get("type")
    value, written = read("amount", lambda v: amount(
        v, locale if lay.fmt == "salesforce_report" else None))
    out["amount"] = value
    out["currency"] = get("currency") or written or currency
    created = read("created_at", lambda v: moment(v, locale))
    if created is None:
        raise ValueError(f"{cols['created_at']}: empty (the creation date is needed)")
    out["created_at"] = created
    closes = read("close_date", lambda v: moment(v, locale))
    out["close_date"] = closes.date() if closes else None
    out["is_closed"] = read("is_closed", flag)
    out["is_won"] = read("is_won", flag)
    if get("probability"):
        out["probability"] = read("probability", lambda v: float(v.rstrip("%").strip()))
    out["updated_at"] = read("updated_at", lambda v: moment(v, locale)) or created
    out["is_deleted"] = read("is_deleted", flag)
    stage_dates = {}
    for column, stage in lay.stage_dates.items():
        text = (row.get(column) or "").strip()
        if text:
            try:
                stage_dates[stage] = moment(text, locale)
            except ValueError as err:
                raise ValueError(f"{column}: {err}") from None
    out["stage_dates"] = stage_dates
    return out
