"""The broker, the topics and the consumer groups."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from streams.settings.base import CONFIG


class KafkaSettings(BaseSettings):
    model_config = CONFIG

    kafka_bootstrap: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers.")
    topic_prefix: str = Field("", description="Prefix for every topic name (isolates test runs).")
    input_partitions: int = Field(4, ge=1, description="Partitions of each input topic.")
    topic_replication: int = Field(1, ge=1, description="Replication factor of created topics.")
    app_id: str = Field("accountpulse", description="Faust app id, also the consumer group.")
    session_timeout_seconds: float = Field(
        10.0, gt=0, description="A worker that stops heartbeating loses its partitions after "
        "this long (how fast a restarted or surviving worker takes over).",
    )

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}{name}"
