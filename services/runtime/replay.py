"""``pulse replay --from TIMESTAMP``: re-process what the input topics retain.

Rewinds the pipeline's consumer group to the first offset at or after the timestamp (by
Kafka record time) on every input partition, then drains. Every write is idempotent, so
the tables end exactly as one clean run leaves them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from streams.settings import Settings
from streams.topics import INPUT_TOPICS


def parse_when(text: str) -> datetime:
    """RFC 3339 / ISO 8601 (a date alone means its midnight UTC)."""
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def rewind(settings: Settings, when: datetime) -> dict[tuple[str, int], int]:
    """Commit, for the pipeline's group, the offsets to restart from; returns them."""
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                             group_id=settings.app_id, enable_auto_commit=False,
                             client_id="pulse-replay")
    try:
        tps = [TopicPartition(settings.topic(t), p) for t in INPUT_TOPICS
               for p in sorted(consumer.partitions_for_topic(settings.topic(t)) or ())]
        found = consumer.offsets_for_times({tp: int(when.timestamp() * 1000) for tp in tps})
        ends = consumer.end_offsets(tps)
        offsets = {tp: (found[tp].offset if found.get(tp) is not None else ends[tp])
                   for tp in tps}
        consumer.commit({tp: OffsetAndMetadata(o, "", -1) for tp, o in offsets.items()})
        return {(tp.topic, tp.partition): o for tp, o in offsets.items()}
    finally:
        consumer.close()
