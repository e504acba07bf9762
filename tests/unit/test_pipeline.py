import json
from datetime import UTC, datetime

from schemas.reference import Account, Contact
from streams.attribution.chain import Attributor, build_attributor
from streams.ingest.batch import RawRecord, process_batch
from streams.ingest.rows import DEAD_LETTER_COLUMNS, EVENT_COLUMNS

NOW = datetime(2026, 11, 3, tzinfo=UTC)
SECRET = b"k"


def attributor() -> Attributor:
    return build_attributor(
        [Account(account_id="acme", name="Acme", domains="acme.com", ip_ranges="198.18.0.0/22")],
        [Contact(email="anna@acme.com", account_id="acme")], [])


def rec(offset: int, value: bytes | None, topic: str = "t.web_visits") -> RawRecord:
    return RawRecord(topic, 2, offset, value)


VISIT = json.dumps({"event_id": "v1", "type": "web_visit", "ts": "2026-11-02T09:30:00Z",
                    "ip": "198.18.0.1", "url": "https://x/pricing", "user_agent": "ua"}).encode()


def test_every_record_becomes_exactly_one_row():
    records = [rec(0, VISIT), rec(1, b"{oops"), rec(2, None)]
    out = process_batch(records, attributor(), SECRET, topic_prefix="t.", now=NOW)
    assert len(out.events) == 1 and len(out.dead_letters) == 2
    row = dict(zip(EVENT_COLUMNS, out.events[0], strict=True))
    assert row["account_id"] == "acme" and row["match_method"] == "ip_range"
    assert row["channel"] == "web" and row["score"] == 5.0
    assert (row["_topic"], row["_partition"], row["_offset"]) == ("t.web_visits", 2, 0)
    dl = dict(zip(DEAD_LETTER_COLUMNS, out.dead_letters[0], strict=True))
    assert dl["payload"] == b"{oops" and dl["offset"] == 1 and "invalid JSON" in dl["error"]


def test_a_bug_in_a_matcher_dead_letters_the_record_instead_of_raising():
    class Broken(Attributor):
        def attribute(self, event, link=None):  # type: ignore[no-untyped-def]
            raise KeyError("boom")

    a = attributor()
    broken = Broken(a.contacts, a.domains, a.ip_ranges)
    out = process_batch([rec(5, VISIT)], broken, SECRET, topic_prefix="t.", now=NOW)
    assert out.events == []
    assert out.dead_letters[0][4] == "processing error: KeyError: 'boom'"
    assert out.dead_letters[0][3] == VISIT


def test_a_visitor_seen_with_a_known_email_is_stitched_from_then_on():
    from streams.attribution.identities import IdentityLinks

    def visit(eid: str, **extra: object) -> bytes:
        return json.dumps({"event_id": eid, "type": "web_visit", "ts": "2026-11-02T09:30:00Z",
                           "ip": "203.0.113.9", "url": "https://x/", "user_agent": "ua",
                           "anonymous_id": "cookie-9", **extra}).encode()

    links = IdentityLinks()
    out = process_batch([rec(0, visit("a")), rec(1, visit("b", email="anna@acme.com")),
                         rec(2, visit("c"))], attributor(), SECRET, "t.", NOW, links)
    rows = [dict(zip(EVENT_COLUMNS, r, strict=True)) for r in out.events]
    assert [(r["account_id"], r["match_method"]) for r in rows] == [
        ("", ""), ("acme", "contact"), ("acme", "stitched")]
    assert rows[1]["person_key"] == rows[2]["person_key"] != rows[0]["person_key"]
    assert rows[0]["visitor_key"] == rows[1]["visitor_key"] == rows[2]["visitor_key"]
    assert len(out.links) == 1 and out.links[0].account_id == "acme"
    again = process_batch([rec(3, visit("d", email="anna@acme.com"))], attributor(), SECRET,
                          "t.", NOW, links)
    assert again.links == []  # already known: nothing to re-attribute
