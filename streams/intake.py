"""Adaptive batches: a stream's events handed out as soon as nothing more is waiting, or
the batch is full, whichever comes first.

Faust's ``take`` flushes on a full buffer or a fixed window, so at light load every event
waits for the window. Here a collector task reads the stream in the background (it keeps
reading while the agent processes or lands the previous batch) and marks a batch ready the
moment the channel's queue is empty and the consumer knows of no later record in the
partition (its high watermark): light load lands in milliseconds, and a backlog in full
batches, because a queue that empties between two fetches does not end a batch while the
broker holds more. Two batches are at least ``spacing_s`` apart unless the second is full,
which bounds the inserts a second at any load. The window stays only as a ceiling. Acks are
the caller's (the stream's own acks are off), given after landing.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import faust
from faust.exceptions import ConsumerNotStarted
from faust.types import EventT


class Intake:
    def __init__(self, stream: faust.StreamT[Any], max_size: int, ceiling_s: float,
                 spacing_s: float = 0.0) -> None:
        self.stream = stream
        self.spacing_s = spacing_s  # at least this between two batches, unless full
        self._last_yield = 0.0
        self.max_size = max_size
        self.ceiling_s = ceiling_s
        self._buffer: list[EventT] = []
        self._first_at = 0.0  # monotonic time the oldest buffered event arrived
        self._ready = asyncio.Event()  # a batch may be taken
        self._room = asyncio.Event()  # the buffer is not full
        self._room.set()
        self._full = asyncio.Event()  # the buffer reached max_size (ends a spacing wait)
        self._failure: BaseException | None = None
        self._ended = False  # the stream stopped

    def _nothing_waiting(self, event: EventT) -> bool:
        queue = getattr(self.stream.channel, "queue", None)
        if queue is not None and not queue.empty():
            return False
        message = event.message
        try:
            highwater = self.stream.app.consumer.highwater(message.tp)
        except (ConsumerNotStarted, AssertionError):  # not assigned (a rebalance): flush
            return True
        return highwater is None or message.offset + 1 >= highwater

    async def _collect(self) -> None:
        try:
            async for event in self.stream.events():
                if not self._buffer:
                    self._first_at = time.monotonic()
                self._buffer.append(event)
                if len(self._buffer) >= self.max_size:
                    self._ready.set()
                    self._full.set()
                    self._room.clear()
                    await self._room.wait()  # back-pressure: the stream waits for the agent
                elif self._nothing_waiting(event):
                    self._ready.set()
        finally:  # the stream ended or failed: the agent wakes (a failure is the task's)
            self._ended = True
            self._ready.set()

    def watch(self, future: asyncio.Future[Any]) -> asyncio.Future[Any]:
        """A failure of ``future`` (the caller's landing) ends ``batches`` with it, even
        while no event arrives; returns ``future``."""
        def done(f: asyncio.Future[Any]) -> None:
            if not f.cancelled() and f.exception() is not None and self._failure is None:
                self._failure = f.exception()
                self._ready.set()
        future.add_done_callback(done)
        return future

    async def batches(self) -> AsyncIterator[list[EventT]]:
        self.stream.enable_acks = False  # acks are the caller's, after landing
        collector = asyncio.ensure_future(self._collect())
        try:
            while True:
                if self._ended:
                    pass
                elif self._buffer:
                    wait = self.ceiling_s - (time.monotonic() - self._first_at)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._ready.wait(), max(0.0, wait))
                else:
                    await self._ready.wait()
                if collector.done() and not collector.cancelled() and collector.exception():
                    raise collector.exception()  # type: ignore[misc]
                if self._failure is not None:
                    raise self._failure
                self._ready.clear()
                if not self._buffer:
                    if self._ended:
                        return
                    continue
                gap = self.spacing_s - (time.monotonic() - self._last_yield)
                if gap > 0 and not self._ended and len(self._buffer) < self.max_size:
                    self._full = asyncio.Event()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._full.wait(), gap)
                batch, self._buffer = self._buffer, []
                self._room.set()
                self._last_yield = time.monotonic()
                yield batch
        finally:
            collector.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await collector
