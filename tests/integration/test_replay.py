"""`pulse replay --from` leaves every table exactly as a single clean run did."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from streams.topics import INPUT_TOPICS
from tests.conftest import PulseEnv

pytestmark = pytest.mark.integration

SNAPSHOT_SQL = {
    "events": "SELECT * EXCEPT (ingested_at) FROM abm.events FINAL ORDER BY event_id",
    "dead_letters": "SELECT * EXCEPT (received_at) FROM abm.dead_letters FINAL "
                    "ORDER BY topic, partition, offset",
    "identities": "SELECT * FROM abm.identities FINAL ORDER BY visitor_key",
    "daily": "SELECT * FROM abm.account_engagement_daily ORDER BY day, account_id, channel",
    "raw_rows": "SELECT count() FROM abm.events FINAL",
}


def snapshot(env: PulseEnv) -> dict[str, list[tuple[object, ...]]]:
    with env.clickhouse() as ch:
        return {k: ch.query(sql).result_rows for k, sql in SNAPSHOT_SQL.items()}


def test_replay_from_any_point_changes_nothing(pulse_env: PulseEnv, tmp_path):
    pulse_env.stack(accounts="account_id,name,domains,ip_ranges,tier\n"
                             "acme,Acme,acme.com,198.51.100.0/24,1\n",
                    contacts="email,account_id\nanna@acme.com,acme\n")
    ts = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0)
    lines = []
    for i in range(300):
        event = {"event_id": f"r{i}", "type": "web_visit", "ts": (ts + timedelta(seconds=i)
                                                                  ).isoformat(),
                 "ip": f"198.51.100.{i % 200 + 1}", "url": "https://vendor.example/",
                 "user_agent": "Mozilla/5.0 (X11) Firefox/133", "anonymous_id": f"c{i % 40}"}
        if i % 50 == 7:
            event["email"] = "anna@acme.com"  # stitches cookie c7 and re-attributes
        lines.append(json.dumps(event))
    lines.append('{"type": "web_visit", "ts": "nope"}')
    started = datetime.now(UTC)
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n")
    pulse_env.cli("publish", str(tmp_path / "events.jsonl"))
    pulse_env.cli("run", "--drain")
    clean = snapshot(pulse_env)
    assert clean["raw_rows"] == [(300,)] and len(clean["dead_letters"]) == 1

    for when in (started - timedelta(minutes=5), datetime.now(UTC) - timedelta(seconds=1)):
        out = pulse_env.cli("replay", "--from", when.isoformat()).stdout
        # every partition of every input topic (4 each in tests)
        assert f"rewound {4 * len(INPUT_TOPICS)} partition(s)" in out
        assert snapshot(pulse_env) == clean
    out = pulse_env.cli("replay", "--from", (started - timedelta(minutes=5)).isoformat()).stdout
    assert "processed 301 record(s)" in out and "0 landed" in out
