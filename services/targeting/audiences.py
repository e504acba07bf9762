"""Audiences for ad platforms: the accounts of a stage, grade and surge selection, written
as LinkedIn's company list or as a plain CSV. Pure: rows in, files' text out.

LinkedIn matches companies, not people, from its company-list template; a campaign needs at
least 300 matched companies (LinkedIn recommends 1,000 or more), a list takes up to 48
hours to match, and an upload holds at most 300,000 rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

# LinkedIn's company list template, exactly (a golden test keeps it so).
LINKEDIN_HEADER = ("companyname", "companywebsite", "companyemaildomain",
                   "linkedincompanypageurl", "stocksymbol", "industry", "city", "state",
                   "companycountry", "zipcode")
CSV_HEADER = ("account_id", "name", "domains", "tier", "grade", "fit", "stage", "industry",
              "employees", "city", "region", "country", "zip", "linkedin_url", "stock_symbol")
MIN_ROWS = 300  # LinkedIn serves no smaller audience
RECOMMENDED_ROWS = 1_000
MAX_ROWS_PER_FILE = 300_000
FORMATS = ("linkedin", "csv")


class Readiness(NamedTuple):
    rows: int
    with_website: int
    with_linkedin: int


def linkedin_row(a: Mapping[str, Any]) -> list[str]:
    domain = (a.get("domains") or [""])[0]
    return [a.get("name") or "", domain, domain, a.get("linkedin_url") or "",
            a.get("stock_symbol") or "", a.get("industry") or "", a.get("city") or "",
            a.get("region") or "", a.get("country") or "", a.get("zip") or ""]


def csv_row(a: Mapping[str, Any]) -> list[str]:
    return [str(a.get(c) if a.get(c) is not None else "") if c != "domains"
            else ";".join(a.get("domains") or []) for c in CSV_HEADER]


def files(accounts: Sequence[Mapping[str, Any]], fmt: str,
          max_rows: int = MAX_ROWS_PER_FILE) -> list[str]:
    """The CSV text of each file: one per ``max_rows`` accounts, each with the header."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown audience format {fmt!r}: linkedin or csv")
    header, row = (LINKEDIN_HEADER, linkedin_row) if fmt == "linkedin" else (CSV_HEADER,
                                                                             csv_row)
    out = []
    for start in range(0, max(1, len(accounts)), max_rows):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows(row(a) for a in accounts[start:start + max_rows])
        out.append(buf.getvalue())
    return out


def readiness(accounts: Sequence[Mapping[str, Any]]) -> Readiness:
    return Readiness(len(accounts), sum(1 for a in accounts if a.get("domains")),
                     sum(1 for a in accounts if a.get("linkedin_url")))


def check_size(rows: int, force: bool) -> str:
    """A warning to print ('' when none); raises below LinkedIn's minimum unless forced."""
    if rows < MIN_ROWS and not force:
        raise RuntimeError(f"{rows} accounts: LinkedIn serves no audience under {MIN_ROWS} "
                           "matched companies. Widen the selection, or pass --force to "
                           "write it anyway.")
    if rows < RECOMMENDED_ROWS:
        return (f"{rows} accounts: LinkedIn recommends at least {RECOMMENDED_ROWS:,}, and "
                "not every company will match")
    return ""


def diff(before: set[str], now: set[str]) -> tuple[list[str], list[str]]:
    """Accounts added and removed since the previous export."""
    return sorted(now - before), sorted(before - now)
