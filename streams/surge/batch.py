"""One batch of account activity, evaluated: replay the touched accounts' landed history
up to their newest point, reading surges at the batch's touches and cooling at its ticks,
exactly as one pass over the whole history would (``detection.detect_all``)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from faust.types import EventT

from schemas.alerts import SurgeAlert
from streams.reference.state import ReferenceData
from streams.surge.detection import AccountInfo, Detector
from streams.surge.episodes import Alert, Episode, HygieneRules
from streams.surge.model import DAY, HOUR, LOOKBACK_DAYS, SurgeRules, Touch
from streams.surge.store import AlertContext, AlertStore, utc

log = logging.getLogger("pulse.surge")


def account_infos(reference: ReferenceData) -> dict[str, AccountInfo]:
    return {a: AccountInfo(acc.name, acc.tier, bool(getattr(acc, "customer", False)),
                           getattr(acc, "owner_email", None) or "")
            for a, acc in list(reference.accounts.items())}


def evaluate_batch(store: AlertStore, infos: Mapping[str, AccountInfo], rules: SurgeRules,
                   hygiene: HygieneRules, priors_for: Callable[[int], Mapping[str, float]],
                   bodies: list[dict[str, Any]]) -> tuple[list[Alert], list[Episode], list[Any]]:
    """Replay the touched accounts' history up to their newest point, reading surges at
    the batch's touches and cooling at its ticks, exactly as ``detect_all`` would.

    Returns the alerts raised, the episodes changed, and stored alerts whose state was
    never saved (a crash between storing and publishing them): publish those again."""
    points: dict[str, set[str]] = defaultdict(set)
    ticks: dict[str, list[float]] = defaultdict(list)
    last: dict[str, float] = {}
    for body in bodies:
        account = body["account_id"]
        for ts_ms, event_id in body.get("touches", ()):
            points[account].add(event_id)
            last[account] = max(last.get(account, 0.0), ts_ms / 1000)
        if "tick" in body:
            ticks[account].append(body["tick"] / 1000)
            last[account] = max(last.get(account, 0.0), body["tick"] / 1000)
    if not last:
        return [], [], []
    accounts = sorted(last)
    first = min([ts_ms / 1000 for b in bodies for ts_ms, _ in b.get("touches", ())]
                + [t for days in ticks.values() for t in days])
    # Raw touches cover the daily window before the earliest point (breadth needs who);
    # everything older comes aggregated by hour.
    raw_from = (int((first - rules.daily_window_hours * HOUR) // HOUR) - 1) * HOUR
    episodes, resend = store.state(accounts)
    detector = Detector(infos, rules, hygiene, priors_for, episodes)
    store.prime(detector, accounts, raw_from - LOOKBACK_DAYS * DAY, raw_from)
    stream: list[tuple[float, int, str, str, Touch | None]] = [
        (t.ts, 1, event_id, a, t)
        for a, event_id, t in store.touches(accounts, raw_from, max(last.values()))]
    stream += [(d, 0, "", a, None) for a, days in ticks.items() for d in days]
    stream.sort(key=lambda x: x[:3])  # a tick reads the data before its midnight
    raised: list[Alert] = []
    for ts, _, event_id, account, touch in stream:
        if ts > last[account]:
            continue
        if touch is None:
            raised += detector.close_day(account, ts)
        else:
            raised += detector.observe(account, touch, alert=event_id in points[account])
    return raised, [detector.episodes[k] for k in sorted(detector.changed)], resend


def to_model(alert: Alert, info: AccountInfo, context: AlertContext) -> SurgeAlert:
    s = alert.surge
    return SurgeAlert(
        alert_id=alert.alert_id, account_id=s.account_id, account_name=info.name or s.account_id,
        tier=info.tier, owner_email=info.owner_email, kind=alert.kind,
        mode=s.mode, detected_at=utc(alert.detected_at),
        window_start=utc(s.window_start), window_end=utc(s.window_end), score=s.score,
        baseline_multiple=s.multiple, people=s.people, new_people=s.new_people,
        high_intent=s.high_intent, recent=s.recent, expected=s.expected, reason=s.reason,
        top_pages=context.pages, top_campaigns=context.campaigns,
        episode_started_at=utc(alert.episode_started_at), level=alert.level,
        contact_keys=context.contact_keys)


@dataclass(frozen=True)
class SurgeError:
    """Activity (or an alert) that could not be handled: recorded, acked, never blocking."""

    topic: str
    partition: int
    offset: int
    account_id: str
    payload: str
    error: str


def error_of(event: EventT, account_id: str, payload: str, error: str) -> SurgeError:
    m = event.message
    return SurgeError(m.topic, m.partition, m.offset, account_id, payload, error)


