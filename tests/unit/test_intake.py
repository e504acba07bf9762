"""When a batch may end: the intake's "nothing more is waiting" test over every partition
the stream has delivered from. The consumer's high watermarks are given, as Faust's
consumer reports them after a fetch."""

import asyncio
from types import SimpleNamespace
from typing import Any

from faust.exceptions import ConsumerNotStarted

from streams.intake import Intake


class Consumer:
    def __init__(self, highwaters: dict[str, int | None]) -> None:
        self.highwaters = highwaters

    def highwater(self, tp: str) -> int | None:
        if tp not in self.highwaters:
            raise ConsumerNotStarted("not assigned")
        return self.highwaters[tp]


def intake(highwaters: dict[str, int | None], queued: int = 0) -> Intake:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for i in range(queued):
        queue.put_nowait(i)
    stream = SimpleNamespace(channel=SimpleNamespace(queue=queue),
                             app=SimpleNamespace(consumer=Consumer(highwaters)))
    return Intake(stream, max_size=2000, ceiling_s=0.5)  # type: ignore[arg-type]


def event(tp: str, offset: int) -> Any:
    return SimpleNamespace(message=SimpleNamespace(tp=tp, offset=offset))


def test_a_lone_event_at_the_end_of_its_partition_ends_the_batch():
    assert intake({"visits-0": 8})._nothing_waiting(event("visits-0", 7))


def test_a_queued_event_keeps_the_batch_open():
    assert not intake({"visits-0": 8}, queued=1)._nothing_waiting(event("visits-0", 7))


def test_another_partition_behind_its_high_watermark_keeps_the_batch_open():
    """A backlog over four partitions: partition 0's fetch ran dry, partition 1 still holds
    records at the broker. Looking only at the current event's partition ended the batch."""
    it = intake({"visits-0": 8, "visits-1": 900})
    assert it._nothing_waiting(event("visits-1", 100)) is False
    assert it._nothing_waiting(event("visits-0", 7)) is False
    assert it._nothing_waiting(event("visits-1", 899)) is True


def test_a_partition_given_away_in_a_rebalance_is_forgotten():
    it = intake({"visits-0": 8, "visits-1": 900})
    it._nothing_waiting(event("visits-1", 100))
    del it.stream.app.consumer.highwaters["visits-1"]
    assert it._nothing_waiting(event("visits-0", 7))
    assert "visits-1" not in it._delivered


def test_an_unknown_high_watermark_does_not_hold_a_batch():
    assert intake({"visits-0": None})._nothing_waiting(event("visits-0", 3))
