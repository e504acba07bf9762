from __future__ import annotations

import json
from typing import Any, NamedTuple

# How much each method's answer is worth (the strongest evidence first).
CONFIDENCE = {"contact": 1.0, "email_domain": 0.95, "stitched": 0.9, "ip_range": 0.8,
              "company_name": 0.7, "learned_ip": 0.6}


class Attribution(NamedTuple):
    """Which account an event belongs to, how sure we are, and why."""

    account_id: str
    method: str  # contact | email_domain | ip_range | company_name | "" (no match)
    confidence: float
    evidence: dict[str, Any] = {}  # never mutated: evidence dicts are built fresh
    non_human: str = ""  # why the event is machine traffic, "" for a person
    ip_block: str = ""  # the IP's /24 or /48 when no range claims it: evidence to learn from

    def evidence_json(self) -> str:
        if not self.evidence:
            return ""
        evidence = self.evidence
        # Evidence of strings only repeats (a range, a domain, a contact): written once.
        # Numbers are left out (1 == 1.0 == True as keys, not as JSON), nested values too.
        if not all(type(v) is str for v in evidence.values()):
            return json.dumps(evidence, sort_keys=True, ensure_ascii=False)
        key = tuple(evidence.items())
        known = _WRITTEN.get(key)
        if known is None:
            if len(_WRITTEN) > 50_000:
                _WRITTEN.clear()
            known = _WRITTEN[key] = json.dumps(evidence, sort_keys=True, ensure_ascii=False)
        return known


_WRITTEN: dict[tuple[tuple[str, str], ...], str] = {}


NO_MATCH = Attribution(account_id="", method="", confidence=0.0)
