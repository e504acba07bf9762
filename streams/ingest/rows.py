"""The rows the pipeline writes: one ``EventRow`` per event (the columns of ``abm.events``,
in order) and one ``DeadLetterRow`` per record that could not become one."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import NamedTuple


class EventRow(NamedTuple):
    event_id: str
    ts: datetime  # UTC, within the accepted range (event_time.py)
    type: str
    channel: str
    account_id: str  # "" when nothing matched
    match_method: str
    match_confidence: float
    match_evidence: str  # JSON
    non_human: str  # why this is not a person; "" for people
    person_key: str
    visitor_key: str
    email_domain: str
    email_local_key: str
    ip: str  # truncated
    ip_block: str
    url: str  # stripped of query values, user-info, fragment
    referrer: str
    campaign_id: str
    ad_id: str
    platform: str
    company_name: str
    user_agent: str
    score: float
    url_class: str
    persona: str
    rules_version: str
    late: int
    future: int
    source_topic: str  # where it came from: _topic, _partition, _offset
    source_partition: int
    source_offset: int
    ingested_at: datetime


# The table's names: the source position columns are underscored there.
EVENT_COLUMNS = tuple(f"_{f.removeprefix('source_')}" if f.startswith("source_") else f
                      for f in EventRow._fields)


# Why a record became a dead letter, as a closed list (the reason says it for a person), and
# the stage that refused it: decode (bytes to JSON), validate (the contract, the time),
# attribute (processing), land (the warehouse). Snowplow's failed events carry the same.
KINDS: dict[str, str] = {
    "empty": "decode", "too_large": "decode", "not_utf8": "decode", "not_json": "decode",
    "unreadable_reference": "decode",
    "not_an_object": "validate", "unknown_type": "validate", "wrong_topic": "validate",
    "schema_violation": "validate", "time_out_of_range": "validate",
    "processing_error": "attribute", "warehouse_refused": "land",
}
STAGES = ("decode", "validate", "attribute", "land")


class DeadLetterRow(NamedTuple):
    topic: str
    partition: int
    offset: int
    payload: bytes  # the original record, unchanged
    error: str  # the reason, for a person
    received_at: datetime
    kind: str = "schema_violation"  # one of KINDS
    stage: str = "validate"  # one of STAGES

    def message(self) -> bytes:
        """The JSON value published to the ``dead_letters`` topic."""
        return json.dumps({
            "topic": self.topic, "partition": self.partition, "offset": self.offset,
            "kind": self.kind, "stage": self.stage, "error": self.error,
            "payload_base64": base64.b64encode(self.payload).decode("ascii"),
            "received_at": self.received_at.isoformat()}).encode()


DEAD_LETTER_COLUMNS = DeadLetterRow._fields
