"""Reference data (accounts, contacts, IP ranges) read from ClickHouse into an Attributor."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

from schemas.reference import Account, Contact
from streams.attribution.chain import Attributor, build_attributor
from streams.attribution.identities import IdentityLink, IdentityLinks
from streams.attribution.ip_ranges import RangeClaim
from streams.attribution.learned_ip import LearnedIpBlocks, LearningRules, learn
from streams.non_human import NonHumanFilter

log = logging.getLogger("pulse.reference")

Query = Callable[..., Sequence[Sequence[Any]]]  # (sql, parameters=None) -> rows
LEARNED_IP_SQL = (Path(__file__).resolve().parents[1] / "infra" / "clickhouse" / "queries"
                  / "learned_ip_evidence.sql").read_text()

_VERSION_SQL = (
    "SELECT (SELECT (count(), max(loaded_at)) FROM abm.accounts),"
    " (SELECT (count(), max(loaded_at)) FROM abm.contacts),"
    " (SELECT (count(), max(loaded_at)) FROM abm.ip_ranges)"
)


def load_attributor(query: Query, free_mail: frozenset[str], non_human: NonHumanFilter,
                    name_cutoff: float = 85.0, name_margin: float = 8.0,
                    learned: LearnedIpBlocks | None = None) -> Attributor:
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
        learned,
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
        # Learned blocks and visitor links outlive each rebuild of the attributor.
        self.learned = LearnedIpBlocks()
        self.links = IdentityLinks()
        self.attributor: Attributor = build_attributor([], [], free_mail, non_human=non_human,
                                                       learned=self.learned)

    def refresh(self, query: Query) -> bool:
        version = query(_VERSION_SQL)[0]
        if version == self.version:
            return False
        self.attributor = load_attributor(query, self.free_mail, self.non_human,
                                          self.name_cutoff, self.name_margin, self.learned)
        self.version = version
        return True

    def refresh_links(self, query: Query, lookback_days: int) -> int:
        """Links other workers made (and this one, after a restart)."""
        rows = query("SELECT visitor_key, person_key, account_id, linked_at "
                     "FROM abm.identities FINAL "
                     "WHERE linked_at >= now64(3) - toIntervalDay({days:UInt32})",
                     {"days": lookback_days})
        self.links.merge(IdentityLink(v, p, a, t.replace(tzinfo=UTC) if t.tzinfo is None else t)
                         for v, p, a, t in rows)
        return len(rows)

    def learn_ip_blocks(self, query: Query, rules: LearningRules) -> int:
        rows = query(LEARNED_IP_SQL, {"half_life_s": rules.half_life_days * 86400,
                                      "lookback_days": rules.lookback_days})
        self.learned.replace(learn(((b, a, p, w) for b, a, p, w in rows), rules))
        return len(self.learned)
