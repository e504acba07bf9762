"""Reference data (accounts, contacts, IP ranges) as the workers hold it.

The source of truth is a set of compacted Kafka topics: every worker reads all of them
at start and follows them while it runs, so a load reaches running workers within
seconds, without a restart. ClickHouse keeps a copy for analysts and `pulse attribute`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC
from sys import intern
from typing import Any

from pydantic import ValidationError

from infra import query
from schemas.reference import IP_RANGE_KINDS, Account, Contact
from streams.attribution.chain import Attributor, build_attributor
from streams.attribution.identities import IdentityLink, IdentityLinks
from streams.attribution.ip_ranges import RangeClaim
from streams.attribution.learned_ip import LearnedIpBlocks, LearningRules, learn
from streams.ingest.non_human import NonHumanFilter

log = logging.getLogger("pulse.reference")

Query = Callable[..., Sequence[Sequence[Any]]]  # (sql, parameters=None) -> rows
LEARNED_IP_SQL = query("learned_ip_evidence")


_CIDR = re.compile(r"^[0-9A-Fa-f:.]{2,45}/\d{1,3}$")


def _text_fields(d: object, *names: str) -> list[str]:
    if not isinstance(d, dict):
        raise ValueError(f"expected a JSON object, got {type(d).__name__}")
    values = [d.get(n) for n in names]
    wrong = [n for n, v in zip(names, values, strict=True) if not isinstance(v, str)]
    if wrong:
        raise ValueError(f"{', '.join(wrong)} missing or not text")
    return values  # type: ignore[return-value]


def _contact(d: object) -> tuple[str, str]:
    account_id, title = _text_fields({"title": "", **d} if isinstance(d, dict) else d,
                                     "account_id", "title")
    return account_id, title


def _range(d: object) -> tuple[str, str, str]:
    """A range record's fields, its network checked for shape (a full parse happens once,
    in the table, which ignores and logs what still does not parse)."""
    cidr, account_id, kind = _text_fields(d, "cidr", "account_id", "kind")
    if not _CIDR.match(cidr):
        raise ValueError(f"cidr {cidr[:60]!r} is not a network")
    if kind not in IP_RANGE_KINDS:
        raise ValueError(f"kind {kind[:40]!r} is not one of {', '.join(IP_RANGE_KINDS)}")
    return cidr, account_id, kind


def _reason(err: BaseException) -> str:
    if isinstance(err, RecursionError):
        return "not JSON (nested too deeply)"
    if isinstance(err, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}"
                         for e in err.errors(include_url=False, include_input=False))[:500]
    return f"{type(err).__name__}: {err}"[:500]


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

    def apply(self, records: Iterable[tuple[str, bytes | None, bytes | None]]
              ) -> list[tuple[int, str]]:
        """Apply (topic name without prefix, key, value) records; a null value deletes.
        A record that is not what the loaders write (a stray producer, a corrupted value)
        changes nothing: its (index, reason) is returned, for the caller to dead-letter."""
        refused: list[tuple[int, str]] = []
        for i, (kind, key, value) in enumerate(records):
            if not self.attribute and kind != "accounts":
                continue  # surge detection keeps the accounts only
            try:
                self._apply_one(kind, key, value)
            except (ValueError, RecursionError) as err:
                refused.append((i, f"unreadable {kind} record: {_reason(err)}"))
        return refused

    def _apply_one(self, kind: str, key: bytes | None, value: bytes | None) -> None:
        if key is None:
            raise ValueError("no key")
        k = key.decode()  # UnicodeDecodeError is a ValueError
        if kind == "suppressions":  # any value suppresses: when in doubt, keep them out
            if value is None:
                self.suppressed.discard(k)
            else:
                self.suppressed.add(k)
            return
        target: dict[str, Any] = (self.accounts if kind == "accounts" else self.contacts
                                  if kind == "contacts" else self.ranges)
        if value is None:
            target.pop(k, None)
        elif kind == "accounts":
            target[k] = Account.model_validate_json(value)
        else:
            d = json.loads(value)
            if kind == "contacts":
                target[k] = _contact(d)
            else:
                # Interned: a million ranges name a few thousand accounts and five kinds.
                cidr, account_id, range_kind = _range(d)
                target[k] = RangeClaim(cidr, intern(account_id), intern(range_kind),
                                       "ip_ranges")

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
