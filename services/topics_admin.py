"""Create the declared topics on any broker (local or remote); idempotent."""

from __future__ import annotations

import contextlib

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.settings import Settings
from streams.topics import TOPICS


class BrokerUnreachable(ConnectionError):
    pass


def admin_client(settings: Settings) -> KafkaAdminClient:
    try:
        return KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                client_id="pulse-admin", request_timeout_ms=15000,
                                bootstrap_timeout_ms=10000)
    except Exception as err:
        raise BrokerUnreachable(
            f"cannot reach Kafka at {settings.kafka_bootstrap} ({type(err).__name__}: {err}); "
            "check PULSE_KAFKA_BOOTSTRAP, or run `pulse up` for a local broker") from err


def ensure_topics(settings: Settings) -> list[str]:
    """Create missing topics; returns the names created."""
    admin = admin_client(settings)
    try:
        existing = set(admin.list_topics())
        wanted = []
        for spec in TOPICS:
            name = settings.topic(spec.name)
            if name in existing:
                continue
            configs = {"cleanup.policy": "compact"} if spec.compacted else {}
            if spec.max_message_bytes:
                configs["max.message.bytes"] = str(spec.max_message_bytes)
            wanted.append(NewTopic(name, spec.partitions or settings.input_partitions,
                                   settings.topic_replication,
                                   topic_configs=configs))
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(wanted, timeout_ms=15000)
        return [t.name for t in wanted]
    finally:
        admin.close()


def topic_partitions(settings: Settings) -> dict[str, int]:
    admin = admin_client(settings)
    try:
        names = [settings.topic(s.name) for s in TOPICS]
        return {t["name"]: len(t["partitions"])
                for t in admin.describe_topics(names) if not t.get("error_code")}
    finally:
        admin.close()
