"""Fault injection for the fault tests: ``PULSE_FAILPOINT=<name>`` makes the process kill
itself (SIGKILL, no clean-up, like a power cut) the first time it reaches that point.

Off unless the variable is set; a marker file under PULSE_HOME makes it fire once, so
the restarted process runs through.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

_ARMED = os.environ.get("PULSE_FAILPOINT", "")


def hit(name: str) -> None:
    if name != _ARMED:
        return
    marker = Path(os.environ.get("PULSE_HOME", ".pulse")) / f"failpoint-{name}.fired"
    if marker.exists():
        return
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("fired\n")
    os.kill(os.getpid(), signal.SIGKILL)
