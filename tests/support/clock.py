"""The tests' clock. Data stamped relative to the wall clock at import broke tests by the
time of the run: a visit "50 minutes ago" just after midnight fell on another day, a
"Monday" computation early on a Monday. Tests that need a fixed moment take it from here:
yesterday at noon UTC, the same for the whole session, never in the future, one day away
from any midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache


@cache
def yesterday_noon() -> datetime:
    return (datetime.now(UTC) - timedelta(days=1)).replace(hour=12, minute=0, second=0,
                                                            microsecond=0)
