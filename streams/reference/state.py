"""Reference data (accounts, contacts, IP ranges) as the workers hold it.

The source of truth is a set of compacted Kafka topics: every worker reads all of them
at start and follows them while it runs, so a load reaches running workers within
seconds, without a restart. ClickHouse keeps a copy for analysts and `pulse attribute`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC
from sys import intern
from typing import Any

from infra import query
from schemas.reference import Account, Contact
from streams.attribution.chain import Attributor, build_attributor
from streams.attribution.identities import IdentityLink, IdentityLinks
from streams.attribution.ip_ranges import RangeClaim
from streams.attribution.learned_ip import LearnedIpBlocks, LearningRules, learn
from streams.ingest.non_human import NonHumanFilter

log = logging.getLogger("pulse.reference")

Query = Callable[..., Sequence[Sequence[Any]]]  # (sql, parameters=None) -> rows
LEARNED_IP_SQL = query("learned_ip_evidence")


def range_key(cidr: str, kind: str, account_id: str) -> str:
    return f"{cidr}|{kind}|{account_id}"


def load_attributor(query: Query, free_mail: frozenset[str], non_human: NonHumanFilter,
                    name_cutoff: float = 85.0, name_margin: float = 8.0,
                    learned: LearnedIpBlocks | None = None) -> Attributor:
    """An attributor from the warehouse's copy of the reference data."""
    accounts = query("SELECT account_id, name, domains, ip_ranges, tier, aliases "
                     "FROM abm.accounts FINAL")
    contacts = query("SELECT email, account_id, title FROM abm.contacts FINAL")
    ranges = query("SELECT cidr, account_id, kind, source FROM abm.ip_ranges FINAL")
    return build_attributor(
        (Account.model_construct(account_id=a, name=n, domains=list(d), ip_ranges=list(r), tier=t,
                                 aliases=list(al))
         for a, n, d, r, t, al in accounts),
        (Contact.model_construct(email=e, account_id=a, title=t) for e, a, t in contacts),
        free_mail,
        (RangeClaim(c, a, k, "ip_ranges") for c, a, k, _ in ranges),
        non_human, name_cutoff, name_margin, learned,
    )


class ReferenceData:
    """Reference state from the topics, the attributor built from it, and what outlives
    each rebuild: learned IP blocks and visitor links."""

    def __init__(self, free_mail: frozenset[str], non_human: NonHumanFilter,
                 name_cutoff: float = 85.0, name_margin: float = 8.0,
                 min_prefix: dict[int, int] | None = None, attribute: bool = True) -> None:
        self.free_mail = free_mail
        self.non_human = non_human
        self.name_cutoff = name_cutoff
        self.name_margin = name_margin
        self.min_prefix = min_prefix
        self.attribute = attribute  # build the attributor (the pipeline role needs it)
        self.version = 0  # bumped by every rebuild: who caches what is derived knows
        self.accounts: dict[str, Account] = {}
        self.contacts: dict[str, tuple[str, str]] = {}  # email -> (account id, title)
        self.ranges: dict[str, RangeClaim] = {}
        self.suppressed: set[str] = set()  # person keys of people who asked to be forgotten
        self.learned = LearnedIpBlocks()
        self.links = IdentityLinks()
        self.attributor: Attributor = build_attributor([], [], free_mail, non_human=non_human,
                                                       learned=self.learned)

    def apply(self, records: Iterable[tuple[str, bytes | None, bytes | None]]) -> int:
        """Apply (topic name without prefix, key, value) records; a null value deletes."""
        n = 0
        for kind, key, value in records:
            if key is None or (not self.attribute and kind != "accounts"):
                continue  # surge detection keeps the accounts only
            k = key.decode()
            n += 1
            if kind == "suppressions":
                if value is None:
                    self.suppressed.discard(k)
                else:
                    self.suppressed.add(k)
                continue
            target: dict[str, Any] = (self.accounts if kind == "accounts" else self.contacts
                                      if kind == "contacts" else self.ranges)
            if value is None:
                target.pop(k, None)
            else:
                d = json.loads(value)
                if kind == "accounts":
                    target[k] = Account.model_construct(**d)
                elif kind == "contacts":
                    target[k] = (d["account_id"], d.get("title", ""))
                else:
                    # Interned: a million ranges name a few thousand accounts and five kinds.
                    target[k] = RangeClaim(d["cidr"], intern(d["account_id"]), intern(d["kind"]),
                                           "ip_ranges")
        return n

    def rebuild(self) -> Attributor:
        self.version += 1
        if not self.attribute:  # surge detection reads the accounts only
            return self.attributor
        self.attributor = build_attributor(
            self.accounts.values(),
            (Contact.model_construct(email=e, account_id=a, title=t)
             for e, (a, t) in self.contacts.items()),
            self.free_mail, self.ranges.values(), self.non_human, self.name_cutoff,
            self.name_margin, self.learned, self.min_prefix)
        for refused in self.attributor.ip_ranges.refused:
            log.warning("ip range ignored", extra={"range": refused})
        log.info("reference data loaded", extra={"accounts": len(self.accounts),
                                                 "contacts": len(self.contacts),
                                                 "ip_ranges": len(self.ranges)})
        return self.attributor

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
