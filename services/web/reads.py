"""Page reads shared between the requests that make them at the same moment.

Twenty people opening the same page run the same queries twenty times; on two cores that
is what made an account page take over a second under load, not a lock. A read already
running is joined instead of run again, and its answer serves identical reads for
``ttl_s`` more seconds (2 by default; the pages' data moves on the scale of a minute, and
roll-ups refresh every two). Keys are the SQL and its parameters, so different pages,
filters and accounts never share an answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

Rows = list[dict[str, Any]]
Read = Callable[[str, dict[str, Any]], Rows]


def _frozen(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_frozen(v) for v in value)
    return value


class SharedReads:
    def __init__(self, read: Read, ttl_s: float, max_entries: int = 512,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.read = read
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[Any, tuple[float, Future[Rows]]] = {}  # key -> (started, answer)

    def __call__(self, sql: str, parameters: dict[str, Any]) -> Rows:
        key = (sql, _frozen(parameters))
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and (not entry[1].done() or now - entry[0] < self.ttl_s):
                answer, mine = entry[1], False
            else:
                answer, mine = Future(), True
                if len(self._entries) >= self.max_entries:
                    self._evict(now)
                self._entries[key] = (now, answer)
        if mine:
            try:
                answer.set_result(self.read(sql, parameters))
            finally:
                if not answer.done():  # it raised: its error goes up this request's stack
                    answer.set_exception(RuntimeError(
                        "the same read, made by another request at this moment, failed"))
                    with self._lock:  # a failure is not kept: the next read tries again
                        if self._entries.get(key, (0, None))[1] is answer:
                            del self._entries[key]
        rows = answer.result()
        return [dict(r) for r in rows]  # callers add keys to their rows

    def _evict(self, now: float) -> None:
        for k, (started, answer) in list(self._entries.items()):
            if answer.done() and now - started >= self.ttl_s:
                del self._entries[k]
        while len(self._entries) >= self.max_entries:  # still full: the oldest go
            del self._entries[next(iter(self._entries))]
