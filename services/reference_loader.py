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

from schemas.reference import Account, Contact
from services.warehouse import Warehouse

M = TypeVar("M", bound=BaseModel)

ACCOUNT_HEADER = ("account_id", "name", "domains", "ip_ranges", "tier")
CONTACT_HEADER = ("email", "account_id")


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
                    problems.append(f"line {reader.line_num}: {field}: "
                                    f"{e['msg'].removeprefix('Value error, ')}")
    if problems:
        raise CsvError(path, problems)
    return rows


def load_accounts(warehouse: Warehouse, path: Path) -> int:
    accounts = read_csv(path, Account, ACCOUNT_HEADER)
    _unique(path, [a.account_id for a in accounts], "account_id")
    return insert_accounts(warehouse, accounts)


def insert_accounts(warehouse: Warehouse, accounts: Sequence[Account]) -> int:
    return warehouse.insert(
        "abm.accounts", list(ACCOUNT_HEADER),
        [[a.account_id, a.name, a.domains, a.ip_ranges, a.tier] for a in accounts],
    )


def load_contacts(warehouse: Warehouse, path: Path) -> int:
    contacts = read_csv(path, Contact, CONTACT_HEADER)
    _unique(path, [c.email for c in contacts], "email")
    return insert_contacts(warehouse, contacts)


def insert_contacts(warehouse: Warehouse, contacts: Sequence[Contact]) -> int:
    return warehouse.insert("abm.contacts", list(CONTACT_HEADER),
                            [[c.email, c.account_id] for c in contacts])


def _unique(path: Path, keys: list[str], what: str) -> None:
    seen: set[str] = set()
    dupes = sorted({k for k in keys if k in seen or seen.add(k)})  # type: ignore[func-returns-value]
    if dupes:
        raise CsvError(path, [f"{what} {d!r} appears more than once" for d in dupes])
