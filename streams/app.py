"""Builds the Faust app and nothing else."""

from __future__ import annotations

from collections.abc import Iterable

import faust
from faust.sensors import Sensor
from mode import ServiceT

from streams.settings import Settings
from streams.topics import DEAD_LETTER_MAX_BYTES


class PulseApp(faust.App):
    def on_init_dependencies(self) -> Iterable[ServiceT]:
        """Without Faust's Monitor among the sensors: it keeps per-event statistics for
        Faust's web view (disabled here), and costs every record several dict updates."""
        dependencies = list(super().on_init_dependencies())
        self.sensors.remove(self.monitor)
        # One sensor that does nothing: with none, Faust warns of a missing rebalance state.
        self.sensors.add(Sensor())
        return dependencies


def create_app(settings: Settings, group: str | None = None) -> faust.App:
    """The Faust app; its id is the consumer group (``topology.consumer_group``)."""
    group = group or settings.app_id
    (settings.home_dir / "faust").mkdir(parents=True, exist_ok=True)
    return PulseApp(
        group,
        broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
        datadir=str(settings.home_dir / "faust" / group),
        web_enabled=False,
        topic_partitions=settings.input_partitions,
        topic_allow_declare=False,  # `pulse up` creates topics with their own settings
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=1.0,
        broker_session_timeout=settings.session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_seconds / 3),
        producer_acks=-1,
        # On a rebalance, do not wait for held events to be acked: the surge agent holds
        # activity until the watermark passes it, which would stall the rebalance forever.
        # Unacked events are re-read by the partition's next owner (at least once).
        stream_wait_empty=False,
        producer_max_request_size=DEAD_LETTER_MAX_BYTES,  # an oversized record, dead-lettered
        stream_buffer_maxsize=max(4096, settings.batch_size * 2),
        autodiscover=False,
    )
