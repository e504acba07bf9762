"""``pulse rescore``: re-score all history under the current scoring rules.

Deterministic: the same events and rules give the same scores, the same arithmetic as at
ingest (streams/scoring.py passes its rules to rescore.sql as arrays). Each event gets a
new row version (ReplacingMergeTree), so nothing is counted twice; the rules applied are
recorded in abm.scoring_rules, whose half-life the decayed account score uses.
"""

from __future__ import annotations

from pathlib import Path

from infra import query
from services.warehouse import Warehouse
from streams.ingest.scoring import DEFAULT_RULES, load_rules

RESCORE_SQL = query("rescore")


def rescore(warehouse: Warehouse, rules_path: Path = DEFAULT_RULES) -> tuple[str, int]:
    rules = load_rules(rules_path)
    warehouse.command(RESCORE_SQL, rules.sql_parameters())
    warehouse.insert("abm.scoring_rules", ["version", "half_life_days", "rules"],
                     [[rules.version, rules.half_life_days, rules_path.read_text()]])
    events = int(warehouse.query("SELECT count() FROM abm.events FINAL").rows[0][0])
    return rules.version, events
