"""Identity stitching: an anonymous visitor id seen together with a known person.

Links live in ClickHouse (``abm.identities``) so every worker learns them; each worker
also applies its own new links at once. A linked visitor's later events attribute with
method ``stitched``; earlier ones are re-attributed in ClickHouse (see the sink).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from streams.attribution.match import CONFIDENCE


@dataclass(frozen=True, slots=True)
class IdentityLink:
    visitor_key: str  # keyed hash of the anonymous id
    person_key: str  # keyed hash of the email it was seen with
    account_id: str
    linked_at: datetime  # event time of the event that showed both


class IdentityLinks:
    def __init__(self, links: Iterable[IdentityLink] = ()) -> None:
        self._by_visitor = {link.visitor_key: link for link in links}

    def __len__(self) -> int:
        return len(self._by_visitor)

    def lookup(self, visitor_key: str) -> IdentityLink | None:
        return self._by_visitor.get(visitor_key) if visitor_key else None

    def add(self, link: IdentityLink) -> bool:
        """Record a link; False when the same visitor was already linked the same way."""
        held = self._by_visitor.get(link.visitor_key)
        if held is not None and (held.person_key, held.account_id) == (
                link.person_key, link.account_id):
            return False
        self._by_visitor[link.visitor_key] = link
        return True

    def merge(self, links: Iterable[IdentityLink]) -> None:
        for link in links:
            held = self._by_visitor.get(link.visitor_key)
            if held is None or held.linked_at <= link.linked_at:
                self._by_visitor[link.visitor_key] = link


LINK_COLUMNS = ("visitor_key", "person_key", "account_id", "linked_at")  # abm.identities


def link_row(link: IdentityLink) -> list[object]:
    return [link.visitor_key, link.person_key, link.account_id, link.linked_at]


def backfill(link: IdentityLink, lookback: timedelta) -> dict[str, object]:
    """The re-attribution a new link calls for (``stitch_backfill.sql``): the visitor's
    events in the look-back become the person's, at the stitched confidence, with the link
    as evidence."""
    return {"account_id": link.account_id, "confidence": CONFIDENCE["stitched"],
            "evidence": json.dumps({"visitor_linked_at": link.linked_at.isoformat()}),
            "person_key": link.person_key, "visitor_key": link.visitor_key,
            "since": link.linked_at - lookback}
