"""Fault injection for the fault tests. Off unless ``PULSE_FAILPOINT`` names the point
(several may be given, comma-separated):

- ``hit(name)``: the process kills itself (SIGKILL, no clean-up, like a power cut) the
  first time it reaches the point; a marker file under PULSE_HOME makes it fire once, so
  the restarted process runs through.
- ``switched_on(name)``: true while the file ``PULSE_HOME/faults/<name>`` exists, so a
  test turns a fault (the warehouse refusing writes) on and off from outside.
- ``delay(name)``: seconds to stall at the point (3, or ``PULSE_FAILPOINT_DELAY_SECONDS``),
  0 unless armed: slow work made slower, to open a race window (``slow_detection``), or
  to keep a backlog for a test to kill the worker in the middle of (``slow_landing``).
- ``bug_ids()``: event ids (``PULSE_FAILPOINT_BUG_IDS``) on which processing raises, as a
  bug in our own code would.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_ARMED = frozenset(p.strip() for p in os.environ.get("PULSE_FAILPOINT", "").split(",")
                   if p.strip())
_BUG_IDS = frozenset(i for i in os.environ.get("PULSE_FAILPOINT_BUG_IDS", "").split(",") if i)


def _home() -> Path:
    return Path(os.environ.get("PULSE_HOME", ".pulse"))


def hit(name: str) -> None:
    if name not in _ARMED:
        return
    marker = _home() / f"failpoint-{name}.fired"
    if marker.exists():
        return
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("fired\n")
    os.kill(os.getpid(), signal.SIGKILL)


def switched_on(name: str) -> bool:
    return name in _ARMED and (_home() / "faults" / name).exists()


def delay(name: str) -> float:
    return float(os.environ.get("PULSE_FAILPOINT_DELAY_SECONDS", "3")) if name in _ARMED else 0.0


def bug_ids() -> frozenset[str]:
    return _BUG_IDS


class InjectedBug(RuntimeError):
    """Raised by processing on the ids of ``PULSE_FAILPOINT_BUG_IDS``."""


class _BuggyAttributor:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def attribute(self, event: Any, *args: Any) -> Any:
        if event.event_id in _BUG_IDS:
            raise InjectedBug(f"injected bug on event {event.event_id}")
        return self._inner.attribute(event, *args)


def with_bugs(attributor: T) -> T:
    """The attributor itself, or (failpoint armed) one that raises on the bug ids."""
    return _BuggyAttributor(attributor) if _BUG_IDS else attributor  # type: ignore[return-value]
