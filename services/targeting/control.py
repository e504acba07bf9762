"""A control group that is an experiment: a stratified random share of the target
accounts that the programme leaves alone, reproducible from its seed, and the smallest
lift such a design can detect."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any, NamedTuple

STRATIFIERS = ("tier", "grade", "country", "industry")


class Placement(NamedTuple):
    arm: str  # control | treatment
    stratum: str


def stratum_of(account: Mapping[str, Any], stratify: Sequence[str]) -> str:
    return "|".join(f"{k}={account.get(k) or '-'}" for k in stratify)


def assign(accounts: Sequence[Mapping[str, Any]], share: float, seed: int,
           stratify: Sequence[str] = ()) -> dict[str, Placement]:
    """Put round(share x accounts) in control, spread over the strata by largest remainder
    (so every stratum holds its share, and the total is exact), drawn within each stratum by
    a generator seeded from the seed and the stratum: the same accounts, strata and seed give
    the same assignment, whatever order the accounts come in."""
    if not 0 < share < 1:
        raise ValueError("the control share must be between 0 and 1 (e.g. 0.1)")
    unknown = [k for k in stratify if k not in STRATIFIERS]
    if unknown:
        raise ValueError(f"cannot stratify by {', '.join(unknown)}; choose from "
                         f"{', '.join(STRATIFIERS)}")
    strata: dict[str, list[str]] = {}
    for a in accounts:
        strata.setdefault(stratum_of(a, stratify), []).append(str(a["account_id"]))
    total = round(share * len(accounts))
    quotas = {s: share * len(ids) for s, ids in strata.items()}
    counts = {s: math.floor(q) for s, q in quotas.items()}
    left = total - sum(counts.values())
    for s in sorted(quotas, key=lambda s: (-(quotas[s] - counts[s]), s))[:max(0, left)]:
        counts[s] += 1
    out = {}
    for s, ids in sorted(strata.items()):
        chosen = set(random.Random(f"{seed}|{s}").sample(sorted(ids), counts[s]))
        for account_id in ids:
            out[account_id] = Placement("control" if account_id in chosen else "treatment", s)
    return out


class Plan(NamedTuple):
    control: int
    treatment: int
    baseline_rate: float
    detectable_rate: float  # the smallest treatment rate the design tells from baseline

    @property
    def lift(self) -> float:
        return self.detectable_rate / self.baseline_rate


def plan(accounts: int, baseline_rate: float, share: float = 0.1, alpha: float = 0.05,
         power: float = 0.8) -> Plan:
    """The smallest treatment rate a two-sided test of two proportions (normal
    approximation, unpooled variance under the alternative) detects with this power, when
    ``share`` of ``accounts`` are held out and the control converts at ``baseline_rate``."""
    if not 0 < baseline_rate < 1:
        raise ValueError("the baseline rate is a share between 0 and 1 (e.g. 0.05)")
    n_c = round(accounts * share)
    n_t = accounts - n_c
    if n_c < 1 or n_t < 1:
        raise ValueError(f"{accounts} accounts with a {share:.0%} control leave an arm empty")
    z_a, z_b = NormalDist().inv_cdf(1 - alpha / 2), NormalDist().inv_cdf(power)
    p_c = baseline_rate

    def gap(p_t: float) -> float:  # > 0 once p_t is detectable
        p_bar = (p_t * n_t + p_c * n_c) / accounts
        null = math.sqrt(p_bar * (1 - p_bar) * (1 / n_t + 1 / n_c))
        alt = math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
        return (p_t - p_c) - (z_a * null + z_b * alt)

    lo, hi = p_c, 1.0 - 1e-12
    if gap(hi) <= 0:
        return Plan(n_c, n_t, p_c, 1.0)  # not even a certain conversion would show
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if gap(mid) <= 0 else (lo, mid)
    return Plan(n_c, n_t, p_c, hi)
