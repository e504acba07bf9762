"""Why a warehouse call failed: the world (retry) or the data (isolate and dead-letter).

Retrying a failure that is about the data blocks its partition for good; dead-lettering a
failure that is about the world (warehouse down, timeouts, refusing writes) throws good
events away. So every failure is classified, and a batch that fails for a data reason is
split in halves until each bad row stands alone: those rows become dead letters with the
warehouse's own words, the rest lands, and offsets still advance only after landing.
"""

from __future__ import annotations

import logging
import re
import urllib.error
from collections.abc import Callable, Sequence
from typing import TypeVar

log = logging.getLogger("pulse.sink")
T = TypeVar("T")

# ClickHouse error codes that say something about the server, the network or the
# deployment, never about the rows sent (src/Common/ErrorCodes.cpp).
WORLD_CODES = frozenset({
    3,  # UNEXPECTED_END_OF_FILE (a connection cut mid-answer)
    16, 47, 60, 81,  # NO_SUCH_COLUMN_IN_TABLE, UNKNOWN_IDENTIFIER, UNKNOWN_TABLE, UNKNOWN_DATABASE
    32,  # ATTEMPT_TO_READ_AFTER_EOF
    159, 160,  # TIMEOUT_EXCEEDED, TOO_SLOW
    164, 242,  # READONLY, TABLE_IS_READ_ONLY
    202, 203,  # TOO_MANY_SIMULTANEOUS_QUERIES, NO_FREE_CONNECTION
    209, 210,  # SOCKET_TIMEOUT, NETWORK_ERROR
    236, 394,  # ABORTED, QUERY_WAS_CANCELLED
    241, 243,  # MEMORY_LIMIT_EXCEEDED, NOT_ENOUGH_SPACE
    252,  # TOO_MANY_PARTS: merges lag behind inserts (but see below)
    279, 285, 319,  # ALL_CONNECTION_TRIES_FAILED, TOO_FEW_LIVE_REPLICAS, UNKNOWN_STATUS_OF_INSERT
    425, 497, 516,  # SYSTEM_ERROR, ACCESS_DENIED, AUTHENTICATION_FAILED
    999, 1000,  # KEEPER_EXCEPTION, POCO_EXCEPTION
})
# Code 252 also names an insert whose rows span too many partitions: about the data.
DATA_MESSAGES = ("Too many partitions for single INSERT block",)
_CODE = re.compile(r"Code: (\d+)")


class TransientError(ConnectionError):
    """A failure about the world, raised where the cause has no exception of its own."""


def is_transient(err: BaseException) -> bool:
    """True when retrying later can succeed without changing what is sent."""
    if isinstance(err, ConnectionError | TimeoutError | urllib.error.URLError):
        return True
    name = type(err).__name__
    if name in ("OperationalError", "WarehouseBusy"):  # clickhouse-connect: no connection
        return True
    text = str(err)
    if any(m in text for m in DATA_MESSAGES):
        return False
    code = _CODE.search(text)
    if code is not None:
        return int(code.group(1)) in WORLD_CODES
    return isinstance(err, OSError)


def reason(err: BaseException, limit: int = 500) -> str:
    """The warehouse's own words, first line, bounded (it can quote a whole row)."""
    lines = str(err).strip().splitlines() or [type(err).__name__]
    text = lines[0]
    return text if len(text) <= limit else text[:limit] + "..."


def isolate(rows: Sequence[T], write: Callable[[Sequence[T]], object],
            probe: Callable[[], object] | None = None) -> list[tuple[int, str]]:
    """Write ``rows``; when the write fails for a data reason, split it until each
    refused row stands alone. Returns (index, reason) of the refused rows; a failure
    about the world propagates (the caller retries the whole batch).

    ``probe`` is called before a single row is declared bad: if the warehouse cannot
    answer even that, the failure is about the world after all."""
    refused: list[tuple[int, str]] = []

    def attempt(lo: int, hi: int) -> None:
        try:
            write(rows[lo:hi])
            return
        except Exception as err:
            if is_transient(err):
                raise
            if hi - lo > 1:
                mid = (lo + hi) // 2
                attempt(lo, mid)
                attempt(mid, hi)
                return
            if probe is not None:
                probe()  # raises (world) when the warehouse itself is unwell
            log.warning("the warehouse refused a row", extra={"error": reason(err)})
            refused.append((lo, reason(err)))

    if rows:
        attempt(0, len(rows))
    return refused
