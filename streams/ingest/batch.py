"""One batch of raw records -> event rows and dead-letter rows. Pure: no I/O.

Every record comes out as exactly one of the two, whatever goes wrong inside: an
exception escaping a Faust agent would make faust-streaming skip the record's offset
and lose it silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from streams.attribution.chain import Attributor
from streams.attribution.identities import IdentityLink, IdentityLinks
from streams.ingest.codecs import DecodeError, decode
from streams.ingest.event_time import (
    DEFAULT_FUTURE_LIMIT_S,
    FUTURE_TOLERANCE_S,
    Accepted,
    EventTimeError,
    accepted_at,
    within,
)
from streams.ingest.pseudonyms import keyed, person_key, strip_url, truncate_ip, visitor_key
from streams.ingest.rows import KINDS, DeadLetterRow, EventRow
from streams.ingest.scoring import ScoringRules, default_rules


class RawRecord(NamedTuple):
    topic: str
    partition: int
    offset: int
    value: bytes | None


@dataclass
class BatchResult:
    events: list[EventRow] = field(default_factory=list)
    sources: list[RawRecord] = field(default_factory=list)  # each event's record, in order
    dead_letters: list[DeadLetterRow] = field(default_factory=list)
    links: list[IdentityLink] = field(default_factory=list)  # visitors newly known
    filtered: int = 0  # events of people who asked to be forgotten: dropped, by design


def process_batch(
    records: list[RawRecord],
    attributor: Attributor,
    secret: bytes,
    topic_prefix: str = "",
    now: datetime | None = None,
    links: IdentityLinks | None = None,
    suppressed: set[str] | frozenset[str] = frozenset(),
    late_grace_s: float = 3600.0,
    rules: ScoringRules | None = None,
    future_limit_s: float = DEFAULT_FUTURE_LIMIT_S,
) -> BatchResult:
    rules = rules or default_rules()
    now = now or datetime.now(UTC)
    links = links if links is not None else IdentityLinks()
    out = BatchResult()
    accepted = accepted_at(now, future_limit_s)
    for rec in records:
        try:
            row = _event_row(rec, attributor, secret, topic_prefix, accepted, links, out,
                             suppressed, late_grace_s, rules)
            if row is None:
                out.filtered += 1
            else:
                out.events.append(row)
                out.sources.append(rec)
        except DecodeError as err:
            out.dead_letters.append(dead_letter_row(rec, str(err), now, err.kind))
        except EventTimeError as err:
            out.dead_letters.append(dead_letter_row(rec, str(err), now, "time_out_of_range"))
        except Exception as err:  # a bug must cost one record a dead letter, not the stream
            out.dead_letters.append(dead_letter_row(
                rec, f"processing error: {type(err).__name__}: {err}", now, "processing_error"))
    return out


def _event_row(
    rec: RawRecord, attributor: Attributor, secret: bytes, prefix: str, accepted: Accepted,
    links: IdentityLinks, out: BatchResult, suppressed: set[str] | frozenset[str],
    late_grace_s: float, rules: ScoringRules,
) -> EventRow | None:
    event = decode(rec.value, rec.topic.removeprefix(prefix))
    now = accepted.now
    ts = within(event.ts, accepted)
    visitor = visitor_key(event, secret)
    link = links.lookup(visitor)
    if suppressed and (visitor in suppressed or person_key(event, secret) in suppressed
                       or (link is not None and link.person_key in suppressed)):
        return None
    match = attributor.attribute(event, link)
    fields = event.__dict__  # not getattr: a missing field costs a slow pydantic lookup
    email = fields.get("email") or ""
    person = link.person_key if match.method == "stitched" and link else person_key(event, secret)
    url_class = rules.url_class(event.__dict__.get("url")) if event.type == "web_visit" else ""
    persona = rules.persona(attributor.contacts.title(email)) if email else ""
    if visitor and email and match.method in ("contact", "email_domain"):
        # Seen together: this visitor is this person, here and in their other events.
        new = IdentityLink(visitor, person, match.account_id, ts)
        if links.add(new):
            out.links.append(new)
    return EventRow(
        event.event_id,
        ts,
        event.type,
        event.channel,
        match.account_id,
        match.method,
        match.confidence,
        match.evidence_json(),
        match.non_human,
        person,
        visitor,
        email.rsplit("@", 1)[1] if email else "",
        keyed(secret, "l:" + email.rsplit("@", 1)[0]) if email else "",
        truncate_ip(event.__dict__.get("ip") or ""),
        match.ip_block,
        strip_url(fields.get("url") or ""),
        strip_url(fields.get("referrer") or ""),
        fields.get("campaign_id") or "",
        fields.get("ad_id") or "",
        fields.get("platform") or "",
        fields.get("company_name") or "",
        fields.get("user_agent") or "",
        rules.score(event.type, url_class, attributor.tiers.get(match.account_id, ""), persona),
        url_class,
        persona,
        rules.version,
        int((now - ts).total_seconds() > late_grace_s),
        int((ts - now).total_seconds() > FUTURE_TOLERANCE_S),
        rec.topic,
        rec.partition,
        rec.offset,
        now,
    )


def dead_letter_row(rec: RawRecord, reason: str, now: datetime, kind: str,
                    stage: str | None = None) -> DeadLetterRow:
    """``stage``: the kind's own (``KINDS``) unless said otherwise."""
    return DeadLetterRow(rec.topic, rec.partition, rec.offset, rec.value or b"", reason, now,
                         kind, stage or KINDS[kind])
