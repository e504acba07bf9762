"""``pulse opportunities load``: a CRM export -> validated, matched opportunities -> the
compacted ``opportunities`` topic and ``abm.opportunities`` / ``abm.opportunity_stages``.

All or nothing, like the other reference loads: every problem is reported with its line and
a file with any problem loads nothing. Each input line gets a status for the report:
imported (new), updated (a newer version), unchanged (the same or an older version than the
stored one, which stays), deleted (IsDeleted), unmatched (kept, no account found: the
reason says what was tried) or refused (the file's problem on that line).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from schemas.opportunities import Opportunity
from services.reference.loader import CsvError, raw_problems
from services.reference.topics import MAX_RECORD_BYTES, ReferencePublisher
from services.revenue import crm_formats
from services.revenue.matching import AccountIndex
from services.warehouse import Warehouse

COLUMNS = ["opportunity_id", "account_id", "match_method", "match_evidence", "crm_account_id",
           "account_domain", "name", "stage", "amount", "currency", "created_at", "close_date",
           "is_closed", "is_won", "probability", "type", "source", "updated_at", "is_deleted"]
STAGE_COLUMNS = ["opportunity_id", "stage", "entered_at", "dated"]
STORED_SQL = ("SELECT opportunity_id, updated_at, stage, account_id FROM abm.opportunities "
              "FINAL WHERE opportunity_id IN {ids:Array(String)}")
REPORT_HEADER = ["line", "opportunity_id", "status", "account_id", "match_method", "reason"]


@dataclass(frozen=True)
class Line:
    line: int
    opportunity_id: str
    status: str
    account_id: str = ""
    match_method: str = ""
    reason: str = ""


@dataclass
class LoadResult:
    fmt: str
    lines: list[Line] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for x in self.lines if x.status == status)


class OpportunityFileError(CsvError):
    """Nothing was loaded; ``lines`` holds every line's status for the report."""

    def __init__(self, path: Path | str, problems: Sequence[str], lines: list[Line]) -> None:
        super().__init__(path, problems)
        self.lines = lines


def read(path: Path, fmt: str | None = None, locale: str = "en_US",
         currency: str = "USD", rates: Iterable[str] = ()
         ) -> tuple[str, list[tuple[int, Opportunity]]]:
    """Every row of the file as an (unmatched) opportunity with its line; raises
    OpportunityFileError listing every problem."""
    problems: list[str] = []
    lines: list[Line] = []
    out: list[tuple[int, Opportunity]] = []
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as fh:
        reader = csv.DictReader(fh)
        try:
            header = list(reader.fieldnames or [])
        except csv.Error as err:
            raise CsvError(path, [f"line 1: {err}"]) from None
        try:
            found = fmt or crm_formats.detect(header)
            lay = crm_formats.layout(header, found)
        except ValueError as err:
            raise CsvError(path, [str(err) if str(err).startswith("line ") else
                                  f"line 1: {err}"]) from None
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                problems.append(f"line {reader.line_num}: {err}; stopped reading there")
                break
            line = reader.line_num
            why = "; ".join(raw_problems(row))
            try:
                if why:
                    raise ValueError(why)
                opp = Opportunity.model_validate(
                    crm_formats.record(row, lay, locale, currency))
            except ValidationError as err:
                why = "; ".join(_message(e) for e in err.errors(include_url=False,
                                                                  include_input=False))
            except ValueError as err:
                why = str(err)
            else:
                out.append((line, opp))
                continue
            problems.append(f"line {line}: {why}")
            lines.append(Line(line, (row.get(lay.columns["opportunity_id"]) or "")[:256],
                              "refused", reason=why))
    problems += _duplicates(out, lines)
    problems += _currencies(out, set(rates), lines)
    if problems:
        refused = {x.line for x in lines}
        lines += [Line(n, o.opportunity_id, "not loaded", reason="another line has a problem")
                  for n, o in out if n not in refused]
        raise OpportunityFileError(path, problems, sorted(lines, key=lambda x: x.line))
    return found, out


def _message(e: Any) -> str:
    where = ".".join(str(p) for p in e["loc"])
    return f"{where + ': ' if where else ''}{e['msg'].removeprefix('Value error, ')}"


def _comparable(o: Opportunity) -> str:
    return o.model_dump_json()


def _duplicates(rows: list[tuple[int, Opportunity]], lines: list[Line]) -> list[str]:
    """One id twice with other contents is a problem (which is right?); twice the same is
    one opportunity."""
    first: dict[str, tuple[int, Opportunity]] = {}
    problems = []
    for line, o in rows:
        seen = first.setdefault(o.opportunity_id, (line, o))
        if seen[0] != line and _comparable(seen[1]) != _comparable(o):
            why = (f"opportunity {o.opportunity_id} is also on line {seen[0]} with other "
                   "contents (one line per opportunity; across loads the newest version wins)")
            problems.append(f"line {line}: {why}")
            lines.append(Line(line, o.opportunity_id, "refused", reason=why))
    return problems


def _currencies(rows: list[tuple[int, Opportunity]], rated: set[str],
                lines: list[Line]) -> list[str]:
    """Amounts in several currencies cannot be added up without rates: refuse the mix
    unless every currency of the file has one."""
    used = sorted({o.currency for _, o in rows})
    if len(used) <= 1:
        return []
    unrated = [c for c in used if c not in rated]
    if not unrated:
        return []
    main = max(used, key=lambda c: sum(1 for _, o in rows if o.currency == c))
    problems = []
    for line, o in rows:
        if o.currency != main:
            why = (f"currency {o.currency} in a file mostly in {main}, and no rate for "
                   f"{', '.join(unrated)}: load rates first (pulse opportunities rates)")
            problems.append(f"line {line}: {why}")
            lines.append(Line(line, o.opportunity_id, "refused", reason=why))
    return problems


def match_all(rows: list[tuple[int, Opportunity]], index: AccountIndex
              ) -> list[tuple[int, Opportunity]]:
    out = []
    for line, o in rows:
        m = index.match(o.crm_account_id, o.account_domain, ours=o.source == "pulse")
        out.append((line, o.model_copy(update={"account_id": m.account_id,
                                               "match_method": m.method,
                                               "match_evidence": m.evidence})))
    return out


def account_index(warehouse: Warehouse) -> AccountIndex:
    from streams.attribution.domains import shipped_free_mail_domains

    rows = warehouse.query("SELECT account_id, domains, crm_ids FROM abm.accounts FINAL").rows
    return AccountIndex(((a, d, c) for a, d, c in rows), shipped_free_mail_domains())


def table_row(o: Opportunity) -> list[Any]:
    return [o.opportunity_id, o.account_id, o.match_method, o.match_evidence,
            o.crm_account_id, o.account_domain, o.name, o.stage, o.amount, o.currency,
            o.created_at, o.close_date, int(o.is_closed), int(o.is_won), o.probability,
            o.type, o.source, o.updated_at, int(o.is_deleted)]


def load(warehouse: Warehouse, publisher: ReferencePublisher, path: Path,
         fmt: str | None = None, locale: str = "en_US", currency: str = "USD",
         now: datetime | None = None) -> LoadResult:
    rates = [r[0] for r in warehouse.query("SELECT currency FROM abm.currency_rates FINAL").rows]
    found, rows = read(path, fmt, locale, currency, rates)
    index = account_index(warehouse)
    rows = match_all(rows, index)
    result = LoadResult(found, conflicts=index.conflicts)
    ids = sorted({o.opportunity_id for _, o in rows})
    stored = {r[0]: r for r in warehouse.query_params(STORED_SQL, {"ids": ids})}
    have_stages = {(r[0], r[1]) for r in warehouse.query_params(
        "SELECT opportunity_id, stage FROM abm.opportunity_stages FINAL "
        "WHERE opportunity_id IN {ids:Array(String)}", {"ids": ids})}
    now = now or datetime.now(UTC)
    newest: dict[str, Opportunity] = {}
    for line, o in rows:
        old = stored.get(o.opportunity_id)
        older = old is not None and _utc(old[1]) > o.updated_at
        same = old is not None and _utc(old[1]) == o.updated_at and old[3] == o.account_id
        version = _utc(old[1]).isoformat() if old is not None else ""
        if older:
            status, reason = "unchanged", f"the stored version is newer ({version})"
        elif o.is_deleted:
            status, reason = "deleted", "IsDeleted"
        elif not o.account_id:
            status, reason = "unmatched", o.match_evidence
        elif same:
            status, reason = "unchanged", "the stored version is this one"
        elif old is None:
            status, reason = "imported", o.match_evidence
        else:
            status, reason = "updated", o.match_evidence
        result.lines.append(Line(line, o.opportunity_id, status, o.account_id, o.match_method,
                                 reason))
        if not (older or same):
            newest[o.opportunity_id] = o
    records = [(o.opportunity_id, None if o.is_deleted else json.loads(o.model_dump_json()))
               for o in newest.values()]
    _check_sizes(path, records, {o.opportunity_id: n for n, o in rows})
    stages = _stage_rows(newest.values(), have_stages, now)
    with publisher.transaction():
        publisher.send("opportunities", ((k, v) for k, v in records if v is not None))
        publisher.delete("opportunities", (k for k, v in records if v is None))
        if newest:
            warehouse.insert("abm.opportunities", COLUMNS,
                             [table_row(o) for o in newest.values()])
        if stages:
            warehouse.insert("abm.opportunity_stages", STAGE_COLUMNS, stages)
    return result


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _stage_rows(opps: Iterable[Opportunity], have: set[tuple[str, str]],
                now: datetime) -> list[list[Any]]:
    """A row for each stage not seen before (dated now), and for each stage date the file
    gives (which replaces an undated one)."""
    rows = []
    for o in opps:
        if o.is_deleted:
            continue
        for stage, entered in o.stage_dates.items():
            rows.append([o.opportunity_id, stage, entered, 1])
        if o.stage and o.stage not in o.stage_dates and (o.opportunity_id, o.stage) not in have:
            rows.append([o.opportunity_id, o.stage, now, 0])
    return rows


def _check_sizes(path: Path, records: list[tuple[str, Any]], lines: dict[str, int]) -> None:
    problems = []
    for key, value in records:
        size = len(key.encode()) + len(json.dumps(value, ensure_ascii=False).encode())
        if size > MAX_RECORD_BYTES:
            problems.append(f"line {lines[key]}: {size:,} bytes as an opportunity record "
                            f"(at most {MAX_RECORD_BYTES:,})")
    if problems:
        raise CsvError(path, problems)


def write_report(path: Path, lines: Sequence[Line]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(REPORT_HEADER)
        for x in sorted(lines, key=lambda x: x.line):
            out.writerow([x.line, x.opportunity_id, x.status, x.account_id, x.match_method,
                          _cell(x.reason)])


def _cell(text: str) -> str:
    """A spreadsheet runs a cell starting with = + - @ as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@dataclass(frozen=True)
class Rematch:
    stored: int
    newly_matched: int
    moved: int  # matched before, to another account now
    unmatched: int  # still (or now) without an account


def rematch(warehouse: Warehouse, publisher: ReferencePublisher) -> Rematch:
    """Match every stored opportunity again against the accounts as they are now (after a
    new accounts file with more CRM ids or domains): the ones whose account changes get a
    new row (same version: the later write wins) and a new record on the topic."""
    index = account_index(warehouse)
    rows = warehouse.query_params(f"SELECT {', '.join(COLUMNS)} FROM abm.opportunities FINAL",
                                  {})
    changed: list[Opportunity] = []
    newly = moved = unmatched = 0
    for row in rows:
        o = Opportunity.model_validate(dict(zip(COLUMNS, row, strict=True)))
        m = index.match(o.crm_account_id, o.account_domain, ours=o.source == "pulse")
        unmatched += not m.account_id
        if m.account_id == o.account_id:
            continue
        newly += bool(m.account_id and not o.account_id)
        moved += bool(m.account_id and o.account_id)
        changed.append(o.model_copy(update={"account_id": m.account_id,
                                            "match_method": m.method,
                                            "match_evidence": m.evidence}))
    if changed:
        with publisher.transaction():
            publisher.send("opportunities", ((o.opportunity_id, json.loads(o.model_dump_json()))
                                             for o in changed))
            warehouse.insert("abm.opportunities", COLUMNS, [table_row(o) for o in changed])
    return Rematch(len(rows), newly, moved, unmatched)


def load_rates(warehouse: Warehouse, path: Path, base: str) -> int:
    """``currency,rate`` rows: an amount in currency times rate is in ``base``. Replaces the
    rates loaded before; all or nothing."""
    from schemas.opportunities import currencies

    problems, rows = [], []
    base = base.strip().upper()
    if base not in currencies():
        raise ValueError(f"--base {base!r} is not an ISO 4217 currency code")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not {"currency", "rate"} <= set(reader.fieldnames or []):
            raise CsvError(path, ["line 1: the header needs currency,rate"])
        for row in reader:
            code = (row.get("currency") or "").strip().upper()
            try:
                rate = Decimal((row.get("rate") or "").strip())
                ok = rate.is_finite() and rate > 0
            except ArithmeticError:
                ok = False
            if code not in currencies():
                problems.append(f"line {reader.line_num}: {code!r} is not an ISO 4217 code")
            elif not ok:
                problems.append(f"line {reader.line_num}: rate {row.get('rate')!r} is not a "
                                "positive number")
            else:
                rows.append([code, base, rate])
    if problems:
        raise CsvError(path, problems)
    if not any(r[0] == base for r in rows):
        rows.append([base, base, Decimal(1)])
    warehouse.command("TRUNCATE TABLE abm.currency_rates")
    return warehouse.insert("abm.currency_rates", ["currency", "base", "rate"], rows)
