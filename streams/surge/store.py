"""Surge detection's warehouse side: history in, alerts and episode state out.

The warehouse is the truth surge detection reads: every batch of activity is evaluated
against the accounts' landed history (``abm.events``), so a restart, a rebalance or a
second worker needs no state of its own beyond ``abm.surge_episodes``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from infra import query
from schemas.alerts import SurgeAlert
from streams.reference.state import Query
from streams.surge.detection import AccountInfo, Detector, prior_days, tier_priors
from streams.surge.episodes import Episode, restore
from streams.surge.model import Touch
from streams.warehouse.events import ClickHouseSink

SQL = {name: query(f"surge_{name}")
       for name in ("hours", "people", "touches", "tier_baseline", "episodes", "alert_context",
                    "alert_contacts", "latest_alerts")}
# What abm.surge_alerts keeps of an alert: everything but its schema and the names of its
# contacts (resolved when delivered or shown, so that `pulse forget` can take them back).
ALERT_COLUMNS_ORDERED = [c for c in SurgeAlert.model_fields
                         if c not in ("schema_", "contacts", "open_opportunities")]
ALERT_COLUMNS = ALERT_COLUMNS_ORDERED
EPISODE_COLUMNS = ["account_id", "mode", "started_at", "last_hot_at", "alerted_score", "level",
                   "last_alert_at", "as_of"]


class AlertContext(NamedTuple):
    pages: list[str]
    campaigns: list[str]
    contact_keys: list[str]


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def epoch(when: datetime) -> float:
    """A warehouse time (naive means UTC) as epoch seconds."""
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


class AlertStore:
    """Reads through ``query`` (the sink's, or a warehouse's read-only path); writes need
    the sink."""

    def __init__(self, sink: ClickHouseSink | None = None, query: Query | None = None) -> None:
        self._sink = sink
        self.query: Query = query or sink.query  # type: ignore[union-attr]

    @property
    def sink(self) -> ClickHouseSink:
        assert self._sink is not None, "this store only reads"
        return self._sink

    def prime(self, detector: Detector, accounts: list[str], start: float,
              raw_from: float) -> None:
        """Aggregated history of [start, raw_from) into the detector's histories."""
        params = {"accounts": accounts, "start": utc(start), "end": utc(raw_from)}
        for account_id, hour, score, score_sq, intent in self.query(SQL["hours"], params):
            detector.histories[account_id].add_hours(int(hour), float(score), float(score_sq),
                                                     int(intent))
        for account_id, person, first, last in self.query(SQL["people"], params):
            detector.histories[account_id].add_person(person, float(first), float(last))

    def touches(self, accounts: list[str], start: float,
                end: float) -> list[tuple[str, str, Touch]]:
        """Raw touches in [start, end], in event-time order: (account, event_id, touch)."""
        rows = self.query(SQL["touches"], {"accounts": accounts, "start": utc(start),
                                                "end": utc(end)})
        return [(a, e, Touch(float(t), float(s), p, bool(hi))) for a, e, t, s, p, hi in rows]

    def first_day(self) -> int | None:
        rows = self.query("SELECT toUnixTimestamp(min(ts)) DIV 86400, count() > 0 "
                          "FROM abm.events WHERE account_id != ''", {})
        return int(rows[0][0]) if rows and rows[0][1] else None

    def week_scores(self, day: int, days: int) -> dict[str, float]:
        """Account -> average weekly score over the ``days`` before ``day``."""
        rows = self.query(SQL["tier_baseline"], {"start": utc((day - days) * 86400),
                                                 "end": utc(day * 86400)})
        return {a: float(total) * 7 / days for a, total in rows}

    def tier_priors(self, infos: Mapping[str, AccountInfo], day: int) -> dict[str, float]:
        days = prior_days(day, self.first_day())
        return tier_priors(infos, self.week_scores(day, days)) if days else {}

    def episodes(self, accounts: list[str]) -> list[Episode]:
        return [Episode(a, m, float(s), float(h), float(sc), int(lv), float(la), float(ao))
                for a, m, s, h, sc, lv, la, ao in self.query(SQL["episodes"],
                                                                 {"accounts": accounts})]

    def state(self, accounts: list[str]) -> tuple[list[Episode], list[SurgeAlert]]:
        """The accounts' episodes, each brought up to its latest stored alert, and those
        alerts whose state was never saved (to publish again; consumers deduplicate)."""
        saved = {(e.account_id, e.mode): e for e in self.episodes(accounts)}
        rows = self.query(SQL["latest_alerts"], {"accounts": accounts})
        resend = []
        for row in rows:
            alert = SurgeAlert(**dict(zip(ALERT_COLUMNS_ORDERED, row, strict=True)))
            key = (alert.account_id, alert.mode)
            restored = restore(saved.get(key), alert.account_id, alert.mode,
                               epoch(alert.detected_at), epoch(alert.episode_started_at),
                               alert.score, alert.level)
            if restored is not saved.get(key):
                saved[key] = restored
                resend.append(alert)
        return list(saved.values()), resend

    def context(self, account_id: str, start: float, end: float) -> AlertContext:
        """What the account looked at in an alert's window, and the known contacts in it."""
        window = {"account_id": account_id, "start": utc(start), "end": utc(end)}
        rows = self.query(SQL["alert_context"], window)
        pages, campaigns = rows[0] if rows else ([], [])
        contacts = [r[0] for r in self.query(SQL["alert_contacts"], window)]
        return AlertContext(list(pages), list(campaigns), contacts)

    def save_alerts(self, alerts: list[SurgeAlert]) -> int:
        """Insert the alerts not stored yet (an alert raised again after a crash keeps its
        id and is not written twice)."""
        if not alerts:
            return 0
        stored = {r[0] for r in self.query(
            "SELECT alert_id FROM abm.surge_alerts WHERE alert_id IN {ids:Array(String)}",
            {"ids": [a.alert_id for a in alerts]})}
        new = [a.model_dump() for a in alerts if a.alert_id not in stored]
        self.sink.insert("abm.surge_alerts", [[d[c] for c in ALERT_COLUMNS] for d in new],
                         ALERT_COLUMNS)
        return len(new)

    def save_errors(self, errors: Sequence[Any]) -> None:
        """``SurgeError`` rows into abm.surge_errors."""
        self.sink.insert("abm.surge_errors",
                         [[e.topic, e.partition, e.offset, e.account_id, e.payload, e.error]
                          for e in errors],
                         ["topic", "partition", "offset", "account_id", "payload", "error"])

    def save_episodes(self, episodes: list[Episode]) -> None:
        self.sink.insert("abm.surge_episodes",
                         [[e.account_id, e.mode, utc(e.started_at), utc(e.last_hot_at),
                           e.alerted_score, e.level, utc(e.last_alert_at), utc(e.as_of)]
                          for e in episodes], EPISODE_COLUMNS)
