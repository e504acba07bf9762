"""Pipeline influence: each opportunity's credit split over the touches that came before it.

Account level, as most ABM users choose: an opportunity's touches are its account's counted
(human) events in the lookback window before the opportunity was created. Six models:

- ``first`` / ``last``: all to the first / the last touch;
- ``linear``: equal shares;
- ``u_shaped`` (40/20/40): first touch, the touches between, last touch;
- ``w_shaped`` (30/30/30/10): first touch, first known-contact touch, last touch before
  creation, the rest; milestones that fall on one touch add up on it;
- ``time_decay``: a touch ``half_life`` days older earns half as much.

A share whose touches do not exist (no touch between, no known contact) goes to the others
in proportion, so every opportunity's credit is whole. Credit is counted in parts per
million of an opportunity and amounts in cents, both split by the largest-remainder method:
an opportunity's parts always add up to exactly ``UNITS`` and its cents to its amount.
Ties in time are broken by event id, so the same input always gives the same answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

MODELS = ("first", "last", "linear", "u_shaped", "w_shaped", "time_decay")
GROUPINGS = ("campaign", "channel", "account")
UNITS = 1_000_000  # credit parts per opportunity
NO_CAMPAIGN = "(no campaign)"
_SCALE = 1 << 52  # float weights as integers, so the split itself is exact


@dataclass(frozen=True, slots=True)
class Touch:
    event_id: str
    ts: datetime
    channel: str
    campaign_id: str
    account_id: str
    known_contact: bool = False  # a known contact's touch (W-shaped's second milestone)


@dataclass(frozen=True, slots=True)
class Opportunity:
    opportunity_id: str
    account_id: str
    created_at: datetime
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Weights:
    u_shaped: tuple[float, float, float] = (40.0, 20.0, 40.0)
    w_shaped: tuple[float, float, float, float] = (30.0, 30.0, 30.0, 10.0)
    half_life_days: float = 7.0


def apportion(weights: Sequence[int], total: int) -> list[int]:
    """``total`` split in proportion to non-negative integer ``weights`` by the largest
    remainder: whole parts that add up to exactly ``total``; ties go to the earlier."""
    whole = sum(weights)
    if whole <= 0:
        raise ValueError("nothing to split over: every weight is 0")
    quotas = [divmod(w * total, whole) for w in weights]
    parts = [q for q, _ in quotas]
    left = total - sum(parts)
    for i in sorted(range(len(weights)), key=lambda i: (-quotas[i][1], i))[:left]:
        parts[i] += 1
    return parts


def _int(x: float) -> int:
    return round(x * _SCALE)


def weights(model: str, touches: Sequence[Touch], created_at: datetime,
            w: Weights = Weights()) -> list[int]:
    """Integer weights of time-ordered touches under ``model``."""
    n = len(touches)
    out = [0] * n
    if model == "first":
        out[0] = 1
    elif model == "last":
        out[-1] = 1
    elif model == "linear":
        out = [1] * n
    elif model == "u_shaped":
        first, middle, last = (_int(x) for x in w.u_shaped)
        if n == 1:
            out[0] = 1
        elif n == 2:
            out = [first, last]
        else:
            out[0], out[-1] = first * (n - 2), last * (n - 2)
            for i in range(1, n - 1):
                out[i] = middle
    elif model == "w_shaped":
        first, contact, last, rest = (_int(x) for x in w.w_shaped)
        known = next((i for i, t in enumerate(touches) if t.known_contact), None)
        milestones = {0, n - 1} | ({known} if known is not None else set())
        others = [i for i in range(n) if i not in milestones]
        scale = max(len(others), 1)
        out[0] += first * scale
        out[n - 1] += last * scale
        if known is not None:
            out[known] += contact * scale
        for i in others:
            out[i] = rest
    elif model == "time_decay":
        half_life = w.half_life_days * 86400.0
        out = [_int(0.5 ** ((created_at - t.ts).total_seconds() / half_life))
               for t in touches]
        if not any(out):  # all far beyond the half-life: fall back to equal shares
            out = [1] * n
    else:
        raise ValueError(f"unknown model {model!r}: one of {', '.join(MODELS)}")
    return out


def ordered(touches: Iterable[Touch]) -> list[Touch]:
    return sorted(touches, key=lambda t: (t.ts, t.event_id))


@dataclass(frozen=True)
class Credit:
    touch: Touch
    units: int  # parts per million of the opportunity
    cents: int


def credit(opportunity: Opportunity, touches: Iterable[Touch], model: str,
           w: Weights = Weights(), lookback_days: int | None = None) -> list[Credit]:
    """The opportunity's credit over its touches: only touches before its creation (and
    within ``lookback_days`` of it, when given) earn any. Empty when none qualifies."""
    start = (opportunity.created_at.timestamp() - lookback_days * 86400
             if lookback_days is not None else -math.inf)
    mine = ordered(t for t in touches if t.account_id == opportunity.account_id
                   and start <= t.ts.timestamp() < opportunity.created_at.timestamp())
    if not mine:
        return []
    ws = weights(model, mine, opportunity.created_at, w)
    units = apportion(ws, UNITS)
    cents = apportion(ws, cents_of(opportunity.amount))
    return [Credit(t, u, c) for t, u, c in zip(mine, units, cents, strict=True)]


def cents_of(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(ROUND_HALF_EVEN))


def key_of(touch: Touch, by: str) -> str:
    if by == "campaign":
        return touch.campaign_id or NO_CAMPAIGN
    if by == "channel":
        return touch.channel
    if by == "account":
        return touch.account_id
    raise ValueError(f"unknown grouping {by!r}: one of {', '.join(GROUPINGS)}")


@dataclass
class Report:
    """What ``pulse influence`` prints; amounts per currency (cents), never added across."""

    model: str
    lookback_days: int
    by: str
    opportunities: int = 0
    matched_opportunities: int = 0
    influenced_opportunities: int = 0
    pipeline: dict[str, int] = field(default_factory=dict)
    influenced: dict[str, int] = field(default_factory=dict)
    sourced: dict[str, int] = field(default_factory=dict)
    rows: dict[str, tuple[int, dict[str, int]]] = field(default_factory=dict)  # units, cents
    sourced_rows: dict[str, dict[str, int]] = field(default_factory=dict)


def _add(into: dict[str, int], currency: str, cents: int) -> None:
    into[currency] = into.get(currency, 0) + cents


def report(opportunities: Iterable[Opportunity], touches: Iterable[Touch], model: str,
           by: str, lookback_days: int, w: Weights = Weights()) -> Report:
    """Credit by key over all opportunities. *Influenced*: at least one touch in the window
    (counted once, however many touches). *Sourced*: the first touch in the window is a
    campaign's (an email or an ad): marketing brought it, and its key gets the whole
    amount; an organic first visit influences but sources nothing."""
    by_account: dict[str, list[Touch]] = {}
    for t in touches:
        by_account.setdefault(t.account_id, []).append(t)
    out = Report(model, lookback_days, by)
    for o in opportunities:
        cents = cents_of(o.amount)
        out.opportunities += 1
        _add(out.pipeline, o.currency, cents)
        if not o.account_id:
            continue
        out.matched_opportunities += 1
        credits = credit(o, by_account.get(o.account_id, ()), model, w, lookback_days)
        if not credits:
            continue
        out.influenced_opportunities += 1
        _add(out.influenced, o.currency, cents)
        first = credits[0].touch
        if first.campaign_id:
            _add(out.sourced, o.currency, cents)
            _add(out.sourced_rows.setdefault(key_of(first, by), {}), o.currency, cents)
        for c in credits:
            if not (c.units or c.cents):  # first / last: the others earn nothing
                continue
            k = key_of(c.touch, by)
            units, amounts = out.rows.get(k, (0, {}))
            _add(amounts, o.currency, c.cents)
            out.rows[k] = (units + c.units, amounts)
    return out
