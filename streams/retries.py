"""Waiting out the world: retries with backoff (tenacity) for failures that are about the
broker, the warehouse or the network, and only those (``sinks/failures.is_transient``)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential

from streams.warehouse.failures import is_transient, reason

T = TypeVar("T")


async def retrying(call: Callable[[], Awaitable[T]], log: logging.Logger, message: str,
                   first_s: float = 0.5, max_s: float = 10.0) -> T:
    """Await ``call()`` until it succeeds or fails for a reason about the data (raised)."""

    def before_sleep(state: RetryCallState) -> None:
        err = state.outcome.exception() if state.outcome else None
        log.warning(message, extra={"error": reason(err) if err else "",
                                    "attempt": state.attempt_number,
                                    "retry_in_s": round(state.upcoming_sleep, 2)})

    async for attempt in AsyncRetrying(
            retry=retry_if_exception(is_transient), reraise=True, before_sleep=before_sleep,
            wait=wait_exponential(multiplier=first_s, max=max_s)):
        with attempt:
            return await call()
    raise AssertionError("unreachable: tenacity either returns or raises")
