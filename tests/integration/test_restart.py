"""A worker killed mid-stream (SIGKILL: no shutdown, no commit) five times at seeded
random points of a 20,000-event run, then restarted, loses nothing and counts nothing
twice; roll-ups agree with the events."""

from __future__ import annotations

import json
import random
import signal
from collections import Counter
from datetime import timedelta

import pytest

from tests.conftest import PulseEnv, wait_for
from tests.support.clock import yesterday_noon

pytestmark = pytest.mark.integration

N_EVENTS = 20_000
DAY = yesterday_noon()
ACCOUNTS = "account_id,name,domains,ip_ranges,tier\n" + "".join(
    f"acc{i},Account {i},acc{i}.com,10.{i}.0.0/16,{i % 3 + 1}\n" for i in range(20))


def events(rng: random.Random) -> tuple[list[bytes], Counter[str]]:
    lines, truth = [], Counter()
    for n in range(N_EVENTS):
        acc = rng.randrange(25)  # 20..24 own no range: unattributed
        event = {"event_id": f"r-{n}", "type": "web_visit",
                 "ts": (DAY - timedelta(days=n % 7, hours=n % 24)).isoformat(),
                 "ip": f"10.{acc}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                 "url": "https://vendor.example/", "user_agent": "Mozilla/5.0",
                 "anonymous_id": f"v{rng.randrange(400)}"}
        lines.append(json.dumps(event).encode())
        truth[f"acc{acc}" if acc < 20 else ""] += 1
    lines += rng.sample(lines, 500)  # resent by the publisher
    rng.shuffle(lines)
    return lines, truth


def test_sigkill_mid_stream_then_restart_is_exact(pulse_env: PulseEnv, tmp_path):
    rng = random.Random(42)
    lines, truth = events(rng)
    (tmp_path / "events.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    pulse_env.env["PULSE_BATCH_SIZE"] = "400"
    pulse_env.cli("up")
    pulse_env.cli("accounts", "load", str(tmp_path / "accounts.csv"))
    out = pulse_env.cli("publish", str(tmp_path / "events.jsonl")).stdout
    assert f"published {len(lines)} event(s) (web_visits: {len(lines)})" in out

    at_kill = []
    thresholds = sorted(rng.sample(range(1000, 17000), 5))
    for threshold in thresholds:
        run = pulse_env.start_pipeline()
        wait_for(lambda t=threshold: pulse_env.query(
            "SELECT count() AS n FROM abm.events")[0]["n"] >= t, 90, interval=0.1,
            what=f"{threshold} events landed")
        run.send_signal(signal.SIGKILL)
        assert run.wait(30) == -signal.SIGKILL  # killed, no shutdown, no commit
        with pulse_env.clickhouse() as ch:
            at_kill.append(ch.query("SELECT count() FROM abm.events FINAL").first_row[0])
    # Five real kills, each at or past its point and before the stream had finished.
    assert len(at_kill) == 5 and at_kill[-1] < N_EVENTS, at_kill
    assert all(n >= t for n, t in zip(at_kill, thresholds, strict=True)), (at_kill, thresholds)

    pulse_env.cli("run", "--drain")
    with pulse_env.clickhouse() as ch:
        total, distinct = ch.query("SELECT count(), uniqExact(event_id) FROM abm.events").first_row
        assert total == distinct == N_EVENTS
        per_account = dict(ch.query(
            "SELECT account_id, count() FROM abm.events GROUP BY 1").result_rows)
        assert per_account == dict(truth)
        for view in ("hourly", "daily", "weekly"):
            rolled = dict(ch.query(f"SELECT account_id, sum(events) FROM "
                                   f"abm.account_engagement_{view} GROUP BY 1").result_rows)
            assert rolled == {k: v for k, v in truth.items() if k}, view
        assert ch.query("SELECT count() FROM abm.dead_letters").first_row[0] == 0
