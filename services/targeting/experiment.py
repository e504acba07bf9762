"""The warehouse edge of the control group: assign and freeze it (topic and table), read the
assignment in force, and gather each account's outcomes for ``pulse lift``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from infra import query
from schemas.control import ControlAssignment
from services.revenue import influence, reports
from services.targeting import control, lift
from services.warehouse import Warehouse
from streams.stages.rules import RANK

Read = Callable[[str, dict[str, Any]], list[tuple[Any, ...]]]
ASSIGNMENT_COLUMNS = ["assignment_id", "account_id", "arm", "stratum", "share", "seed",
                      "stratify", "assigned_by", "assigned_at", "reason"]


class InForce(NamedTuple):
    assignment_id: str
    assigned_by: str
    assigned_at: datetime
    share: float
    seed: int
    stratify: list[str]
    control: int
    treatment: int


def in_force(read: Read) -> InForce | None:
    rows = read("SELECT assignment_id, any(assigned_by), any(assigned_at), any(share), "
                "any(seed), any(stratify), countIf(arm = 'control'), "
                "countIf(arm = 'treatment') FROM abm.control_assignments FINAL "
                "GROUP BY assignment_id ORDER BY any(assigned_at) DESC LIMIT 1", {})
    if not rows:
        return None
    a, by, at, share, seed, strat, c, t = rows[0]
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return InForce(a, by, at, float(share), int(seed), list(strat), int(c), int(t))


def control_accounts(read: Read) -> set[str]:
    """The accounts the programme must leave alone now."""
    return {a for (a,) in read("SELECT account_id FROM abm.control_current "
                               "WHERE arm = 'control'", {})}


def assign(wh: Warehouse, publish: Callable[[list[tuple[str, dict[str, Any]]]], Any],
           share: float, seed: int, stratify: Sequence[str], by: str, reassign: bool,
           reason: str = "") -> tuple[InForce, dict[str, control.Placement]]:
    """Draw and freeze a control group over the target accounts. An assignment in force is
    kept unless ``reassign``: moving accounts between arms mid-experiment breaks it, so a
    re-assignment is a new, recorded assignment."""
    current = in_force(wh.query_params)
    if current and not reassign:
        raise RuntimeError(
            f"a control group is in force: {current.control} accounts, assigned by "
            f"{current.assigned_by} on {current.assigned_at:%Y-%m-%d %H:%M} UTC (seed "
            f"{current.seed}). Re-assigning restarts the experiment: pass --reassign to "
            "record a new assignment.")
    names = ("account_id", "tier", "grade", "country", "industry")
    accounts = [dict(zip(names, r, strict=True))
                for r in wh.query_params(query("control_accounts"), {})]
    if not accounts:
        raise RuntimeError("no target accounts to assign: load them with `pulse accounts "
                           "load` first")
    placed = control.assign(accounts, share, seed, stratify)
    now = datetime.now(UTC)
    why = reason or (f"re-assignment replacing {current.assignment_id}" if current
                     else "first assignment")
    assignment_id = str(uuid.uuid4())
    records = [ControlAssignment(
        assignment_id=assignment_id, account_id=a, arm=p.arm, stratum=p.stratum,
        share=share, seed=seed, stratify=list(stratify), assigned_by=by, assigned_at=now,
        reason=why) for a, p in sorted(placed.items())]
    publish([(r.account_id, r.model_dump(mode="json", by_alias=True)) for r in records])
    wh.insert("abm.control_assignments", ASSIGNMENT_COLUMNS,
              [[getattr(r, c) for c in ASSIGNMENT_COLUMNS] for r in records])
    made = in_force(wh.query_params)
    assert made is not None
    return made, placed


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def outcomes(read: Read, version: str, since: datetime, until: datetime
             ) -> tuple[list[lift.AccountOutcome], str]:
    """Each account of the assignment in force over [since, until): engaged or higher at
    some moment (by the stage history of ``version``), its opportunities created, their
    pipeline (in the rates' base currency when amounts differ), wins and days to the
    first; and the pipeline's currency ('' when there is none)."""
    arms: dict[str, str] = dict(read("SELECT account_id, arm FROM abm.control_current", {}))
    window = {"since": since, "until": until}
    best: dict[str, int] = {}
    for account_id, stage, changed_at in read(query("lift_stages"), {**window,
                                                                      "version": version}):
        at = _utc(changed_at)
        rank = RANK.get(stage, 0)
        if at <= since:
            best[account_id] = rank  # the stage it held when the window opened
        else:
            best[account_id] = max(best.get(account_id, 0), rank)
    rows = read(query("lift_opportunities"), window)
    opps = reports.convert([influence.Opportunity(o, a, _utc(c), Decimal(m), cur)
                            for a, o, c, m, cur, _, _ in rows], reports.rates(read))
    currencies = {o.currency for o in opps}
    if len(currencies) > 1:
        raise ValueError(f"opportunities in {', '.join(sorted(currencies))} and no rate for "
                         "each: load them with `pulse opportunities rates` to add pipeline up")
    per: dict[str, list[tuple[influence.Opportunity, bool, bool]]] = {}
    for o, r in zip(opps, rows, strict=True):
        per.setdefault(o.account_id, []).append((o, bool(r[5]), bool(r[6])))
    out = []
    for account_id, arm in sorted(arms.items()):
        mine = per.get(account_id, [])
        first = min((o.created_at for o, _, _ in mine), default=None)
        out.append(lift.AccountOutcome(
            account_id, arm, best.get(account_id, 0) >= RANK["engaged"], len(mine),
            sum((o.amount for o, _, _ in mine), Decimal(0)),
            sum(1 for _, closed, won in mine if closed and won),
            sum(1 for _, closed, _ in mine if closed),
            (first - since) / timedelta(days=1) if first else None))
    return out, next(iter(currencies), "")
