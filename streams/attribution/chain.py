"""The attribution chain: known contact -> email domain -> IP range (-> company name).

The first matcher that answers wins, from the strongest evidence (a person we know) to
the weakest (an office network, which visitors share). Shared networks (ISP, hosting,
VPN, mobile) never attribute. Every answer carries its evidence, so a row can be
explained; non-human traffic is flagged alongside, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from schemas.events import Event
from schemas.reference import Account, Contact
from streams.attribution.contacts import ContactBook
from streams.attribution.domains import DomainIndex
from streams.attribution.ip_ranges import IpRangeTable, RangeClaim, RangeMatch
from streams.attribution.match import NO_MATCH, Attribution
from streams.non_human import NonHumanFilter

CONFIDENCE = {"contact": 1.0, "email_domain": 0.95, "ip_range": 0.8}


@dataclass(frozen=True)
class Attributor:
    contacts: ContactBook
    domains: DomainIndex
    ip_ranges: IpRangeTable
    non_human: NonHumanFilter = field(default_factory=NonHumanFilter)

    def attribute(self, event: Event) -> Attribution:
        ip = getattr(event, "ip", None)
        ip_hit = self.ip_ranges.lookup(ip) if ip else None
        match = self._match(event, ip_hit)
        reason = self.non_human.reason(event, ip_hit)
        if reason:
            return Attribution(match.account_id, match.method, match.confidence,
                               match.evidence, non_human=reason)
        return match

    def _match(self, event: Event, ip_hit: RangeMatch | None) -> Attribution:
        email = getattr(event, "email", None)
        if email:
            account_id = self.contacts.lookup(email)
            if account_id is not None:
                return Attribution(account_id, "contact", CONFIDENCE["contact"],
                                   {"contact": email})
            host = email.rsplit("@", 1)[1]
            found = self.domains.lookup(host)
            if found is not None:
                return Attribution(found.account_id, "email_domain", CONFIDENCE["email_domain"],
                                   {"domain": found.domain, "host": host})
        if ip_hit is not None:
            evidence = {"cidr": ip_hit.cidr, "kind": ip_hit.kind, "source": ip_hit.source}
            if ip_hit.shared:
                return Attribution("", "", 0.0, evidence)
            return Attribution(ip_hit.account_id, "ip_range", CONFIDENCE["ip_range"], evidence)
        return NO_MATCH


def build_attributor(
    accounts: Iterable[Account],
    contacts: Iterable[Contact],
    free_mail: Iterable[str],
    ip_claims: Iterable[RangeClaim] = (),
    non_human: NonHumanFilter | None = None,
) -> Attributor:
    domains = DomainIndex(free_mail)
    claims = list(ip_claims)
    for account in accounts:
        for domain in account.domains:
            domains.add(domain, account.account_id)
        claims.extend(RangeClaim(cidr, account.account_id) for cidr in account.ip_ranges)
    book = ContactBook((c.email, c.account_id) for c in contacts)
    return Attributor(book, domains, IpRangeTable(claims), non_human or NonHumanFilter())
