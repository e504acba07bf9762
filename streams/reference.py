"""Reference data (accounts, contacts, IP ranges) read from ClickHouse into an Attributor."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from schemas.reference import Account, Contact
from streams.attribution.chain import Attributor, build_attributor
from streams.attribution.ip_ranges import RangeClaim
from streams.non_human import NonHumanFilter

log = logging.getLogger("pulse.reference")

Query = Callable[[str], Sequence[Sequence[Any]]]

_VERSION_SQL = (
    "SELECT (SELECT (count(), max(loaded_at)) FROM abm.accounts),"
    " (SELECT (count(), max(loaded_at)) FROM abm.contacts),"
    " (SELECT (count(), max(loaded_at)) FROM abm.ip_ranges)"
)


def load_attributor(query: Query, free_mail: frozenset[str], non_human: NonHumanFilter,
                    name_cutoff: float = 85.0, name_margin: float = 8.0) -> Attributor:
    accounts = query("SELECT account_id, name, domains, ip_ranges, tier FROM abm.accounts FINAL")
    contacts = query("SELECT email, account_id FROM abm.contacts FINAL")
    ranges = query("SELECT cidr, account_id, kind, source FROM abm.ip_ranges FINAL")
    attributor = build_attributor(
        (Account.model_construct(account_id=a, name=n, domains=list(d), ip_ranges=list(r), tier=t)
         for a, n, d, r, t in accounts),
        (Contact.model_construct(email=e, account_id=a) for e, a in contacts),
        free_mail,
        (RangeClaim(c, a, k, "ip_ranges") for c, a, k, _ in ranges),
        non_human,
        name_cutoff,
        name_margin,
    )
    log.info("reference data loaded", extra={"accounts": len(accounts), "contacts": len(contacts),
                                             "ip_ranges": len(ranges)})
    return attributor


class ReferenceData:
    """Holds the current attributor; ``refresh`` swaps in a new one when the data changed."""

    def __init__(self, free_mail: frozenset[str], non_human: NonHumanFilter,
                 name_cutoff: float = 85.0, name_margin: float = 8.0) -> None:
        self.free_mail = free_mail
        self.non_human = non_human
        self.name_cutoff = name_cutoff
        self.name_margin = name_margin
        self.version: object = None
        self.attributor: Attributor = build_attributor([], [], free_mail, non_human=non_human)

    def refresh(self, query: Query) -> bool:
        version = query(_VERSION_SQL)[0]
        if version == self.version:
            return False
        self.attributor = load_attributor(query, self.free_mail, self.non_human,
                                          self.name_cutoff, self.name_margin)
        self.version = version
        return True
