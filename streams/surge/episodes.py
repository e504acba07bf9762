"""Alert hygiene: one alert per account and surge episode. Pure functions.

An episode opens when a measure first crosses its entry score (and the cooldown since the
last alert of that kind has passed), stays open while the score holds above the exit
score, and closes when it falls below it or goes quiet. Inside an episode only a clear
rise (``escalation_step`` points over the last alerted score) alerts again.

Alert ids are derived from what the alert is about (account, mode, kind, episode start,
escalation level), so reprocessing the same events after a crash or a replay yields the
same id, which the warehouse, the topic consumers and webhook receivers deduplicate on.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from streams.surge.model import DAY, HOUR, Surge, SurgeRules

ALERT_NAMESPACE = uuid.UUID("5b0e6a52-1d39-4f0c-9d64-6a0c3b1f4a11")


@dataclass(frozen=True)
class HygieneRules:
    cooldown_s: dict[str, float]  # per mode: least time between two episodes' alerts
    quiet_s: dict[str, float]  # per mode: an episode with no hot reading this long is over
    escalation_step: float = 10.0

    @classmethod
    def default(cls) -> HygieneRules:
        return cls(cooldown_s={"daily": 7 * DAY, "spike": 12 * HOUR, "cooling": 28 * DAY},
                   quiet_s={"daily": 2 * DAY, "spike": 2 * HOUR, "cooling": 2 * DAY})


@dataclass(frozen=True)
class Episode:
    account_id: str
    mode: str
    started_at: float = 0.0  # 0: no open episode
    last_hot_at: float = 0.0
    alerted_score: float = 0.0
    level: int = 0  # escalations so far
    last_alert_at: float = 0.0  # 0: never alerted
    as_of: float = 0.0  # event time of the latest reading decided: readings before it are late


@dataclass(frozen=True)
class Alert:
    alert_id: str
    kind: str  # surge | spike | cooling | escalation
    surge: Surge
    detected_at: float
    episode_started_at: float
    level: int = 0


def alert_id(account_id: str, mode: str, started_at: float, level: int) -> str:
    return str(uuid.uuid5(ALERT_NAMESPACE, f"{account_id}|{mode}|{started_at:.3f}|{level}"))


def _exit_score(mode: str, rules: SurgeRules) -> float:
    return {"daily": rules.daily_exit, "spike": rules.spike_exit}.get(mode, rules.cooling_score)


def _holds(surge: Surge, rules: SurgeRules) -> bool:
    if surge.mode == "cooling":
        return surge.status == "cooling"
    return surge.score >= _exit_score(surge.mode, rules) and surge.status != "too_small"


def is_late(ep: Episode, now: float) -> bool:
    """A reading older than the episode's state arrived out of order (a late event, or a
    message that waited for its watermark behind later ones): deciding on it would move the
    state back in time (a second alert inside the cooldown, an escalation below the alert
    it escalates), so it only counts as history for later readings."""
    return now < ep.as_of


def decide(ep: Episode, surge: Surge, now: float, rules: SurgeRules,
           hygiene: HygieneRules) -> tuple[Episode, Alert | None]:
    """The episode after this reading, and the alert it raises, if any. Readings must come
    in event-time order (``is_late`` filters the others)."""
    ep, raised = _decide(ep, surge, now, rules, hygiene)
    return (replace(ep, as_of=now) if now > ep.as_of else ep), raised


def _decide(ep: Episode, surge: Surge, now: float, rules: SurgeRules,
            hygiene: HygieneRules) -> tuple[Episode, Alert | None]:
    mode = surge.mode
    if ep.started_at and now - ep.last_hot_at > hygiene.quiet_s[mode]:
        ep = replace(ep, started_at=0.0, level=0, alerted_score=0.0)  # went quiet: over
    hot = surge.status in ("surging", "cooling")
    if ep.started_at:
        if not _holds(surge, rules):
            return replace(ep, started_at=0.0, level=0, alerted_score=0.0), None
        ep = replace(ep, last_hot_at=now)
        rising = surge.score - ep.alerted_score if mode != "cooling" else \
            ep.alerted_score - surge.score
        if hot and rising >= hygiene.escalation_step:
            level = ep.level + 1
            ep = replace(ep, level=level, alerted_score=surge.score, last_alert_at=now)
            return ep, Alert(alert_id(ep.account_id, mode, ep.started_at, level), "escalation",
                             surge, now, ep.started_at, level)
        return ep, None
    if not hot:
        return ep, None
    if ep.last_alert_at and now - ep.last_alert_at < hygiene.cooldown_s[mode]:
        return ep, None  # too soon after the last episode: stay quiet, stay closed
    ep = replace(ep, started_at=now, last_hot_at=now, alerted_score=surge.score, level=0,
                 last_alert_at=now)
    kind = {"daily": "surge", "spike": "spike", "cooling": "cooling"}[mode]
    return ep, Alert(alert_id(ep.account_id, mode, now, 0), kind, surge, now, now)


def restore(saved: Episode | None, account_id: str, mode: str, latest_alert_at: float,
            episode_started_at: float, score: float, level: int) -> Episode:
    """The episode as of its latest stored alert, when the state saved with it is older.

    Alerts are stored before they are published and the episode state after, so a crash in
    between leaves the state without its last alert: read back as it was, the next
    reading would open a second episode inside the cooldown, or escalate below it."""
    if saved is not None and saved.as_of >= latest_alert_at:
        return saved
    return Episode(account_id, mode, started_at=episode_started_at, last_hot_at=latest_alert_at,
                   alerted_score=score, level=level, last_alert_at=latest_alert_at,
                   as_of=latest_alert_at)
