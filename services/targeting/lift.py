"""Lift: treatment against control, per account, with honest intervals. Rates get Wilson
intervals; money per account a bootstrap interval (SciPy's, percentile, seeded), since
pipeline per account is mostly zeros and a few large deals, far from normal."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

import numpy as np


class AccountOutcome(NamedTuple):
    """One account over the lift window."""

    account_id: str
    arm: str  # control | treatment
    engaged: bool  # reached the engaged stage or higher
    opportunities: int  # created in the window
    pipeline: Decimal  # their amount
    won: int
    closed: int
    days_to_opportunity: float | None  # from the window's start to the first one


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float] | None:
    """The Wilson score interval of k successes in n (None when n = 0)."""
    if n == 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_mean(values: Sequence[float], seed: int = 0, resamples: int = 5000
                   ) -> tuple[float, float] | None:
    """A 95% percentile-bootstrap interval of the mean (None below 2 values; a constant
    sample's interval is the constant)."""
    if len(values) < 2:
        return None
    if len(set(values)) == 1:
        return float(values[0]), float(values[0])
    from scipy.stats import bootstrap

    # Batches bound the memory: 100 resamples of 100,000 accounts at a time is 80 MB.
    r = bootstrap((np.asarray(values, dtype=float),), np.mean, n_resamples=resamples,
                  confidence_level=0.95, method="percentile", batch=100,
                  rng=np.random.default_rng(seed))
    return float(r.confidence_interval.low), float(r.confidence_interval.high)


def side(outcomes: Sequence[AccountOutcome], seed: int = 0) -> dict[str, Any]:
    n = len(outcomes)
    with_opp = [o for o in outcomes if o.opportunities]
    pipeline = [float(o.pipeline) for o in outcomes]
    closed = sum(o.closed for o in outcomes)
    days = [o.days_to_opportunity for o in with_opp if o.days_to_opportunity is not None]
    ci = wilson(len(with_opp), n)
    boot = bootstrap_mean(pipeline, seed)
    return {
        "accounts": n,
        "engaged_share": sum(o.engaged for o in outcomes) / n if n else None,
        "opportunities": sum(o.opportunities for o in outcomes),
        "opportunity_rate": len(with_opp) / n if n else None,
        "opportunity_rate_ci95": list(ci) if ci else None,
        "pipeline": round(sum(pipeline), 2),
        "pipeline_per_account": round(sum(pipeline) / n, 2) if n else None,
        "pipeline_per_account_ci95": [round(x, 2) for x in boot] if boot else None,
        "win_rate": sum(o.won for o in outcomes) / closed if closed else None,
        "median_days_to_opportunity": statistics.median(days) if days else None,
    }


RATIOS = ("engaged_share", "opportunity_rate", "pipeline_per_account", "win_rate")


def lift(outcomes: Sequence[AccountOutcome], seed: int = 0) -> dict[str, Any]:
    """``{treatment: {...}, control: {...}, lift: {...}}``; each lift is treatment over
    control (None when control's is 0 or unknown)."""
    t = side([o for o in outcomes if o.arm == "treatment"], seed)
    c = side([o for o in outcomes if o.arm == "control"], seed + 1)
    ratios = {k: (t[k] / c[k] if t[k] is not None and c[k] else None) for k in RATIOS}
    return {"treatment": t, "control": c, "lift": ratios}


def table(r: dict[str, object]) -> tuple[list[str], list[list[str]]]:
    """The lift as a table a person reads: a row per measure."""
    t, c, x = (r[k] for k in ("treatment", "control", "lift"))
    assert isinstance(t, dict) and isinstance(c, dict) and isinstance(x, dict)
    cur = r.get("currency") or ""

    def pct(v: object) -> str:
        return "–" if v is None else f"{float(v):.1%}"  # type: ignore[arg-type]

    def ci(v: object, f: object) -> str:
        return "" if not v else f" ({f(v[0])}–{f(v[1])})"  # type: ignore[index, operator]

    def money(v: object) -> str:
        return "–" if v is None else f"{cur} {float(v):,.2f}".strip()  # type: ignore[arg-type]

    def ratio(v: object) -> str:
        return "–" if v is None else f"{float(v):.2f}x"  # type: ignore[arg-type]

    def days(v: object) -> str:
        return "–" if v is None else f"{float(v):.1f}"  # type: ignore[arg-type]

    rows = [
        ["accounts", str(t["accounts"]), str(c["accounts"]), ""],
        ["engaged share", pct(t["engaged_share"]), pct(c["engaged_share"]),
         ratio(x["engaged_share"])],
        ["opportunity rate (95%)", pct(t["opportunity_rate"]) + ci(
            t["opportunity_rate_ci95"], pct), pct(c["opportunity_rate"]) + ci(
            c["opportunity_rate_ci95"], pct), ratio(x["opportunity_rate"])],
        ["pipeline per account (95%)", money(t["pipeline_per_account"]) + ci(
            t["pipeline_per_account_ci95"], money), money(c["pipeline_per_account"]) + ci(
            c["pipeline_per_account_ci95"], money), ratio(x["pipeline_per_account"])],
        ["win rate", pct(t["win_rate"]), pct(c["win_rate"]), ratio(x["win_rate"])],
        ["median days to opportunity", days(t["median_days_to_opportunity"]),
         days(c["median_days_to_opportunity"]), ""],
    ]
    return ["measure", "treatment", "control", "lift"], rows
