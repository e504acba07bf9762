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

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from operator import itemgetter
from typing import NamedTuple

MODELS = ("first", "last", "linear", "u_shaped", "w_shaped", "time_decay")
GROUPINGS = ("campaign", "channel", "account")
UNITS = 1_000_000  # credit parts per opportunity
NO_CAMPAIGN = "(no campaign)"
_SCALE = 1 << 52  # float weights as integers, so the split itself is exact
_ACCOUNT, _TS = itemgetter(4), itemgetter(0)
_BY_ACCOUNT = itemgetter(4, 0, 1)


class Touch(NamedTuple):
    """A counted event of an account. Its fields in this order sort touches by time, ties
    by event id; a plain tuple, as a million of them are read for a report."""

    ts: float  # event time, epoch seconds
    event_id: str
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
    if left:
        for i in sorted(range(len(weights)), key=lambda i: (-quotas[i][1], i))[:left]:
            parts[i] += 1
    return parts


def _equal(n: int, total: int) -> list[int]:
    """``apportion([1] * n, total)``, without the sort: the earliest take the remainder."""
    q, r = divmod(total, n)
    return [q + 1] * r + [q] * (n - r)


def _int(x: float) -> int:
    return round(x * _SCALE)


def _rule(model: str, touches: Sequence[Touch], created_at: float, w: Weights
          ) -> tuple[int, dict[int, int]] | list[int]:
    """A model's integer weights of time-ordered touches, the one place the rules live:
    (the weight of every touch, the touches that weigh otherwise) for the positional
    models, whose touches mostly weigh the same; a weight per touch for time decay. Weights
    that are all 0 (settings that give nothing to the only touches there are) are equal
    shares instead: an influenced opportunity is always split whole."""
    rule = _positions(model, touches, created_at, w)
    if isinstance(rule, list):
        return rule if any(rule) else (1, {})
    base, other = rule
    if not any(other.values()) and not (base and len(touches) > len(other)):
        return 1, {}
    return rule


def _positions(model: str, touches: Sequence[Touch], created_at: float, w: Weights
               ) -> tuple[int, dict[int, int]] | list[int]:
    n = len(touches)
    if model == "first":
        return 0, {0: 1}
    if model == "last":
        return 0, {n - 1: 1}
    if model == "linear":
        return 1, {}
    if model == "u_shaped":
        first, middle, last = (_int(x) for x in w.u_shaped)
        if n <= 2:
            return 0, ({0: 1} if n == 1 else {0: first, 1: last})
        return middle, {0: first * (n - 2), n - 1: last * (n - 2)}
    if model == "w_shaped":
        first, contact, last, rest = (_int(x) for x in w.w_shaped)
        known = next((i for i, t in enumerate(touches) if t[5]), None)
        milestones = {0: 0, n - 1: 0} | ({known: 0} if known is not None else {})
        scale = max(n - len(milestones), 1)  # the rest's share is split over this many
        milestones[0] += first * scale
        milestones[n - 1] += last * scale
        if known is not None:
            milestones[known] += contact * scale
        return rest, milestones
    if model == "time_decay":
        half_life = w.half_life_days * 86400.0
        return [_int(0.5 ** ((created_at - t[0]) / half_life)) for t in touches]
    raise ValueError(f"unknown model {model!r}: one of {', '.join(MODELS)}")


def weights(model: str, touches: Sequence[Touch], created_at: float,
            w: Weights = Weights()) -> list[int]:
    """Integer weights of time-ordered touches under ``model`` (``created_at`` in epoch
    seconds)."""
    rule = _rule(model, touches, created_at, w)
    if isinstance(rule, list):
        return rule
    base, other = rule
    out = [base] * len(touches)
    for i, weight in other.items():
        out[i] = weight
    return out


def ordered(touches: Iterable[Touch]) -> list[Touch]:
    return sorted(touches)  # by time, ties by event id


@dataclass(frozen=True)
class Credit:
    touch: Touch
    units: int  # parts per million of the opportunity
    cents: int


def window(opportunity: Opportunity, touches: Sequence[Touch], times: Sequence[float],
           lookback_days: int | None) -> Sequence[Touch]:
    """The touches that can earn the opportunity's credit, out of its account's touches in
    time order (``times``: their ``ts``): before its creation, within the lookback."""
    end = opportunity.created_at.timestamp()
    start = end - lookback_days * 86400 if lookback_days is not None else float("-inf")
    return touches[bisect_left(times, start):bisect_left(times, end)]


def split(opportunity: Opportunity, mine: Sequence[Touch], model: str,
          w: Weights = Weights()) -> tuple[list[int], list[int]]:
    """Parts per million and cents of each of the window's touches (time-ordered)."""
    n = len(mine)
    cents = cents_of(opportunity.amount)
    if model in ("first", "last"):
        at = 0 if model == "first" else n - 1
        units, money = [0] * n, [0] * n
        units[at], money[at] = UNITS, cents
        return units, money
    if model == "linear":
        return _equal(n, UNITS), _equal(n, cents)
    ws = weights(model, mine, opportunity.created_at.timestamp(), w)
    return apportion(ws, UNITS), apportion(ws, cents)


def credit(opportunity: Opportunity, touches: Iterable[Touch], model: str,
           w: Weights = Weights(), lookback_days: int | None = None) -> list[Credit]:
    """The opportunity's credit over its touches: only its account's touches before its
    creation (and within ``lookback_days`` of it, when given) earn any. Empty when none
    qualifies."""
    mine_all = ordered(t for t in touches if t.account_id == opportunity.account_id)
    mine = window(opportunity, mine_all, [t.ts for t in mine_all], lookback_days)
    if not mine:
        return []
    units, cents = split(opportunity, mine, model, w)
    return [Credit(t, u, c) for t, u, c in zip(mine, units, cents, strict=True)]


def cents_of(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value(ROUND_HALF_EVEN))


def key_of(touch: Touch, by: str) -> str:
    return _keys(by)(touch)


def _keys(by: str) -> Callable[[Touch], str]:
    if by == "campaign":
        return lambda t: t[3] or NO_CAMPAIGN
    if by == "channel":
        return itemgetter(2)
    if by == "account":
        return itemgetter(4)
    raise ValueError(f"unknown grouping {by!r}: one of {', '.join(GROUPINGS)}")


def key_weights(model: str, mine: Sequence[Touch], keys: Sequence[str], created_at: float,
                w: Weights = Weights()) -> dict[str, int]:
    """The window's touch weights summed by key (``keys[i]`` is touch i's): what a report
    by key splits. For a positional model a count of the keys does it, with no list per
    touch."""
    rule = _rule(model, mine, created_at, w)
    out: dict[str, int] = {}
    if isinstance(rule, list):
        for k, weight in zip(keys, rule, strict=True):
            out[k] = out.get(k, 0) + weight
        return out
    base, other = rule
    if base:
        counts = Counter(keys)
        for i in other:
            counts[keys[i]] -= 1
        out = {k: c * base for k, c in counts.items() if c}
    for i, weight in other.items():
        out[keys[i]] = out.get(keys[i], 0) + weight
    return out


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
           by: str, lookback_days: int, w: Weights = Weights(),
           presorted: bool = False) -> Report:
    """Credit by key over all opportunities: each opportunity's parts and cents split over
    the keys of its touches in proportion to their weights (largest remainder, ties to the
    key first in name order), so each opportunity still adds up exactly, and the rounding
    is done once per key rather than once per touch. *Influenced*: at least one touch in
    the window (counted once, however many touches). *Sourced*: the first touch in the
    window is a campaign's (an email or an ad): marketing brought it, and its key gets the
    whole amount; an organic first visit influences but sources nothing.

    ``touches`` may be plain tuples in Touch's field order (rows as the warehouse returns
    them: a million NamedTuples cost a second); ``presorted``: already ordered by account,
    time and event id, as influence_touches.sql returns them."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}: one of {', '.join(MODELS)}")
    key = _keys(by)
    # By account, then time and event id (the order influence_touches.sql reads them in, so
    # sorting is one pass): an opportunity's window is two bisections, its account's range
    # two more.
    ordered_ = touches if presorted and isinstance(touches, list) else sorted(
        touches, key=_BY_ACCOUNT)
    times = list(map(_TS, ordered_))
    keys = list(map(key, ordered_))
    out = Report(model, lookback_days, by)
    units_by: dict[str, int] = {}
    cents_by: dict[tuple[str, str], int] = {}
    for o in opportunities:
        cents = cents_of(o.amount)
        out.opportunities += 1
        _add(out.pipeline, o.currency, cents)
        if not o.account_id:
            continue
        out.matched_opportunities += 1
        end = o.created_at.timestamp()
        first = bisect_left(ordered_, o.account_id, key=_ACCOUNT)
        after = bisect_right(ordered_, o.account_id, first, key=_ACCOUNT)
        lo = bisect_left(times, end - lookback_days * 86400, first, after)
        hi = bisect_left(times, end, lo, after)
        if lo == hi:
            continue
        mine = ordered_[lo:hi]
        out.influenced_opportunities += 1
        _add(out.influenced, o.currency, cents)
        if mine[0][3]:
            _add(out.sourced, o.currency, cents)
            _add(out.sourced_rows.setdefault(key(mine[0]), {}), o.currency, cents)
        weighed = sorted(key_weights(model, mine, keys[lo:hi], end, w).items())
        ws = [x for _, x in weighed]
        for (k, _), u, c in zip(weighed, apportion(ws, UNITS), apportion(ws, cents),
                                strict=True):
            if u or c:
                units_by[k] = units_by.get(k, 0) + u
                cents_by[(k, o.currency)] = cents_by.get((k, o.currency), 0) + c
    for (k, currency), c in cents_by.items():
        out.rows.setdefault(k, (units_by[k], {}))[1][currency] = c
    return out
