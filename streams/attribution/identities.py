"""Identity stitching: an anonymous visitor id seen together with a known person.

Links live in ClickHouse (``abm.identities``) so every worker learns them; each worker
also applies its own new links at once. A linked visitor's later events attribute with
method ``stitched``; earlier ones are re-attributed in ClickHouse (see the sink).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


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
