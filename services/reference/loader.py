"""``pulse accounts / contacts / ip-ranges load``: CSV -> validated models -> topic + warehouse.

All or nothing. The whole file is checked first and every problem is reported with its
line (bad values, bytes that are not UTF-8, fields over 64 KB, networks shorter than the
minimum prefix, rows too large for their topic); a file with any problem loads nothing.
A clean file goes to its compacted topic in one Kafka transaction and to the warehouse
copy before that transaction commits, so running workers (which read committed records
only) see the whole load or none of it.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from ipaddress import ip_network
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from schemas.reference import Account, Contact, IpRange
from services.progress import Steps
from services.reference.topics import (
    ACCOUNT_COLUMNS,
    MAX_RECORD_BYTES,
    ReferencePublisher,
    account_row,
    contact_row,
    range_row,
)
from services.warehouse import Warehouse
from streams.attribution.ip_ranges import IpRangeTable, RangeClaim
from streams.ingest.pseudonyms import keyed
from streams.reference.state import range_key

M = TypeVar("M", bound=BaseModel)

ACCOUNT_HEADER = ("account_id", "name", "domains", "ip_ranges", "tier")

CONTACT_HEADER = ("email", "account_id")
CONTACT_COLUMNS = ["email", "account_id", "title", "name", "person_key"]
# A CRM export's contact headers (Salesforce, HubSpot), read as ours; matched without case,
# spaces or underscores.
CONTACT_ALIASES = {"emailaddress": "email", "email": "email", "firstname": "first_name",
                   "lastname": "last_name", "fullname": "name", "name": "name",
                   "title": "title", "jobtitle": "title", "accountid": "account_id"}
IP_RANGE_HEADER = ("cidr", "account_id", "kind", "source")
MAX_FIELD_CHARS = 65536
DEFAULT_MIN_PREFIX = {4: 8, 6: 16}


class CsvError(ValueError):
    """Nothing was loaded; ``problems`` lists every reason, each with its line."""

    def __init__(self, path: Path | str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{path}: nothing loaded, {len(problems)} problem(s):\n  "
                         + "\n  ".join(self.problems))


class Rows(list[M], Generic[M]):
    """Validated rows, with the line each came from (for problems found later)."""

    lines: list[int]


def header_name(raw: str, aliases: dict[str, str] | None) -> str:
    name = raw.strip()
    if aliases is None:
        return name
    return aliases.get(re.sub(r"[\s_]+", "", name.lower()), name)


def read_csv(path: Path, model: type[M], required: Sequence[str],
             steps: Steps | None = None, aliases: dict[str, str] | None = None) -> Rows[M]:
    """Validated rows; ``aliases``: other names the columns go by (normalised: no case,
    spaces or underscores), such as a CRM export's "First Name"."""
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as fh:
        reader = csv.DictReader(fh)
        try:
            fieldnames = reader.fieldnames or []
        except csv.Error as err:
            raise CsvError(path, [f"line 1: {err}"]) from None
        header = [header_name(h, aliases) for h in fieldnames]
        if aliases is not None:
            reader.fieldnames = header
        missing = [c for c in required if c not in header]
        if missing:
            raise CsvError(path, [f"line 1: header lacks column(s) {', '.join(missing)}; "
                                  f"expected at least: {','.join(required)}"])
        rows: Rows[M] = Rows()
        rows.lines = []
        problems: list[str] = []
        steps = steps or Steps(None)
        steps.start(f"reading {path.name}")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as err:  # the reader cannot go on past a broken record
                problems.append(f"line {reader.line_num}: {err}; stopped reading there")
                break
            line = reader.line_num
            steps.advance(f"reading {path.name}")
            found = raw_problems(row)
            if found:
                problems += [f"line {line}: {p}" for p in found]
                continue
            clean = {(k or "").strip(): (v or "") for k, v in row.items()
                     if not isinstance(v, list)}
            try:
                rows.append(model.model_validate(clean))
                rows.lines.append(line)
            except ValidationError as err:
                for e in err.errors(include_url=False, include_input=False):
                    field = ".".join(str(p) for p in e["loc"])
                    where = f"{field}: " if field else ""
                    problems.append(f"line {line}: {where}"
                                    f"{e['msg'].removeprefix('Value error, ')}")
    steps.finish(f"reading {path.name}")
    if problems:
        raise CsvError(path, problems)
    return rows


def raw_problems(row: dict[str | None, Any]) -> list[str]:
    """What is wrong with a row before its values are even read: bytes that are not UTF-8,
    oversized fields, more fields than the header has."""
    found = []
    for key, value in row.items():
        values = value if isinstance(value, list) else [value]
        if key is None:
            found.append(f"{len(values)} more field(s) than the header has")
        for v in values:
            if not isinstance(v, str):
                continue
            bad = next((c for c in v if "\udc80" <= c <= "\udcff"), None)
            if bad is not None:
                found.append(f"{key or 'an extra field'}: not UTF-8 (byte "
                             f"0x{ord(bad) - 0xDC00:02x}); save the file as UTF-8")
            elif len(v) > MAX_FIELD_CHARS:
                found.append(f"{key}: {len(v):,} characters (at most {MAX_FIELD_CHARS:,})")
    return found


csv.field_size_limit(16 << 20)  # oversized fields are reported with their line, not fatal


def check_prefixes(path: Path | str, networks: Iterable[tuple[int, str]],
                   minimum: dict[int, int]) -> None:
    """Networks shorter than the minimum prefix claim too much (a /0 is the internet)."""
    problems = []
    for line, cidr in networks:
        net = ip_network(cidr)
        if net.prefixlen < minimum[net.version]:
            problems.append(f"line {line}: {cidr} is wider than /{minimum[net.version]} "
                            f"(PULSE_MIN_RANGE_PREFIX_V{net.version})")
    if problems:
        raise CsvError(path, problems)


def check_sizes(path: Path | str, kind: str, rows: Sequence[tuple[str, dict[str, Any]]],
                lines: Sequence[int] | None) -> None:
    """A row larger than its topic takes is reported before anything is published."""
    problems = []
    for i, (key, value) in enumerate(rows):
        size = len(key.encode()) + len(json.dumps(value, ensure_ascii=False).encode())
        if size > MAX_RECORD_BYTES:
            where = f"line {lines[i]}" if lines is not None else f"{kind} {key[:60]!r}"
            problems.append(f"{where}: {size:,} bytes as {article(kind)} {kind} record "
                            f"(at most {MAX_RECORD_BYTES:,})")
    if problems:
        raise CsvError(path, problems)


def article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def ultimate_parents(parents: dict[str, str]) -> dict[str, str]:
    """Account -> the top of its group (itself when it has no parent).

    A parent that is not loaded (yet) is taken as the top. A cycle is an error: roll-ups
    to the ultimate parent would have no answer.
    """
    out: dict[str, str] = {}
    for account in parents:
        seen = [account]
        node = account
        while parents.get(node):
            node = parents[node]
            if node in seen:
                raise ValueError("parent_account_id cycle: " + " -> ".join([*seen, node]))
            seen.append(node)
        out[account] = node
    return out


def load_accounts(warehouse: Warehouse, publisher: ReferencePublisher, path: Path,
                  min_prefix: dict[int, int] = DEFAULT_MIN_PREFIX,
                  steps: Steps | None = None) -> int:
    accounts = read_csv(path, Account, ACCOUNT_HEADER, steps)
    _unique(path, [a.account_id for a in accounts], "account_id")
    check_prefixes(path, ((line, c) for line, a in zip(accounts.lines, accounts, strict=True)
                          for c in a.ip_ranges), min_prefix)
    return insert_accounts(warehouse, publisher, accounts, path, steps)


def account_values(a: Account) -> tuple[Any, ...]:
    """The account's values in ACCOUNT_COLUMNS order (its ultimate parent left blank: the
    loader resolves it over every account)."""
    values = {**a.model_dump(), "ultimate_parent_id": "", "customer": int(a.customer),
              "owner_email": a.owner_email or ""}
    return tuple(values[c] for c in ACCOUNT_COLUMNS)


def insert_accounts(warehouse: Warehouse, publisher: ReferencePublisher,
                    accounts: Sequence[Account], path: Path | str = "accounts",
                    steps: Steps | None = None) -> int:
    """Store accounts, re-resolving ultimate parents of every account a change touches."""
    stored = {r[0]: r for r in warehouse.query(
        f"SELECT {', '.join(ACCOUNT_COLUMNS)} FROM abm.accounts FINAL").rows}
    rows = {a.account_id: account_values(a) for a in accounts}
    merged = {**stored, **rows}
    parent, top = ACCOUNT_COLUMNS.index("parent_account_id"), ACCOUNT_COLUMNS.index(
        "ultimate_parent_id")
    tops = ultimate_parents({k: str(r[parent]) for k, r in merged.items()})
    out = [[*r[:top], tops[k], *r[top + 1:]] for k, r in merged.items()
           if k in rows or stored[k][top] != tops[k]]
    check_sizes(path, "account", [account_row(rows[a.account_id]) for a in accounts],
                getattr(accounts, "lines", None))
    records = [account_row(r) for r in out]
    with publisher.transaction():
        publisher.send("accounts", records, steps)
        warehouse.insert("abm.accounts", ACCOUNT_COLUMNS, out)
    return len(rows)


def load_contacts(warehouse: Warehouse, publisher: ReferencePublisher, path: Path,
                  secret: bytes, steps: Steps | None = None) -> int:
    contacts = read_csv(path, Contact, CONTACT_HEADER, steps, aliases=CONTACT_ALIASES)
    _unique(path, [c.email for c in contacts], "email")
    return insert_contacts(warehouse, publisher, contacts, secret, path, steps)


def insert_contacts(warehouse: Warehouse, publisher: ReferencePublisher,
                    contacts: Sequence[Contact], secret: bytes, path: Path | str = "contacts",
                    steps: Steps | None = None) -> int:
    """Contacts to their topic and to abm.contacts, each with the person key its events
    carry (so pages and alerts can name the contact behind them)."""
    records = [contact_row(c.email, c.account_id, c.title, c.name) for c in contacts]
    check_sizes(path, "contact", records, getattr(contacts, "lines", None))
    with publisher.transaction():
        publisher.send("contacts", records, steps)
        return warehouse.insert("abm.contacts", CONTACT_COLUMNS, [
            [c.email, c.account_id, c.title, c.name, contact_key(secret, c.email)]
            for c in contacts])


def contact_key(secret: bytes, email: str) -> str:
    return keyed(secret, "e:" + email)


def key_contacts(warehouse: Warehouse, secret: bytes) -> int:
    """Give stored contacts the person key of the current secret where theirs is missing
    (loaded before keys were kept) or stale (the secret changed); returns how many."""
    rows = warehouse.query("SELECT email, account_id, title, name, person_key "
                           "FROM abm.contacts FINAL").rows
    stale = [[e, a, t, n, contact_key(secret, e)] for e, a, t, n, k in rows
             if k != contact_key(secret, e)]
    return warehouse.insert("abm.contacts", CONTACT_COLUMNS, stale) if stale else 0


def _unique(path: Path, keys: list[str], what: str) -> None:
    seen: set[str] = set()
    dupes = sorted({k for k in keys if k in seen or seen.add(k)})  # type: ignore[func-returns-value]
    if dupes:
        raise CsvError(path, [f"{what} {d!r} appears more than once" for d in dupes])


def load_ip_ranges(warehouse: Warehouse, publisher: ReferencePublisher, path: Path,
                   min_prefix: dict[int, int] = DEFAULT_MIN_PREFIX,
                   steps: Steps | None = None) -> tuple[int, list[str]]:
    """Load ranges; returns how many and the equal-prefix conflicts they take part in."""
    ranges = read_csv(path, IpRange, IP_RANGE_HEADER, steps)
    check_prefixes(path, zip(ranges.lines, (r.cidr for r in ranges), strict=True), min_prefix)
    return insert_ip_ranges(warehouse, publisher, ranges, path, steps)


def insert_ip_ranges(warehouse: Warehouse, publisher: ReferencePublisher,
                     ranges: Sequence[IpRange], path: Path | str = "ip-ranges",
                     steps: Steps | None = None) -> tuple[int, list[str]]:
    existing = [RangeClaim(c, a, k, "ip_ranges") for c, a, k in warehouse.query(
        "SELECT cidr, account_id, kind FROM abm.ip_ranges FINAL").rows]
    for account_id, cidrs in warehouse.query(
            "SELECT account_id, ip_ranges FROM abm.accounts FINAL").rows:
        existing.extend(RangeClaim(c, account_id, "company", "accounts") for c in cidrs)
    new_cidrs = {r.cidr for r in ranges}
    table = IpRangeTable([*existing, *(RangeClaim(r.cidr, r.account_id, r.kind, "ip_ranges")
                                       for r in ranges)], min_prefix={})
    conflicts = [c for c in table.conflicts if c.split(": ", 1)[0] in new_cidrs]
    records = [range_row(r.cidr, r.account_id, r.kind, r.source) for r in ranges]
    check_sizes(path, "ip range", records, getattr(ranges, "lines", None))
    with publisher.transaction():
        publisher.send("ip_ranges", records, steps)
        n = warehouse.insert("abm.ip_ranges", list(IP_RANGE_HEADER),
                             [[r.cidr, r.account_id, r.kind, r.source] for r in ranges])
    return n, conflicts


def remove_ip_ranges(warehouse: Warehouse, publisher: ReferencePublisher, path: Path) -> int:
    """Withdraw ranges (same CSV format): a tombstone on the topic, a delete in the copy."""
    ranges = read_csv(path, IpRange, IP_RANGE_HEADER)
    with publisher.transaction():
        publisher.delete("ip_ranges", (range_key(r.cidr, r.kind, r.account_id) for r in ranges))
        for r in ranges:
            warehouse.command(
                "ALTER TABLE abm.ip_ranges DELETE WHERE cidr = {cidr:String} AND kind = "
                "{kind:String} AND account_id = {account_id:String} SETTINGS mutations_sync = 1",
                {"cidr": r.cidr, "kind": r.kind, "account_id": r.account_id})
    return len(ranges)


def sql_string(value: str) -> str:
    """A ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
