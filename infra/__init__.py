"""Data AccountPulse reads at run time: ClickHouse DDL and queries, the scoring rules, the
local broker's configuration. A package, so an installed AccountPulse (not only a checkout)
carries them and can migrate."""

from __future__ import annotations

from pathlib import Path

INFRA_DIR = Path(__file__).resolve().parent
CLICKHOUSE_DIR = INFRA_DIR / "clickhouse"
QUERIES_DIR = CLICKHOUSE_DIR / "queries"
SCORING_DIR = INFRA_DIR / "scoring"
TARGETING_DIR = INFRA_DIR / "targeting"
KAFKA_DIR = INFRA_DIR / "kafka"


def query(name: str) -> str:
    """The text of ``infra/clickhouse/queries/<name>.sql``."""
    return (QUERIES_DIR / f"{name}.sql").read_text()
