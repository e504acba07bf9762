"""Which event times are accepted, and why the rest become dead letters. Pure.

An event lands only if its time can be kept exactly as the retention promises:

- not older than the retention (``RETENTION_DAYS``, the TTL of ``abm.events``): an older
  event would be reported as landed and then deleted by the TTL at once;
- not before ``EARLIEST`` (2000-01-01), whatever the retention is set to;
- not further ahead of its landing than the future limit (``PULSE_FUTURE_LIMIT_HOURS``,
  7 days by default). Up to it the event is stored and flagged ``future`` when it is more
  than ``FUTURE_TOLERANCE_S`` ahead (a sender clock running ahead); it never moves the
  event-time watermark or raises an alert.

Everything outside goes to the dead letters with a reason naming the accepted range, so a
publisher's backfill of year 0001 or 9999 can neither stop a partition nor vanish.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
RETENTION_DAYS = 395  # the TTL of abm.events (migration 0001): keep the two equal
FUTURE_TOLERANCE_S = 300  # an event stamped further ahead of its landing is flagged `future`
DEFAULT_FUTURE_LIMIT_S = 7 * 86400


class EventTimeError(ValueError):
    """The event's time is outside the accepted range; ``str(err)`` is the reason."""


def earliest_accepted(now: datetime) -> datetime:
    return max(EARLIEST, now - timedelta(days=RETENTION_DAYS))


class Accepted(NamedTuple):
    """The event times accepted at one moment of arrival (one batch shares it)."""

    now: datetime
    low: datetime
    high: datetime
    future_limit_s: float


def accepted_at(now: datetime, future_limit_s: float = DEFAULT_FUTURE_LIMIT_S) -> Accepted:
    return Accepted(now, earliest_accepted(now), now + timedelta(seconds=future_limit_s),
                    future_limit_s)


def check_event_time(ts: datetime, now: datetime,
                     future_limit_s: float = DEFAULT_FUTURE_LIMIT_S) -> datetime:
    """``ts`` in UTC if it is accepted; EventTimeError (the dead-letter reason) if not."""
    return within(ts, accepted_at(now, future_limit_s))


def within(ts: datetime, accepted: Accepted) -> datetime:
    """``ts`` in UTC if ``accepted`` covers it; EventTimeError (the reason) if not."""
    try:
        utc = ts.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 with a positive offset, year 9999 with a negative
        raise EventTimeError(f"event time {ts.isoformat()} cannot be expressed in UTC") from None
    low, high = accepted.low, accepted.high
    if utc < low:
        why = ("before 2000-01-01" if utc < EARLIEST
               else f"older than the {RETENTION_DAYS}-day retention")
        raise EventTimeError(f"event time {_iso(utc)} is {why}: accepted from {_iso(low)}")
    if utc > high:
        raise EventTimeError(
            f"event time {_iso(utc)} is more than {_span(accepted.future_limit_s)} ahead of its "
            f"arrival ({_iso(accepted.now)}): accepted up to {_iso(high)} "
            "(PULSE_FUTURE_LIMIT_HOURS)")
    return utc


def _iso(ts: datetime) -> str:
    return ts.isoformat(timespec="seconds").replace("+00:00", "Z")


def _span(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} hours"
