"""Create the declared topics on any broker (local or remote); idempotent."""

from __future__ import annotations

import contextlib
import logging

from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from streams.settings import Settings
from streams.topics import TOPICS

log = logging.getLogger("pulse.topics")


class BrokerUnreachable(ConnectionError):
    pass


def admin_client(settings: Settings) -> KafkaAdminClient:
    try:
        return KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                                client_id="pulse-admin", request_timeout_ms=15000,
                                bootstrap_timeout_ms=10000)
    except (KafkaError, OSError) as err:  # about the world; anything else is ours and shows
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
            if spec.retention_ms:
                configs["retention.ms"] = str(spec.retention_ms)
            wanted.append(NewTopic(name, spec.partitions or settings.input_partitions,
                                   settings.topic_replication,
                                   topic_configs=configs))
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(wanted, timeout_ms=15000)
        raise_message_limits(admin, settings, existing)
        return [t.name for t in wanted]
    finally:
        admin.close()


def raise_message_limits(admin: KafkaAdminClient, settings: Settings,
                         existing: set[str]) -> list[str]:
    """Raise `max.message.bytes` on topics created before their limit was declared.

    Without this an old deployment keeps the broker's 1 MB default, and an oversized event
    is refused by the broker instead of reaching the dead letters. Only ever raised: an
    operator's higher setting stays. Returns the topics changed (the broker applies the
    change within moments)."""
    limits = {settings.topic(s.name): s.max_message_bytes for s in TOPICS
              if s.max_message_bytes and settings.topic(s.name) in existing}
    if not limits:
        return []
    try:
        described = admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, ["max.message.bytes"])
             for name in limits], config_filter="all").get("topic", {})
        low = {name: limit for name, limit in limits.items()
               if int(described.get(name, {}).get("max.message.bytes", {}).get("value") or 0)
               < limit}
        if low:
            results = admin.alter_configs(
                [ConfigResource(ConfigResourceType.TOPIC, name, {"max.message.bytes": str(limit)})
                 for name, limit in low.items()]).get("topic", {})
            refused = {name: str(r) for name, r in results.items() if str(r) != "OK"}
            if refused:
                raise KafkaError(f"refused: {refused}")
    except KafkaError as err:  # e.g. no AlterConfigs permission on a managed cluster
        log.warning("cannot raise max.message.bytes; set it on these topics by hand, or "
                    "events over 1 MB are refused instead of dead-lettered",
                    extra={"topics": sorted(limits), "error": str(err)})
        return []
    return sorted(low)


def topic_partitions(settings: Settings) -> dict[str, int]:
    admin = admin_client(settings)
    try:
        names = [settings.topic(s.name) for s in TOPICS]
        return {t["name"]: len(t["partitions"])
                for t in admin.describe_topics(names) if not t.get("error_code")}
    finally:
        admin.close()
