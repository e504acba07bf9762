"""A library repeating itself (aiokafka with the broker gone) is shown once per window with
a count of what was held back; our own lines are never held back."""

from __future__ import annotations

import json
import logging

from services.runtime.logs import JsonFormatter, RepeatFilter


def record(name: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_repeats_are_held_back_and_counted_per_window():
    now = [0.0]
    f = RepeatFilter(window_s=30, clock=lambda: now[0])
    shown = []
    for i in range(101):  # a failure every 0.61 s for 61 s
        now[0] = i * 0.61
        r = record("aiokafka", "Unable connect to node with id %s: %s", 1, "refused")
        if f.filter(r):
            shown.append(json.loads(JsonFormatter().format(r)))
    assert len(shown) == 3  # at 0 s, ~30 s and ~60 s
    assert "suppressed" not in shown[0]
    assert shown[1]["suppressed"] + shown[2]["suppressed"] == 98
    assert shown[1]["msg"] == "Unable connect to node with id 1: refused"


def test_different_messages_and_our_own_lines_always_pass():
    f = RepeatFilter(clock=lambda: 0.0)
    assert f.filter(record("aiokafka", "Unable connect to node with id %s", 1))
    assert f.filter(record("aiokafka.consumer.fetcher", "Failed fetch messages from %s", 1))
    assert f.filter(record("aiokafka", "Unable to update metadata from %s", [1]))
    assert not f.filter(record("aiokafka", "Unable connect to node with id %s", 1))
    assert all(f.filter(record("pulse.runner", "drained %s events", n)) for n in range(5))
