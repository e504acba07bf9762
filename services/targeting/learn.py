"""Learned fit: a regularised logistic regression of won versus lost accounts, written out
as a points file (``fit.toml``) a person reads, reviews and commits.

Every feature is a rule a person could have written: an industry, a country, a technology,
a band of employees or revenue (or none given). The model's coefficients become points on
one scale, so the lowest possible score is 0 and the highest 100, and the file scores an
account exactly as the model ranks it, up to rounding. Quality is measured on accounts the
model never saw: AUC of the written points, and the won rate per grade.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple

import numpy as np

from services.targeting import fit

MIN_LOST = 20
MIN_ACCOUNTS_PER_VALUE = 5  # rarer values stay out: no rule learned from three accounts
EMPLOYEE_BANDS = (0, 50, 200, 1_000, 5_000, 10_000)
REVENUE_BANDS = (0, 10_000_000, 100_000_000, 1_000_000_000)
CATEGORIES = ("industry", "country")


class Feature(NamedTuple):
    attribute: str
    value: str | None = None  # categories and technologies
    low: float | None = None  # bands: [low, high); both None: missing
    high: float | None = None

    def rule(self, points: int, coefficient: float) -> fit.FitRule:
        label = f"learned, coefficient {coefficient:+.3f}"
        if self.value is not None:
            return fit.FitRule(attribute=self.attribute, points=points,
                               values=[self.value], label=label)
        if self.low is None and self.high is None:
            return fit.FitRule(attribute=self.attribute, points=points,
                               missing=True, label=label)
        return fit.FitRule(attribute=self.attribute, points=points,
                           min=self.low, max=self.high, label=label)


class Learned(NamedTuple):
    rules: fit.FitRules
    won: int
    lost: int
    train: int
    test: int
    auc: float  # of the written points on the held-out accounts
    model_auc: float  # of the model's probabilities on the same accounts
    by_grade: dict[str, tuple[int, int]]  # grade -> (held-out accounts, won)
    c: float  # the regularisation the cross-validation chose


def _bands(edges: Sequence[float], attribute: str) -> list[Feature]:
    out = [Feature(attribute, None, lo, hi) for lo, hi in zip(edges, edges[1:], strict=False)]
    return [*out, Feature(attribute, None, edges[-1], None), Feature(attribute)]


def features(accounts: Sequence[Mapping[str, Any]]) -> list[Feature]:
    """The candidate rules: frequent categories and technologies, and every band."""
    out: list[Feature] = []
    for attribute in CATEGORIES:
        seen = Counter(str(a.get(attribute) or "") for a in accounts)
        out += [Feature(attribute, v) for v, n in sorted(seen.items())
                if v and n >= MIN_ACCOUNTS_PER_VALUE]
    techs = Counter(t for a in accounts for t in set(a.get("technologies") or []))
    out += [Feature("technologies", t) for t, n in sorted(techs.items())
            if n >= MIN_ACCOUNTS_PER_VALUE]
    return out + _bands(EMPLOYEE_BANDS, "employees") + _bands(REVENUE_BANDS, "annual_revenue")


def matrix(accounts: Sequence[Mapping[str, Any]], feats: Sequence[Feature]) -> np.ndarray:
    x = np.zeros((len(accounts), len(feats)))
    for j, f in enumerate(feats):
        test = f.rule(1, 0.0)
        for i, a in enumerate(accounts):
            value = a.get(f.attribute)
            x[i, j] = test.evidence(float(value) if value is not None and f.attribute in
                                    fit.NUMBER else value) is not None
    return x


def to_points(feats: Sequence[Feature], coefficients: Sequence[float]
              ) -> tuple[int, list[fit.FitRule]]:
    """Coefficients on a 0..100 scale. A band group has exactly one member active, so its
    lowest coefficient is its zero; a category or technology not listed scores 0, so a
    negative coefficient stays negative and ``base`` lifts the lowest total to 0."""
    groups: dict[tuple[str, str], list[int]] = {}
    for j, f in enumerate(feats):
        key = (f.attribute, f.value or "") if f.attribute == "technologies" else (
            f.attribute, "")
        groups.setdefault(key, []).append(j)
    shift, span, base = {}, 0.0, 0.0
    for key, members in groups.items():
        betas = [coefficients[j] for j in members]
        banded = key[0] in fit.NUMBER
        low, high = (min(betas), max(betas)) if banded else (min(0.0, *betas),
                                                             max(0.0, *betas))
        span += high - low
        for j in members:
            shift[j] = low if banded else 0.0
        base += 0.0 if banded else -low
    scale = 100.0 / span if span > 0 else 0.0
    rules = []
    for j, f in enumerate(feats):
        points = round((coefficients[j] - shift[j]) * scale)
        if points:
            rules.append(f.rule(points, coefficients[j]))
    return round(base * scale) if span > 0 else 50, rules


def _grades(scores: Sequence[int]) -> dict[str, int]:
    """Quartiles of the training scores: A is the top quarter, D the bottom."""
    cuts = [int(np.percentile(scores, q)) for q in (75, 50, 25)]
    out, floor = {}, 0
    for grade, cut in reversed(list(zip("ABC", cuts, strict=True))):
        floor = max(cut, floor + 1)
        out[grade] = floor
    return {**dict(reversed(list(out.items()))), "D": 0}


def learn(accounts: Sequence[Mapping[str, Any]], won: Sequence[bool], version: str,
          min_won: int = 50, seed: int = 0, test_share: float = 0.25) -> Learned:
    """Fit, measure on held-out accounts, and express the model as points rules."""
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    n_won = sum(won)
    n_lost = len(won) - n_won
    if n_won < min_won:
        raise RuntimeError(
            f"{n_won} won accounts: a learned fit needs at least {min_won} (PULSE_FIT_MIN_WON)"
            ", or it learns noise. Keep writing fit.toml by hand until then.")
    if n_lost < MIN_LOST:
        raise RuntimeError(f"{n_lost} lost accounts: a learned fit needs at least {MIN_LOST} "
                           "to tell what winning looks like.")
    feats = features(accounts)
    x, y = matrix(accounts, feats), np.array(won, dtype=int)
    idx = np.arange(len(accounts))
    train, test = train_test_split(idx, test_size=test_share, random_state=seed, stratify=y)
    model = LogisticRegressionCV(Cs=10, cv=5, scoring="roc_auc", max_iter=5000,
                                 l1_ratios=(0.0,), use_legacy_attributes=False,
                                 random_state=seed)  # L2: every rule kept, shrunk
    model.fit(x[train], y[train])
    base, rules = to_points(feats, [float(b) for b in model.coef_[0]])
    draft = fit.FitRules(version=version, base=max(0, min(100, base)), rules=rules)
    train_scores = [fit.score(draft, accounts[i]).score for i in train]
    final = draft.model_copy(update={"grades": _grades(train_scores)})
    test_scores = [fit.score(final, accounts[i]) for i in test]
    by_grade = {g: (0, 0) for g in final.grades}
    for f, i in zip(test_scores, test, strict=True):
        n, w = by_grade[f.grade]
        by_grade[f.grade] = (n + 1, w + int(y[i]))
    return Learned(final, n_won, n_lost, len(train), len(test),
                   float(roc_auc_score(y[test], [f.score for f in test_scores])),
                   float(roc_auc_score(y[test], model.predict_proba(x[test])[:, 1])),
                   by_grade, float(np.ravel(model.C_)[0]))


def to_toml(learned: Learned, today: date) -> str:
    """The points file, with how it was learned in its comments."""
    r = learned.rules
    lines = [
        f"# Learned by `pulse fit learn` on {today.isoformat()} from {learned.won} won and "
        f"{learned.lost} lost accounts",
        f"# (regularised logistic regression, C = {learned.c:.4g} chosen by 5-fold "
        "cross-validation).",
        f"# On {learned.test} held-out accounts: AUC {learned.auc:.3f} "
        f"(the model itself {learned.model_auc:.3f}).",
        "# Won rate by grade on them: " + "; ".join(
            f"{g} {w}/{n}" for g, (n, w) in learned.by_grade.items()) + ".",
        "# Review every rule before committing it: a rule that makes no business sense is a",
        "# property of the sample, not of the customers.",
        f"version = {json.dumps(r.version)}",
        f"base = {r.base}",
        "",
        "[grades]",
        *(f"{g} = {cut}" for g, cut in r.grades.items()),
    ]
    for rule in r.rules:
        lines += ["", "[[rules]]", f"attribute = {json.dumps(rule.attribute)}"]
        if rule.values:
            lines.append(f"values = {json.dumps(rule.values, ensure_ascii=False)}")
        elif rule.missing:
            lines.append("missing = true")
        else:
            lines += [f"{k} = {_toml_number(v)}" for k, v in (("min", rule.min),
                                                              ("max", rule.max)) if v is not None]
        lines += [f"points = {rule.points}", f"label = {json.dumps(rule.label)}"]
    return "\n".join(lines) + "\n"


def _toml_number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)
