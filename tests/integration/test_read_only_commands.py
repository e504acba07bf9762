"""Every read-only command gives the same answers whether or not `pulse run` holds the
embedded warehouse (then they go through its holder, values and all), and an analyst's
query can neither run several statements nor hold ingestion up."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import PulseEnv, wait_for
from tests.integration.test_surging import TODAY, visits

pytestmark = pytest.mark.integration

ACCOUNTS = ("account_id,name,domains,ip_ranges,tier,customer\n"
            "hot,Hot Co,hot.com,198.51.100.0/24,1,\n"
            "steady,Steady Co,steady.com,192.0.2.0/24,1,yes\n")


def history() -> list[dict[str, object]]:
    events = []
    for day in range(30):
        events += visits("192.0.2", day, 3, 3, "steady")
        events += visits("198.51.100", day, 3 if day >= 2 else 14, 6, "hot",
                         "/pricing" if day < 2 else "/product")
    return events


def answers(env: PulseEnv) -> dict[str, object]:
    """What each read-only command prints, with the parts that change by the minute cut."""
    events = env.files / "attribute.jsonl"
    events.write_text(json.dumps({"event_id": "x", "type": "web_visit",
                                  "ts": datetime.now(UTC).isoformat(), "ip": "198.51.100.7",
                                  "url": "https://vendor.example/", "user_agent": "Mozilla/5.0"})
                      + "\n")
    at = (TODAY + timedelta(hours=6)).isoformat()
    return {
        "query": env.query("SELECT account_id, count() AS n, min(ts) AS first FROM abm.events "
                           "GROUP BY account_id ORDER BY account_id"),
        "explain": env.cli("explain", "hot-0-0").stdout,
        "attribute": env.cli("attribute", str(events)).stdout,
        "surging": json.loads(env.cli("surging", "--since", "60d", "--format", "json").stdout),
        "surging_table": env.cli("surging", "--since", "60d").stdout,
        "surging_at": json.loads(env.cli("surging", "--at", at, "--all", "--format",
                                         "json").stdout),
        "status": env.cli("status").returncode,
    }


def test_read_only_commands_answer_the_same_with_and_without_a_running_pipeline(
        pulse_env: PulseEnv):
    pulse_env.stack(ACCOUNTS)
    pulse_env.publish_events(history())
    pulse_env.cli("run", "--drain")
    without = answers(pulse_env)
    assert without["surging"], "the hot account must have alerted for this to test anything"
    assert {r["kind"] for r in without["surging"]} >= {"surge"}
    assert "Hot Co" in without["surging_table"] and "hot" in without["explain"]
    run = pulse_env.start_pipeline()
    try:
        with_pipeline = answers(pulse_env)
        assert "pipeline  running" in pulse_env.cli("status").stdout
    finally:
        run.terminate()
        run.wait(60)
    assert with_pipeline == without


def test_an_analyst_query_runs_one_statement_within_its_limits_and_never_stalls_ingestion(
        pulse_env: PulseEnv):
    pulse_env.env["PULSE_QUERY_TIMEOUT_SECONDS"] = "4"
    pulse_env.env["PULSE_QUERY_MAX_ROWS"] = "5"
    pulse_env.cli("up")
    run = pulse_env.start_pipeline()
    try:
        several = pulse_env.cli("query", "SELECT sleep(1); SELECT sleep(1); SELECT sleep(1)",
                                check=False)
        assert several.returncode == 1
        assert "one statement per query, found 3" in several.stderr

        capped = pulse_env.cli("query", "SELECT number FROM numbers(100)", "--format", "json")
        assert [r["number"] for r in json.loads(capped.stdout)] == [0, 1, 2, 3, 4]
        assert "only the first 5 rows" in capped.stderr

        # A slow analyst query (minutes unbounded) is stopped at the limit, and events
        # published meanwhile land while it runs.
        slow: dict[str, subprocess.CompletedProcess[str]] = {}
        started = time.monotonic()
        thread = threading.Thread(target=lambda: slow.update(q=pulse_env.cli(
            "query", "SELECT sum(cityHash64(number)) FROM numbers(50000000000)",
            check=False)))
        thread.start()
        time.sleep(1.0)
        producer = pulse_env.producer()
        now = datetime.now(UTC).isoformat()
        for i in range(50):
            producer.send(pulse_env.topic("web_visits"), json.dumps({
                "event_id": f"during-{i}", "type": "web_visit", "ts": now, "ip": "203.0.113.9",
                "url": "https://vendor.example/", "user_agent": "Mozilla/5.0"}).encode())
        producer.flush()
        wait_for(lambda: int(pulse_env.query("SELECT count() AS n FROM abm.events")[0]["n"])
                 == 50, 30, what="events to land while the analyst query runs")
        landed_after = time.monotonic() - started
        thread.join(60)
        assert slow["q"].returncode == 1 and "Timeout exceeded" in slow["q"].stderr
        assert landed_after < 4.5, f"ingestion waited for the analyst ({landed_after:.1f} s)"
    finally:
        run.terminate()
        run.wait(60)
