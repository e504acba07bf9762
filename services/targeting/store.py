"""The warehouse edge of targeting: read accounts and deals with the query files, hand them
to the pure ``fit`` and ``stages``, and land what they decide."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from infra import query
from services.targeting import fit
from services.warehouse import Warehouse

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
