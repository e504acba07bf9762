"""The README's path on a fresh PULSE_HOME: pulse demo, up / status / down, publish."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from services.runtime.local_kafka import free_port, port_open
from services.warehouse import migration_files
from streams.topics import REFERENCE_TOPICS
from tests.conftest import PULSE, PulseEnv

pytestmark = pytest.mark.integration


def test_demo_starts_its_own_stack_prints_top_accounts_and_stops_it(tmp_path):
    port = free_port()
    env = {**os.environ, "PULSE_HOME": str(tmp_path / "home"),
           "PULSE_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}"}
    proc = subprocess.run([PULSE, "demo"], env=env, text=True, capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "kafka on 127.0.0.1" in out and "(started)" in out
    table = out.split("Most engaged accounts\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert table[0].split() == ["account", "name", "tier", "people", "web", "email", "ad", "score"]
    assert len(table) == 12  # header, rule, ten accounts
    scores = [float(line.split()[-1].replace(",", "")) for line in table[2:]]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    landed = re.search(r"(\d+) landed, (\d+) duplicates skipped, (\d+) dead-lettered", out)
    assert landed and int(landed.group(1)) > 1000 and int(landed.group(3)) == 3
    assert re.search(r"email +\(unmatched\)", out)  # free mail and the look-alike domain
    alerts = out.split("Sales alerts", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"spike +[\d.]+ +\d people from Initech Ltd in the last hour", alerts), alerts
    assert re.search(r"known contacts: [A-Z][a-z]+ [A-Z][a-z]+ \(", alerts), alerts  # named
    assert not port_open(port), "the demo must stop the broker it started"
    assert not (tmp_path / "home" / "kafka" / "broker.pid").exists()


def test_up_is_idempotent_and_status_reports_the_stack(pulse_env: PulseEnv):
    first = pulse_env.cli("up").stdout
    assert "kafka     already running" in first  # the session's broker, not started again
    assert "topics    created" in first
    assert f"{len(migration_files())} migration(s) applied" in first
    second = pulse_env.cli("up").stdout
    assert "topics    all present" in second and "up to date" in second
    status = pulse_env.cli("status").stdout
    assert f"{pulse_env.topic('web_visits')}(4)" in status
    assert f"{pulse_env.topic('dead_letters')}(1)" in status
    assert "pipeline  not running" in status
    # Reference topics keep the latest value per key, forever.
    admin = KafkaAdminClient(bootstrap_servers=pulse_env.settings.kafka_bootstrap)
    configs = admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, pulse_env.topic(t)) for t in REFERENCE_TOPICS])
    admin.close()
    assert {t: c["cleanup.policy"]["value"] for t, c in configs["topic"].items()} == {
        pulse_env.topic(t): "compact" for t in REFERENCE_TOPICS}


def test_up_with_a_remote_broker_starts_nothing(pulse_env: PulseEnv):
    pulse_env.env["PULSE_KAFKA_BOOTSTRAP"] = f"127.0.0.2:{free_port()}"  # nobody listens
    proc = pulse_env.cli("up", check=False, timeout=120)
    assert proc.returncode == 1
    assert "remote broker 127.0.0.2" in proc.stdout
    assert proc.stderr.startswith("pulse up: cannot reach Kafka at 127.0.0.2:"), proc.stderr
    assert not (pulse_env.settings.home_dir / "kafka").exists()


def test_down_stops_only_a_broker_pulse_started(tmp_path):
    port = free_port()
    env = {**os.environ, "PULSE_HOME": str(tmp_path / "home"),
           "PULSE_KAFKA_BOOTSTRAP": f"127.0.0.1:{port}"}

    def pulse(*args: str) -> str:
        proc = subprocess.run([PULSE, *args], env=env, text=True, capture_output=True,
                              timeout=300)
        assert proc.returncode in (0, 1), proc.stderr
        return proc.stdout

    assert "kafka     started" in pulse("up")
    assert "running (pid" in pulse("status")
    assert "kafka     stopped" in pulse("down")
    assert not port_open(port)
    assert "was not running" in pulse("down")


def test_publish_routes_by_type_and_reports_unroutable_lines(pulse_env: PulseEnv, tmp_path):
    lines = [
        {"type": "web_visit", "ts": "2026-11-02T09:30:00Z", "ip": "1.2.3.4", "url": "https://x/",
         "user_agent": "ua"},
        {"event_id": "o1", "type": "email_open", "ts": "2026-11-02T09:30:00Z",
         "email": "a@b.com", "campaign_id": "c"},
        {"event_id": "o2", "type": "email_open", "ts": "2026-11-02T09:30:00Z"},  # broken later
        {"event_id": "c1", "type": "ad_click", "ts": "2026-11-02T09:30:00Z", "ip": "1.2.3.4",
         "campaign_id": "c"},
        {"event_id": "z", "type": "page_view"},
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\nnot json\n")
    proc = pulse_env.cli("publish", str(path), check=False)
    assert proc.returncode == 1
    assert "published 4 event(s) (ad_clicks: 1, email_opens: 2, web_visits: 1)" in proc.stdout
    assert "line 5: unknown event type 'page_view'" in proc.stderr
    assert "line 7: not JSON" in proc.stderr

    consumer = KafkaConsumer(bootstrap_servers=pulse_env.settings.kafka_bootstrap)
    counts = {}
    for name in ("web_visits", "email_opens", "ad_clicks"):
        tps = [TopicPartition(pulse_env.topic(name), p) for p in range(4)]
        counts[name] = sum(consumer.end_offsets(tps).values())
    consumer.close()
    assert counts == {"web_visits": 1, "email_opens": 2, "ad_clicks": 1}
