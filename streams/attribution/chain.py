"""The attribution chain, first cut: known contact -> email domain -> IP range.

The first matcher that answers wins; the order is from the strongest evidence (a person
we know) to the weakest (an office network, which visitors share).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from schemas.events import Event
from schemas.reference import Account, Contact
from streams.attribution.contacts import ContactBook
from streams.attribution.domains import DomainIndex
from streams.attribution.ip_ranges import IpRangeTable
from streams.attribution.match import NO_MATCH, Attribution

CONFIDENCE = {"contact": 1.0, "email_domain": 0.95, "ip_range": 0.8}


@dataclass(frozen=True)
class Attributor:
    contacts: ContactBook
    domains: DomainIndex
    ip_ranges: IpRangeTable

    def attribute(self, event: Event) -> Attribution:
        email = getattr(event, "email", None)
        if email:
            account_id = self.contacts.lookup(email)
            if account_id is not None:
                return Attribution(account_id, "contact", CONFIDENCE["contact"], email)
            found = self.domains.lookup(email.rsplit("@", 1)[1])
            if found is not None:
                return Attribution(
                    found.account_id, "email_domain", CONFIDENCE["email_domain"], found.domain
                )
        ip = getattr(event, "ip", None)
        if ip:
            hit = self.ip_ranges.lookup(ip)
            if hit is not None:
                return Attribution(hit.account_id, "ip_range", CONFIDENCE["ip_range"], hit.cidr)
        return NO_MATCH


def build_attributor(
    accounts: Iterable[Account], contacts: Iterable[Contact], free_mail: Iterable[str]
) -> Attributor:
    domains = DomainIndex(free_mail)
    ranges = IpRangeTable()
    for account in accounts:
        for domain in account.domains:
            domains.add(domain, account.account_id)
        for cidr in account.ip_ranges:
            ranges.add(cidr, account.account_id)
    book = ContactBook((c.email, c.account_id) for c in contacts)
    return Attributor(book, domains, ranges)
