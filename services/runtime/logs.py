"""Structured logs: one JSON object a line on stderr, quiet (WARNING) by default."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


LIBRARIES = ("aiokafka", "faust", "mode", "kafka", "clickhouse_connect")


class RepeatFilter(logging.Filter):
    """Let a library's repeated message through once per window, with the count held back.

    With the broker gone, aiokafka retries every 100 ms on each of its connections and logs
    every failure: about 100 lines a second, burying everything else. The first line still
    says at once what is wrong."""

    def __init__(self, window_s: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 prefixes: tuple[str, ...] = LIBRARIES) -> None:
        super().__init__()
        self.window_s = window_s
        self.clock = clock
        self.prefixes = prefixes
        self.seen: dict[tuple[str, int, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefixes):
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = self.clock()
        last = self.seen.get(key)
        if last is not None and now - last[0] < self.window_s:
            self.seen[key] = (last[0], last[1] + 1)
            return False
        if last is not None and last[1]:
            record.suppressed = last[1]  # like messages held back since the last one shown
            record.suppressed_seconds = round(now - last[0], 1)
        self.seen[key] = (now, 0)
        return True


def configure(level: str = "WARNING") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RepeatFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "faust", "mode", "clickhouse_connect"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # mode's "timer is overlapping" (a periodic refresh outlasting its interval while a
    # batch lands) is nothing an operator can act on.
    logging.getLogger("mode.timers").setLevel(max(logging.ERROR, root.level))
    # kafka-python serves the CLI's admin calls, which report their own failures clearly.
    logging.getLogger("kafka").setLevel(max(logging.CRITICAL, root.level))
