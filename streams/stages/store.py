"""Journey stages' warehouse side: the facts each account is judged on, the stages it is in,
and its changes (``abm.account_stage_changes``).

The same functions serve the surge role's live evaluation (at the pipeline's event-time
watermark) and ``pulse stages replay`` (at each day's end): both read only what had
happened by the moment they evaluate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from infra import query as sql_of
from schemas.alerts import SurgeAlert
from streams.stages.changes import CHANGE_COLUMNS, Change, changes, mqa_alerts
from streams.stages.rules import Facts, StageRules
from streams.surge.detection import AccountInfo

Read = Callable[[str, dict[str, Any]], Sequence[Sequence[Any]]]
Write = Callable[[str, list[str], list[list[Any]]], Any]  # table, columns, rows
SQL = {name: sql_of(f"stage_{name}") for name in ("facts", "current")}


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def facts(read: Read, rules: StageRules, at: datetime,
          owned: Callable[[str], bool] | None = None) -> dict[str, Facts]:
    """Every account's facts at ``at``: tiers with their own windows or intent classes are
    read apart from the rest."""
    special = sorted(t for t in rules.tiers
                     if rules.for_tier(t).windows() != rules.defaults.windows()
                     or rules.for_tier(t).intent_classes != rules.defaults.intent_classes)
    groups: list[tuple[list[str], int, str]] = [(special, 0, "")]
    groups += [([t], 1, t) for t in special]
    out = {}
    for tiers, tiers_in, tier in groups:
        th = rules.for_tier(tier)
        rows = read(SQL["facts"], {
            "at": at, "aware_days": th.aware_days, "engaged_days": th.engaged_days,
            "mqa_days": th.mqa_days, "intent": th.intent_classes, "tiers": tiers,
            "tiers_in": tiers_in})
        for (account_id, t, customer, grade, fit, aware, engaged, score, intent, surged,
             open_opps, won) in rows:
            if owned is None or owned(account_id):
                out[account_id] = Facts(t, bool(customer), grade or "", int(fit or 0),
                                        int(aware or 0), int(engaged or 0), float(score or 0),
                                        int(intent or 0), bool(surged), int(open_opps or 0),
                                        int(won or 0))
    return out


def current(read: Read, version: str, at: datetime) -> dict[str, str]:
    return {a: s for a, s, _ in read(SQL["current"], {"version": version, "at": at})}


def is_unreplayed(read: Read, version: str) -> bool:
    """Rules changed without ``pulse stages replay``: other versions have history, this one
    none. (A fresh deployment, with no history at all, is not: its first MQAs are news.)"""
    versions = {str(v) for (v,) in read(
        "SELECT DISTINCT rules_version FROM abm.account_stage_changes", {})}
    return bool(versions) and version not in versions


def last_mqa(read: Read, account_ids: Iterable[str]) -> dict[str, datetime]:
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    return {a: _utc(t) for a, t in read(
        "SELECT account_id, max(detected_at) FROM abm.surge_alerts WHERE kind = 'mqa' "
        "AND account_id IN {ids:Array(String)} GROUP BY account_id", {"ids": ids})}


def save(write: Write, found: Sequence[Change]) -> None:
    if found:
        write("abm.account_stage_changes", CHANGE_COLUMNS, [list(c) for c in found])


class Evaluation(NamedTuple):
    changes: list[Change]
    alerts: list[SurgeAlert]
    accounts: int
    baseline: bool  # unreplayed rules' first evaluation: changes recorded, no alert raised


def evaluate(read: Read, rules: StageRules, at: datetime, infos: Mapping[str, AccountInfo],
             owned: Callable[[str], bool] | None = None) -> Evaluation:
    """The live step: changes since the last evaluation and the MQA alerts they raise. New
    rules that were not replayed start with a baseline: an account already in MQA under the
    old rules is not news (``pulse stages replay`` builds the version's history instead)."""
    f = facts(read, rules, at, owned)
    baseline = is_unreplayed(read, rules.version)
    found = changes(rules, f, current(read, rules.version, at), at)
    if baseline:
        return Evaluation(found, [], len(f), True)
    entered = [c.account_id for c in found if c.stage == "mqa"]
    alerts = mqa_alerts(rules, found, f, infos, last_mqa(read, entered))
    return Evaluation(found, alerts, len(f), False)


def day_ends(start: date, end: date, now: datetime) -> list[datetime]:
    """The moments a replay evaluates at: the last millisecond of each day in [start, end),
    the last one cut at ``now``."""
    out = []
    day = start
    while day < end:
        moment = datetime.combine(day + timedelta(days=1), time(), UTC) - timedelta(
            milliseconds=1)
        out.append(min(moment, now))
        day += timedelta(days=1)
    return out


def replay(read: Read, write: Write, command: Callable[[str, dict[str, Any]], Any],
           rules: StageRules, moments: Sequence[datetime],
           step: Callable[[int], None] | None = None) -> list[Change]:
    """Rebuild the version's history from ``moments[0]`` on: what it held from then is
    deleted, and each moment sees only its past. No alert is raised."""
    if not moments:
        return []
    command("DELETE FROM abm.account_stage_changes WHERE rules_version = {version:String} "
            "AND changed_at >= {since:DateTime64(3, 'UTC')}",
            {"version": rules.version, "since": moments[0]})
    state = current(read, rules.version, moments[0])
    out: list[Change] = []
    for at in moments:
        found = changes(rules, facts(read, rules, at), state, at)
        for c in found:
            state[c.account_id] = c.stage
        save(write, found)
        out += found
        if step:
            step(1)
    return out
