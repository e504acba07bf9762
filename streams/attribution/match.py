from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Attribution:
    account_id: str
    method: str  # contact | email_domain | ip_range | company_name | "" (no match)
    confidence: float
    evidence: dict[str, Any] = field(default_factory=dict)
    non_human: str = ""  # why the event is machine traffic, "" for a person

    def evidence_json(self) -> str:
        if not self.evidence:
            return ""
        return json.dumps(self.evidence, sort_keys=True, ensure_ascii=False)


NO_MATCH = Attribution(account_id="", method="", confidence=0.0)
