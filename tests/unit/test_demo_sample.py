"""The demo's sample is published as a live feed arrives: in event-time order."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from services.demo.sample import build_sample


def test_the_sample_is_in_event_time_order_and_a_group_identifies_itself_first():
    lines = build_sample(days=28, seed=7, now=datetime(2026, 12, 6, 16, tzinfo=UTC)).lines
    readable = []
    for line in lines:
        try:
            readable.append(json.loads(line))
        except ValueError:
            continue
    times = [datetime.fromisoformat(e["ts"]) for e in readable
             if isinstance(e.get("ts"), str) and e["ts"][:1].isdigit()]
    assert len(times) > 16_000 and times == sorted(times)
    buyers = [e for e in readable if "buyer" in str(e.get("anonymous_id"))]
    first_of = {}
    for e in buyers:
        first_of.setdefault(e["anonymous_id"], e)
    named = [e for e in first_of.values() if "email" in e]
    assert len(named) == 2  # the two known contacts' first visits carry their email
