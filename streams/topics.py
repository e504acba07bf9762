"""Every Kafka topic AccountPulse uses, declared once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int | None  # None: PULSE_INPUT_PARTITIONS
    doc: str
    compacted: bool = False
    max_message_bytes: int | None = None  # None: the broker's default (1 MB)
    retention_ms: int | None = None  # None: the broker's default (7 days)


# Input topics take records up to 4 MB, so an oversized event reaches the dead letters
# (with its bytes) instead of being refused at the door; dead letters carry it base64.
INPUT_MAX_BYTES = 4 << 20
DEAD_LETTER_MAX_BYTES = 8 << 20


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec("web_visits", None,
              "web_visit events (JSON). Produced by site trackers / `pulse publish`; "
              "consumed by the pipeline agent.", max_message_bytes=INPUT_MAX_BYTES),
    TopicSpec("email_opens", None,
              "email_open events (JSON). Produced by the email platform / `pulse publish`; "
              "consumed by the pipeline agent.", max_message_bytes=INPUT_MAX_BYTES),
    TopicSpec("email_clicks", None,
              "email_click events (JSON). Produced by the collector's email-provider "
              "webhooks / `pulse publish`; consumed by the pipeline agent.",
              max_message_bytes=INPUT_MAX_BYTES),
    TopicSpec("ad_clicks", None,
              "ad_click events (JSON). Produced by ad platforms / `pulse publish`; "
              "consumed by the pipeline agent.", max_message_bytes=INPUT_MAX_BYTES),
    TopicSpec("dead_letters", 1,
              "Records that failed validation or processing (JSON: topic, partition, offset, "
              "kind, stage, error, payload_base64, received_at), keyed by "
              "topic:partition:offset. Produced by the pipeline agent (and by workers for "
              "unreadable reference records); consumed by ops tooling for fix-and-replay.",
              max_message_bytes=DEAD_LETTER_MAX_BYTES),
    TopicSpec("account_activity", None,
              "Per account (key account_id): ids and event times of newly landed human "
              "events, daily ticks for customers, and every pipeline worker's low "
              "watermark (keyless, to each partition). Produced by the pipeline agent; "
              "consumed by the surge agent, which owns the accounts of its partitions."),
    TopicSpec("surge_alerts", 1,
              "Sales alerts (surge_alert/1-0-3 JSON: surges, spikes, cooling, MQA entries), "
              "keyed by account_id; alert_id is deterministic, so consumers deduplicate on "
              "it. Produced by the surge agent and its stage evaluation; "
              "consumed by the webhook delivery agent and any CRM integration."),
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
    TopicSpec("webhook_tokens", 1,
              "Mailgun signature tokens and a digest of the event each signed (keyed by a "
              "hash of the token). Produced and read by every collector replica: the first "
              "record of a token decides, so a captured signature cannot sign another "
              "event. One partition orders every claim; kept 8 days (longer than "
              "PULSE_WEBHOOK_MAX_AGE_SECONDS may be).", retention_ms=8 * 86_400_000),
    TopicSpec("opportunities", 1,
              "CRM opportunities (opportunity/1-0-0 JSON, matched to an account or not), keyed "
              "by opportunity id; a tombstone removes a deleted one. Produced by `pulse "
              "opportunities load`; read by CRM integrations and rebuilds (the pipeline does "
              "not need it).", compacted=True),
    TopicSpec("control_assignments", 1,
              "Control-group assignments (control_assignment/1-0-0 JSON), keyed by account_id, "
              "every assignment and re-assignment kept (retention forever). Produced by "
              "`pulse control assign`; read by audits and rebuilds.", retention_ms=-1),
    TopicSpec("suppressions", 1,
              "People erased by `pulse forget` (keyed by person_key, the keyed hash of their "
              "email): every worker drops their events at ingest.", compacted=True),
)
INPUT_TOPICS = ("web_visits", "email_opens", "email_clicks", "ad_clicks")
DEAD_LETTERS = "dead_letters"
ACCOUNT_ACTIVITY = "account_activity"
SURGE_ALERTS = "surge_alerts"
WEBHOOK_TOKENS = "webhook_tokens"
OPPORTUNITIES = "opportunities"
REFERENCE_TOPICS = ("accounts", "contacts", "ip_ranges", "suppressions")
