"""Every Kafka topic AccountPulse uses, declared once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int | None  # None: PULSE_INPUT_PARTITIONS
    doc: str
    compacted: bool = False


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec("web_visits", None,
              "web_visit events (JSON). Produced by site trackers / `pulse publish`; "
              "consumed by the pipeline agent."),
    TopicSpec("email_opens", None,
              "email_open events (JSON). Produced by the email platform / `pulse publish`; "
              "consumed by the pipeline agent."),
    TopicSpec("ad_clicks", None,
              "ad_click events (JSON). Produced by ad platforms / `pulse publish`; "
              "consumed by the pipeline agent."),
    TopicSpec("dead_letters", 1,
              "Records that failed validation or processing, with source topic, partition, "
              "offset, original bytes (base64) and the reason. Produced by the pipeline "
              "agent; consumed by ops tooling for fix-and-replay."),
    TopicSpec("accounts", 1,
              "Target accounts (JSON), keyed by account_id; the latest value per key is the "
              "account. Produced by `pulse accounts load`; every worker reads all of it.",
              compacted=True),
    TopicSpec("contacts", 1,
              "Known contacts (JSON), keyed by email. Produced by `pulse contacts load`; "
              "every worker reads all of it.", compacted=True),
    TopicSpec("ip_ranges", 1,
              "IP ranges (JSON), keyed by cidr|kind|account_id. Produced by "
              "`pulse ip-ranges load`; every worker reads all of it.", compacted=True),
    TopicSpec("suppressions", 1,
              "People erased by `pulse forget` (keyed by person_key, the keyed hash of their "
              "email): every worker drops their events at ingest.", compacted=True),
)
INPUT_TOPICS = ("web_visits", "email_opens", "ad_clicks")
DEAD_LETTERS = "dead_letters"
REFERENCE_TOPICS = ("accounts", "contacts", "ip_ranges", "suppressions")
