"""Journey stages live, through the real roles: the surge role evaluates stages at the
pipeline's watermark, an account entering MQA raises one alert that is stored, published
and delivered (signed, with its reason), and neither a later drain nor a replay sends it
again."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import PulseEnv
from tests.integration.test_alerts import configure, visit
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.integration

ACCOUNTS = ("account_id,name,domains,ip_ranges,tier,industry,employees,country\n"
            "a0,Account 0,a0.com,10.0.0.0/16,2,Software,1200,US\n"
            "a1,Account 1,a1.com,10.1.0.0/16,2,Retail,30,BR\n")
NOW = datetime.now(UTC).replace(microsecond=0)


def test_entering_mqa_alerts_once_and_lands_in_the_history(pulse_env: PulseEnv,
                                                          accepting_receiver: Receiver):
    receiver = accepting_receiver
    configure(pulse_env, receiver)
    pulse_env.stack(ACCOUNTS)
    quiet = NOW - timedelta(days=3)
    pulse_env.publish_events([visit(0, quiet, "a0-p1", "/blog/x", 1),
                              visit(1, quiet, "a1-p1", "/pricing", 2)])
    pulse_env.cli("run", "--drain")
    # Both aware: recorded, nothing to alert.
    stages = pulse_env.query("SELECT account_id, previous_stage, stage FROM "
                             "abm.account_stage_changes FINAL ORDER BY account_id")
    assert stages == [{"account_id": "a0", "previous_stage": "unaware", "stage": "aware"},
                      {"account_id": "a1", "previous_stage": "unaware", "stage": "aware"}]
    assert receiver.requests == []

    # Three people from a0 (fit A: Software, 1,200 people, US) and two pricing visits.
    group = NOW - timedelta(hours=3)
    pulse_env.publish_events([visit(0, group + timedelta(minutes=i), f"a0-g{i}",
                                    "/pricing" if i < 2 else "/product", 10 + i)
                              for i in range(3)]
                             # a1 alike, but a poor fit (C): engaged, never MQA
                             + [visit(1, group + timedelta(minutes=i), f"a1-g{i}", "/pricing",
                                      20 + i) for i in range(3)])
    pulse_env.cli("run", "--drain")
    rows = pulse_env.query("SELECT account_id, kind, mode, reason, score FROM "
                           "abm.surge_alerts FINAL WHERE kind = 'mqa'")
    assert len(rows) == 1 and rows[0]["account_id"] == "a0" and rows[0]["score"] == 75
    assert rows[0]["reason"].startswith(
        "became a marketing-qualified account: fit A (75); 4 people and score ")
    assert rows[0]["reason"].endswith("; 2 high-intent visits in 14 days")
    [(headers, body)] = receiver.requests
    sent = json.loads(body)
    assert (sent["kind"], sent["mode"], sent["schema"]) == ("mqa", "stage", "surge_alert/1-0-3")
    assert headers["webhook-id"] == sent["alert_id"]
    latest = pulse_env.query("SELECT account_id, argMax(stage, changed_at) AS stage FROM "
                             "abm.account_stage_changes FINAL GROUP BY account_id "
                             "ORDER BY account_id")
    assert [r["stage"] for r in latest] == ["mqa", "engaged"]

    # More pricing visits: still MQA, no second alert; a replay rebuilds without alerting.
    pulse_env.publish_events([visit(0, group + timedelta(minutes=30), "a0-g9", "/pricing",
                                    40)])
    pulse_env.cli("run", "--drain")
    out = pulse_env.cli("stages", "replay").stdout
    assert "now: 0 customer, 0 opportunity, 1 mqa, 1 engaged, 0 aware, 0 unaware" in out
    pulse_env.cli("run", "--drain")
    assert len(receiver.requests) == 1
