from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Attribution:
    account_id: str
    method: str  # contact | email_domain | ip_range | "" (no match)
    confidence: float
    evidence: str  # the contact, domain or range that decided it


NO_MATCH = Attribution(account_id="", method="", confidence=0.0, evidence="")
