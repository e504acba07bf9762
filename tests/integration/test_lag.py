"""The ops page's consumer lag read from the real broker: exact numbers, committed offsets
where the group has them and the log's start where it has none; and failures named for
what they are."""

from __future__ import annotations

import logging

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from services.runtime.local_kafka import free_port
from services.runtime.topics_admin import admin_client
from services.web import lag
from streams.settings import Settings
from tests.conftest import PulseEnv

pytestmark = pytest.mark.integration


def test_lag_counts_from_the_committed_offset_or_the_log_start(pulse_env: PulseEnv):
    pulse_env.cli("up")
    s = pulse_env.settings
    visits, opens = s.topic("web_visits"), s.topic("email_opens")
    producer = KafkaProducer(bootstrap_servers=s.kafka_bootstrap, acks="all")
    for partition, topic, n in ((0, visits, 10), (1, visits, 5), (0, opens, 3)):
        for i in range(n):
            producer.send(topic, value=b"{}", key=f"k{i}".encode(), partition=partition)
    producer.flush()
    producer.close()
    group = KafkaConsumer(bootstrap_servers=s.kafka_bootstrap, group_id=s.app_id,
                          enable_auto_commit=False)
    group.commit({TopicPartition(visits, 0): OffsetAndMetadata(4, "", -1)})
    group.close()
    admin = admin_client(s)
    try:  # retention took the first two records of email_opens[0]: not lag, never readable
        admin.delete_records({TopicPartition(opens, 0): 2})
    finally:
        admin.close()

    reading = lag.LagMonitor(s).refresh()

    assert reading.error == "" and reading.read_at is not None
    assert reading.topics == {"web_visits": 6 + 5, "email_opens": 1, "email_clicks": 0,
                              "ad_clicks": 0}


def test_no_broker_reads_broker_not_reachable(tmp_path):
    s = Settings(home=tmp_path, kafka_bootstrap=f"127.0.0.1:{free_port()}")
    reading = lag.LagMonitor(s).refresh()
    assert reading.error.startswith("broker not reachable: ") and reading.world
    assert reading.topics == {} and reading.read_at is None


def test_a_failure_of_ours_is_named_so_and_logged_once(tmp_path, monkeypatch, caplog):
    def broken(settings: Settings, timeout_ms: int = 3000) -> dict[str, int]:
        raise KeyError("partitions")

    monkeypatch.setattr(lag, "read_lag", broken)
    monitor = lag.LagMonitor(Settings(home=tmp_path))
    with caplog.at_level(logging.ERROR, logger="pulse.web"):
        first, second = monitor.refresh(), monitor.refresh()
    assert not first.world and first.error.startswith("AccountPulse could not read the "
                                                      "consumer lag: KeyError")
    assert second.error == first.error
    logged = [r for r in caplog.records if r.message == "reading consumer lag failed"]
    assert len(logged) == 1 and logged[0].exc_info is not None
