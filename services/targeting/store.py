"""The warehouse edge of targeting: read accounts and deals with the query files, hand them
to the pure ``fit`` and ``stages``, and land what they decide."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from infra import query
from services.targeting import fit
from services.warehouse import Warehouse

Read = Callable[[str, dict[str, Any]], Sequence[Sequence[Any]]]
FIT_COLUMNS = ["account_id", "score", "grade", "points", "version", "scored_at"]
FIRMOGRAPHICS = ("account_id", "name", "tier", "industry", "employees", "annual_revenue",
                 "country", "region", "city", "technologies")


def firmographics(wh: Warehouse, account_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Accounts as the points rules see them (all, or the ones named)."""
    rows = wh.query_params(query("fit_accounts"), {"ids": account_ids or [],
                                                   "all": int(account_ids is None)})
    return [dict(zip(FIRMOGRAPHICS, r, strict=True)) for r in rows]


def score_accounts(wh: Warehouse, rules: fit.FitRules,
                   account_ids: list[str] | None = None) -> Counter[str]:
    """Score the accounts by ``rules`` and land the scores; the count per grade."""
    now = datetime.now(UTC)
    rows, grades = [], Counter[str]()
    for account in firmographics(wh, account_ids):
        f = fit.score(rules, account)
        grades[f.grade] += 1
        base = [(rules.base, "base", "every account starts here")] if rules.base else []
        rows.append([account["account_id"], f.score, f.grade,
                     base + [(p.points, p.evidence, p.label) for p in f.points], f.version,
                     now])
    wh.insert("abm.account_fit", FIT_COLUMNS, rows)
    return grades


def stored_fit(wh: Warehouse, account_id: str) -> fit.Fit | None:
    """The account's landed fit (what the pages and stages use)."""
    rows = wh.query_params(
        "SELECT score, grade, arrayMap(p -> (p.1, p.2, p.3), points), version "
        "FROM abm.account_fit FINAL "
        "WHERE account_id = {id:String}", {"id": account_id})
    if not rows:
        return None
    score, grade, points, version = rows[0]
    return fit.Fit(int(score), str(grade), [fit.Point(int(p), str(e), str(lab))
                                            for p, e, lab in points], str(version))


AUDIENCE_FIELDS = ("account_id", "name", "domains", "tier", "grade", "fit", "stage",
                   "linkedin_url", "stock_symbol", "industry", "city", "region", "country",
                   "zip", "employees")


def audience_accounts(read: Read, version: str, stages: list[str], grades: list[str],
                      surging: bool) -> list[dict[str, Any]]:
    """The accounts of a selection, control accounts never among them."""
    rows = read(query("audience_accounts"), {"version": version, "stages": stages,
                                             "grades": grades, "surging": int(surging)})
    return [dict(zip(AUDIENCE_FIELDS, r, strict=True)) for r in rows]


def previous_members(read: Read, audience: str) -> set[str] | None:
    """The accounts of the audience's last export (None: never exported)."""
    rows = read("SELECT account_id FROM abm.audience_members WHERE audience = {a:String} "
                "AND export_id = (SELECT argMax(export_id, exported_at) FROM "
                "abm.audience_members WHERE audience = {a:String}) AND account_id != ''",
                {"a": audience})
    if rows:
        return {r[0] for r in rows}
    seen = read("SELECT count() FROM abm.audience_members WHERE audience = {a:String}",
                {"a": audience})
    return set() if seen and seen[0][0] else None


def record_export(wh: Warehouse, audience: str, fmt: str, filters: str,
                  account_ids: list[str]) -> str:
    """Land the export's members (an empty export keeps one blank row, so it counts)."""
    export_id, now = str(uuid.uuid4()), datetime.now(UTC)
    wh.insert("abm.audience_members", ["audience", "export_id", "exported_at", "account_id",
                                       "format", "filters"],
              [[audience, export_id, now, a, fmt, filters] for a in account_ids or [""]])
    return export_id
