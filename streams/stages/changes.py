"""Stage changes and MQA alerts from one evaluation: pure, shared by the surge role's live
evaluation and ``pulse stages replay``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from schemas.alerts import SurgeAlert
from streams.stages.rules import RANK, Facts, StageRules, stage_of
from streams.surge.detection import AccountInfo
from streams.surge.episodes import alert_id

CHANGE_COLUMNS = ["account_id", "stage", "previous_stage", "changed_at", "rules_version",
                  "reason"]


class Change(NamedTuple):
    account_id: str
    stage: str
    previous_stage: str
    changed_at: datetime
    rules_version: str
    reason: str


def changes(rules: StageRules, facts: Mapping[str, Facts], current: Mapping[str, str],
            at: datetime) -> list[Change]:
    """Every account whose stage at ``at`` differs from its current one (none: unaware)."""
    out = []
    for account_id, f in facts.items():
        stage, reason = stage_of(f, rules)
        before = current.get(account_id, "unaware")
        if stage != before:
            out.append(Change(account_id, stage, before, at, rules.version, reason))
    return out


def mqa_alerts(rules: StageRules, found: list[Change], facts: Mapping[str, Facts],
               infos: Mapping[str, AccountInfo], last_mqa: Mapping[str, datetime]
               ) -> list[SurgeAlert]:
    """An alert for each account entering MQA from below (an account leaving a deal is not
    news), unless it had one in the last ``mqa_realert_days``."""
    out = []
    quiet = timedelta(days=rules.mqa_realert_days)
    for c in found:
        if c.stage != "mqa" or RANK[c.previous_stage] > RANK["mqa"]:
            continue
        last = last_mqa.get(c.account_id)
        if last is not None and c.changed_at - last < quiet:
            continue
        f, info = facts[c.account_id], infos.get(c.account_id) or AccountInfo()
        t = rules.for_tier(f.tier)
        out.append(SurgeAlert(
            alert_id=alert_id(c.account_id, "stage", c.changed_at.timestamp(), 0),
            account_id=c.account_id, account_name=info.name or c.account_id, tier=f.tier,
            owner_email=info.owner_email or "", kind="mqa", mode="stage",
            detected_at=c.changed_at, window_start=c.changed_at - timedelta(days=t.mqa_days),
            window_end=c.changed_at, score=float(f.fit), baseline_multiple=0.0,
            people=f.engaged_people, high_intent=f.high_intent, recent=f.engaged_score,
            reason=f"became a marketing-qualified account: {c.reason}",
            episode_started_at=c.changed_at))
    return out
