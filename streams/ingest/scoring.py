"""Engagement scoring: a versioned rule set (TOML), applied per event at ingest and to
history by `pulse rescore`, with the same arithmetic on both paths."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from infra import SCORING_DIR

DEFAULT_RULES = SCORING_DIR / "rules.toml"


@dataclass(frozen=True)
class ScoringRules:
    version: str
    half_life_days: float
    type_weights: dict[str, float]
    url_classes: tuple[tuple[str, tuple[str, ...], float], ...]  # name, prefixes, weight
    tier_multipliers: dict[str, float]
    personas: tuple[tuple[str, frozenset[str], float], ...]  # name, words, multiplier
    # Answers already worked out (the same pages and combinations come again and again).
    _classes: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    _scores: dict[tuple[str, str, str, str], float] = field(default_factory=dict, compare=False,
                                                             repr=False)

    def url_class(self, url: str | None) -> str:
        if not url:
            return ""
        path = urlsplit(url).path.lower() or "/"
        known = self._classes.get(path)
        if known is None:
            if len(self._classes) > 100_000:
                self._classes.clear()
            known = self._classes[path] = self._url_class(path)
        return known

    def _url_class(self, path: str) -> str:
        for name, prefixes, _ in self.url_classes:
            if any(path == p or path.startswith(p + "/") for p in prefixes):
                return name
        return "other"

    def persona(self, title: str | None) -> str:
        if not title:
            return ""
        words = set(re.findall(r"[a-z]+", title.lower()))
        for name, persona_words, _ in self.personas:
            if words & persona_words:
                return name
        return "other"

    def score(self, event_type: str, url_class: str, tier: str, persona: str) -> float:
        key = (event_type, url_class, tier, persona)
        known = self._scores.get(key)
        if known is None:
            if len(self._scores) > 10_000:
                self._scores.clear()
            known = self._scores[key] = self._score(*key)
        return known

    def _score(self, event_type: str, url_class: str, tier: str, persona: str) -> float:
        weight = self.type_weights.get(event_type, 0.0)
        if event_type == "web_visit":
            weight *= next((w for n, _, w in self.url_classes if n == url_class), 1.0)
        weight *= self.tier_multipliers.get(tier, 1.0)
        weight *= next((m for n, _, m in self.personas if n == persona), 1.0)
        return round(weight, 4)

    def sql_parameters(self) -> dict[str, object]:
        """The same rules as arrays for `rescore.sql` (no SQL is built from strings)."""
        prefixes = [(p, n) for n, ps, _ in self.url_classes for p in ps]
        return {
            "version": self.version,
            "types": list(self.type_weights), "type_weights": list(self.type_weights.values()),
            "prefixes": [p for p, _ in prefixes], "prefix_classes": [n for _, n in prefixes],
            "classes": [n for n, _, _ in self.url_classes],
            "class_weights": [w for _, _, w in self.url_classes],
            "tiers": list(self.tier_multipliers),
            "tier_multipliers": list(self.tier_multipliers.values()),
            "personas": [n for n, _, _ in self.personas],
            "persona_multipliers": [m for _, _, m in self.personas],
        }


@lru_cache(maxsize=1)
def default_rules() -> ScoringRules:
    return load_rules(DEFAULT_RULES)


def load_rules(path: Path = DEFAULT_RULES) -> ScoringRules:
    data = tomllib.loads(path.read_text())
    return ScoringRules(
        version=str(data["version"]),
        half_life_days=float(data.get("half_life_days", 14.0)),
        type_weights={k: float(v) for k, v in data["type_weights"].items()},
        url_classes=tuple((c["name"], tuple(p.lower().rstrip("/") or "/" for p in c["prefixes"]),
                           float(c["weight"])) for c in data.get("url_classes", [])),
        tier_multipliers={str(k): float(v) for k, v in data.get("tier_multipliers", {}).items()},
        personas=tuple((p["name"], frozenset(w.lower() for w in p["words"]),
                        float(p["multiplier"])) for p in data.get("personas", [])),
    )
