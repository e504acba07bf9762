"""``pulse accounts load`` / ``pulse contacts load``: CSV -> validated models -> warehouse.

A file with any invalid row loads nothing: every error is reported with its line number,
so ops fix the file and load it again.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from schemas.reference import Account, Contact, IpRange
from services.reference_topics import ReferencePublisher, account_row, contact_row, range_row
from services.warehouse import Warehouse
from streams.attribution.ip_ranges import IpRangeTable, RangeClaim
from streams.reference import range_key

M = TypeVar("M", bound=BaseModel)

ACCOUNT_HEADER = ("account_id", "name", "domains", "ip_ranges", "tier")
ACCOUNT_COLUMNS = [*ACCOUNT_HEADER, "parent_account_id", "ultimate_parent_id", "customer",
                   "owner_email"]
CONTACT_HEADER = ("email", "account_id")
IP_RANGE_HEADER = ("cidr", "account_id", "kind", "source")


class CsvError(ValueError):
    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{path}: nothing loaded, {len(problems)} problem(s):\n  "
                         + "\n  ".join(self.problems[:20]) + more)


def read_csv(path: Path, model: type[M], required: Sequence[str]) -> list[M]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            raise CsvError(path, [f"header lacks column(s) {', '.join(missing)}; "
                                  f"expected at least: {','.join(required)}"])
        rows, problems = [], []
        for row in reader:
            clean = {(k or "").strip(): (v or "") for k, v in row.items()}
            try:
                rows.append(model.model_validate(clean))
            except ValidationError as err:
                for e in err.errors(include_url=False, include_input=False):
                    field = ".".join(str(p) for p in e["loc"])
                    where = f"{field}: " if field else ""
                    problems.append(f"line {reader.line_num}: {where}"
                                    f"{e['msg'].removeprefix('Value error, ')}")
    if problems:
        raise CsvError(path, problems)
    return rows


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


def load_accounts(warehouse: Warehouse, publisher: ReferencePublisher, path: Path) -> int:
    accounts = read_csv(path, Account, ACCOUNT_HEADER)
    _unique(path, [a.account_id for a in accounts], "account_id")
    return insert_accounts(warehouse, publisher, accounts)


def insert_accounts(warehouse: Warehouse, publisher: ReferencePublisher,
                    accounts: Sequence[Account]) -> int:
    """Store accounts, re-resolving ultimate parents of every account a change touches.

    The compacted topic (what running workers follow) first, then the warehouse copy."""
    stored = {r[0]: r for r in warehouse.query(
        "SELECT account_id, name, domains, ip_ranges, tier, parent_account_id, "
        "ultimate_parent_id, customer, owner_email FROM abm.accounts FINAL").rows}
    rows = {a.account_id: (a.account_id, a.name, a.domains, a.ip_ranges, a.tier,
                           a.parent_account_id, "", int(a.customer), a.owner_email or "")
            for a in accounts}
    merged = {**stored, **rows}
    tops = ultimate_parents({k: str(r[5]) for k, r in merged.items()})
    out = [[*r[:6], tops[k], *r[7:]] for k, r in merged.items()
           if k in rows or stored[k][6] != tops[k]]
    publisher.send("accounts", (account_row(r) for r in out))
    warehouse.insert("abm.accounts", ACCOUNT_COLUMNS, out)
    return len(rows)


def load_contacts(warehouse: Warehouse, publisher: ReferencePublisher, path: Path) -> int:
    contacts = read_csv(path, Contact, CONTACT_HEADER)
    _unique(path, [c.email for c in contacts], "email")
    return insert_contacts(warehouse, publisher, contacts)


def insert_contacts(warehouse: Warehouse, publisher: ReferencePublisher,
                    contacts: Sequence[Contact]) -> int:
    publisher.send("contacts", (contact_row(c.email, c.account_id, c.title) for c in contacts))
    return warehouse.insert("abm.contacts", [*CONTACT_HEADER, "title"],
                            [[c.email, c.account_id, c.title] for c in contacts])


def _unique(path: Path, keys: list[str], what: str) -> None:
    seen: set[str] = set()
    dupes = sorted({k for k in keys if k in seen or seen.add(k)})  # type: ignore[func-returns-value]
    if dupes:
        raise CsvError(path, [f"{what} {d!r} appears more than once" for d in dupes])


def load_ip_ranges(warehouse: Warehouse, publisher: ReferencePublisher,
                   path: Path) -> tuple[int, list[str]]:
    """Load ranges; returns how many and the equal-prefix conflicts they take part in."""
    return insert_ip_ranges(warehouse, publisher, read_csv(path, IpRange, IP_RANGE_HEADER))


def insert_ip_ranges(warehouse: Warehouse, publisher: ReferencePublisher,
                     ranges: Sequence[IpRange]) -> tuple[int, list[str]]:
    existing = [RangeClaim(c, a, k, "ip_ranges") for c, a, k in warehouse.query(
        "SELECT cidr, account_id, kind FROM abm.ip_ranges FINAL").rows]
    for account_id, cidrs in warehouse.query(
            "SELECT account_id, ip_ranges FROM abm.accounts FINAL").rows:
        existing.extend(RangeClaim(c, account_id, "company", "accounts") for c in cidrs)
    new_cidrs = {r.cidr for r in ranges}
    table = IpRangeTable([*existing, *(RangeClaim(r.cidr, r.account_id, r.kind, "ip_ranges")
                                       for r in ranges)])
    conflicts = [c for c in table.conflicts if c.split(":", 1)[0] in new_cidrs]
    publisher.send("ip_ranges", (range_row(r.cidr, r.account_id, r.kind, r.source)
                                 for r in ranges))
    n = warehouse.insert("abm.ip_ranges", list(IP_RANGE_HEADER),
                         [[r.cidr, r.account_id, r.kind, r.source] for r in ranges])
    return n, conflicts


def remove_ip_ranges(warehouse: Warehouse, publisher: ReferencePublisher, path: Path) -> int:
    """Withdraw ranges (same CSV format): a tombstone on the topic, a delete in the copy."""
    ranges = read_csv(path, IpRange, IP_RANGE_HEADER)
    publisher.delete("ip_ranges", (range_key(r.cidr, r.kind, r.account_id) for r in ranges))
    for r in ranges:
        warehouse.query(
            "ALTER TABLE abm.ip_ranges DELETE WHERE cidr = " + sql_string(r.cidr)
            + " AND kind = " + sql_string(r.kind) + " AND account_id = "
            + sql_string(r.account_id) + " SETTINGS mutations_sync = 1", readonly=False)
    return len(ranges)


def sql_string(value: str) -> str:
    """A ClickHouse string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
