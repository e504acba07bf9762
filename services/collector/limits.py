"""Rate limits: a token bucket per write key and per client address, in memory and bounded
(a flood of new addresses evicts the oldest buckets, it cannot grow the table)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(self, rate: float, burst: float | None = None, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(rate, 1.0)
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, Bucket] = OrderedDict()

    def take(self, key: str, n: int, now: float) -> float:
        """0 if ``n`` events may pass now (and counts them), else the seconds to wait."""
        b = self._buckets.get(key)
        if b is None:
            b = self._buckets[key] = Bucket(self.burst, now)
            if len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            b.tokens = min(self.burst, b.tokens + (now - b.at) * self.rate)
            b.at = now
        if n > self.burst:
            return n / self.rate  # never passes at once: say how long the rate needs
        if b.tokens >= n:
            b.tokens -= n
            return 0.0
        return (n - b.tokens) / self.rate
