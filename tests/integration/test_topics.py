"""`pulse up` / `pulse run` bring topics made by an older version up to the declared limits,
so an oversized event on an old deployment is dead-lettered instead of refused."""

from __future__ import annotations

import pytest
from kafka import KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

from services.runtime.topics_admin import admin_client, ensure_topics
from streams.topics import INPUT_MAX_BYTES
from tests.conftest import PulseEnv, wait_for

pytestmark = pytest.mark.integration


def max_bytes(env: PulseEnv, topic: str) -> int:
    admin = admin_client(env.settings)
    try:
        described = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic, ["max.message.bytes"])],
            config_filter="all")
        return int(described["topic"][topic]["max.message.bytes"]["value"])
    finally:
        admin.close()


def test_old_topics_get_the_declared_message_limit_and_a_higher_one_stays(pulse_env: PulseEnv):
    old, tuned = pulse_env.topic("web_visits"), pulse_env.topic("email_opens")
    admin = admin_client(pulse_env.settings)
    try:
        operator_choice = {"max.message.bytes": str(2 * INPUT_MAX_BYTES)}
        admin.create_topics([NewTopic(old, 1, 1),  # as an older version made it: 1 MB
                             NewTopic(tuned, 1, 1, topic_configs=operator_choice)])
    finally:
        admin.close()
    assert max_bytes(pulse_env, old) < 2_000_000

    ensure_topics(pulse_env.settings)

    wait_for(lambda: max_bytes(pulse_env, old) == INPUT_MAX_BYTES, timeout=30)
    assert max_bytes(pulse_env, tuned) == 2 * INPUT_MAX_BYTES  # an operator's choice stays
    producer = KafkaProducer(bootstrap_servers=pulse_env.settings.kafka_bootstrap,
                             max_request_size=INPUT_MAX_BYTES)
    try:  # the broker now takes a 2 MB event, so the pipeline can dead-letter it
        producer.send(old, b'{"type": "web_visit", "pad": "' + b"x" * 2_000_000 + b'"}'
                      ).get(timeout=30)
    finally:
        producer.close()
