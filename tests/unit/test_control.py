"""The control group as an experiment: assignment reproducible from the seed and
stratified, the smallest detectable lift, and the lift intervals against independent
computations (SciPy's Wilson interval, a plain NumPy bootstrap)."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

import numpy as np
import pytest
from scipy.stats import binomtest

from services.targeting import control
from services.targeting.lift import AccountOutcome, bootstrap_mean, lift, wilson


def accounts(n: int = 400) -> list[dict]:
    rng = random.Random(11)
    return [{"account_id": f"acc-{i:04d}", "tier": rng.choice(["1", "2", "3"]),
             "grade": rng.choice(["A", "B", "C", "D"])} for i in range(n)]


def test_assignment_is_reproducible_from_the_seed_in_any_order():
    a = accounts()
    first = control.assign(a, 0.1, seed=42, stratify=["tier", "grade"])
    shuffled = list(reversed(a))
    assert control.assign(shuffled, 0.1, seed=42, stratify=["tier", "grade"]) == first
    other = control.assign(a, 0.1, seed=43, stratify=["tier", "grade"])
    assert {k for k, p in other.items() if p.arm == "control"} != {
        k for k, p in first.items() if p.arm == "control"}


def test_assignment_holds_the_share_in_every_stratum():
    a = accounts()
    placed = control.assign(a, 0.1, seed=1, stratify=["tier", "grade"])
    assert sum(p.arm == "control" for p in placed.values()) == 40  # exactly round(0.1 x 400)
    sizes = Counter(p.stratum for p in placed.values())
    held = Counter(p.stratum for p in placed.values() if p.arm == "control")
    assert len(sizes) == 12
    for stratum, n in sizes.items():
        assert abs(held[stratum] - 0.1 * n) < 1, stratum  # floor or ceiling of its share
    assert next(iter(placed.values())).stratum.startswith("tier=")


def test_assignment_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="between 0 and 1"):
        control.assign(accounts(10), 1.0, seed=1)
    with pytest.raises(ValueError, match="cannot stratify by colour"):
        control.assign(accounts(10), 0.1, seed=1, stratify=["colour"])


def test_plan_gives_the_smallest_detectable_lift():
    small, big = control.plan(1_000, 0.05), control.plan(20_000, 0.05)
    assert (small.control, small.treatment) == (100, 900)
    assert big.detectable_rate < small.detectable_rate  # more accounts, finer detection
    assert 2.5 < small.lift < 3.2 and 1.2 < big.lift < 1.4
    assert control.plan(1_000, 0.05, share=0.5).lift < small.lift  # a balanced design
    with pytest.raises(ValueError, match="leave an arm empty"):
        control.plan(4, 0.05, share=0.1)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (47, 450), (1, 2)])
def test_wilson_matches_scipy(k: int, n: int):
    lo, hi = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson(k, n) == pytest.approx((lo, hi), abs=1e-9)
    assert wilson(0, 0) is None


def test_bootstrap_matches_a_plain_numpy_bootstrap():
    rng = np.random.default_rng(5)
    values = list(rng.choice([0.0, 0.0, 0.0, 0.0, 25_000.0, 120_000.0], size=300))
    ours = bootstrap_mean(values, seed=3, resamples=20_000)
    means = np.array(values)[np.random.default_rng(9).integers(0, 300, (20_000, 300))].mean(1)
    plain = np.percentile(means, [2.5, 97.5])
    assert ours is not None
    assert ours[0] == pytest.approx(plain[0], rel=0.03)
    assert ours[1] == pytest.approx(plain[1], rel=0.03)
    assert bootstrap_mean([5.0], 1) is None and bootstrap_mean([0.0, 0.0], 1) == (0.0, 0.0)


def test_lift_json_holds_both_sides_and_the_ratios():
    outs = [AccountOutcome(f"t{i}", "treatment", i % 2 == 0, int(i < 20), Decimal(
        1000 if i < 20 else 0), int(i < 5), int(i < 10), float(i) if i < 20 else None)
            for i in range(100)]
    outs += [AccountOutcome(f"c{i}", "control", i % 4 == 0, int(i < 1), Decimal(
        500 if i < 1 else 0), 0, 1 if i < 1 else 0, 30.0 if i < 1 else None)
             for i in range(10)]
    r = lift(outs)
    t, c, x = r["treatment"], r["control"], r["lift"]
    assert set(r) == {"treatment", "control", "lift"}
    assert set(t) >= {"accounts", "engaged_share", "opportunity_rate", "opportunity_rate_ci95",
                      "pipeline_per_account", "pipeline_per_account_ci95", "win_rate",
                      "median_days_to_opportunity"}
    assert (t["accounts"], t["engaged_share"], t["opportunity_rate"]) == (100, 0.5, 0.2)
    assert t["opportunity_rate_ci95"] == pytest.approx(list(wilson(20, 100)))
    assert (t["pipeline_per_account"], t["win_rate"], t["median_days_to_opportunity"]) == (
        200.0, 0.5, 9.5)
    assert (c["accounts"], c["opportunity_rate"], c["pipeline_per_account"]) == (10, 0.1, 50.0)
    assert x["opportunity_rate"] == pytest.approx(2.0)
    assert x["pipeline_per_account"] == pytest.approx(4.0)
    assert x["win_rate"] is None  # control won nothing: no ratio
