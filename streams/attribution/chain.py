"""The attribution chain: known contact -> email domain -> stitched visitor -> IP range ->
learned IP block -> company name.

The first matcher that answers wins, from the strongest evidence (a person we know) to
the weakest (a typed company name). Shared networks (ISP, hosting,
VPN, mobile) never attribute. Every answer carries its evidence, so a row can be
explained; non-human traffic is flagged alongside, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from schemas.events import Event
from schemas.reference import Account, Contact
from streams.attribution.company_names import CompanyNameIndex, NameMatch
from streams.attribution.contacts import ContactBook
from streams.attribution.domains import DomainIndex
from streams.attribution.identities import IdentityLink
from streams.attribution.ip_ranges import IpRangeTable, RangeClaim, RangeMatch
from streams.attribution.learned_ip import LearnedIpBlocks, block_of
from streams.attribution.match import CONFIDENCE, NO_MATCH, Attribution
from streams.ingest.non_human import NonHumanFilter


@dataclass(frozen=True)
class Attributor:
    contacts: ContactBook
    domains: DomainIndex
    ip_ranges: IpRangeTable
    non_human: NonHumanFilter = field(default_factory=NonHumanFilter)
    names: CompanyNameIndex = field(default_factory=lambda: CompanyNameIndex([]))
    learned: LearnedIpBlocks = field(default_factory=LearnedIpBlocks)
    tiers: dict[str, str] = field(default_factory=dict)  # account id -> tier, for scoring

    def attribute(self, event: Event, link: IdentityLink | None = None) -> Attribution:
        # Field values straight from the model's __dict__: a missing attribute on a
        # pydantic model goes through a slow __getattr__, and this runs per event.
        fields = event.__dict__
        ip = fields.get("ip")
        ip_hit = self.ip_ranges.lookup(ip) if ip else None
        block = block_of(ip) if ip and ip_hit is None else ""
        match = self._match(fields.get("email"), link, ip_hit, block)
        company = fields.get("company_name")
        if company:
            match = self._with_name(match, self.names.lookup(company))
        reason = self.non_human.reason(event, ip_hit)
        if reason or block:  # _make: the cheap constructor, this runs for most events
            return Attribution._make((match.account_id, match.method, match.confidence,
                                      match.evidence, reason, block))
        return match

    def _match(self, email: str | None, link: IdentityLink | None, ip_hit: RangeMatch | None,
               block: str) -> Attribution:
        if email:
            account_id = self.contacts.lookup(email)
            if account_id is not None:
                return Attribution(account_id, "contact", CONFIDENCE["contact"],
                                   {"contact": mask_email(email)})
            host = email.rsplit("@", 1)[1]
            found = self.domains.lookup(host)
            if found is not None:
                return Attribution(found.account_id, "email_domain", CONFIDENCE["email_domain"],
                                   {"domain": found.domain, "host": host})
        if link is not None:
            return Attribution(link.account_id, "stitched", CONFIDENCE["stitched"],
                               {"visitor_linked_at": link.linked_at.isoformat()})
        if ip_hit is not None:
            evidence = {"cidr": ip_hit.cidr, "kind": ip_hit.kind, "source": ip_hit.source}
            if ip_hit.shared:
                return Attribution("", "", 0.0, evidence)
            return Attribution(ip_hit.account_id, "ip_range", CONFIDENCE["ip_range"], evidence)
        learned = self.learned.lookup(block)
        if learned is not None:
            return Attribution(learned.account_id, "learned_ip", CONFIDENCE["learned_ip"],
                               {"block": block, "people": learned.people,
                                "share": learned.share, "weight": learned.weight})
        return NO_MATCH

    def _with_name(self, match: Attribution, name: NameMatch) -> Attribution:
        """A typed company name decides only when nothing stronger did; when stronger
        evidence exists, the name is kept beside it, agreeing or not."""
        evidence = {"name": name.query, "normalised": name.normalised, "result": name.reason,
                    "candidates": [{"account_id": c.account_id, "name": c.name,
                                    "score": c.score} for c in name.candidates]}
        if match.method:
            agrees = name.account_id == match.account_id if name.account_id else None
            return Attribution(match.account_id, match.method, match.confidence,
                               {**match.evidence, "company_name": {**evidence,
                                                                   "agrees": agrees}})
        if not name.account_id:
            return Attribution("", "", 0.0, {**match.evidence, "company_name": evidence})
        best = name.candidates[0].score
        confidence = round(CONFIDENCE["company_name"] * best / 100, 3)
        return Attribution(name.account_id, "company_name", confidence,
                           {**match.evidence, "company_name": evidence})


def mask_email(email: str) -> str:
    """Evidence names the contact without storing the address: 'a***@acme.com'."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def build_attributor(
    accounts: Iterable[Account],
    contacts: Iterable[Contact],
    free_mail: Iterable[str],
    ip_claims: Iterable[RangeClaim] = (),
    non_human: NonHumanFilter | None = None,
    name_cutoff: float = 85.0,
    name_margin: float = 8.0,
    learned: LearnedIpBlocks | None = None,
    min_prefix: dict[int, int] | None = None,
) -> Attributor:
    accounts = list(accounts)
    domains = DomainIndex(free_mail)
    claims = list(ip_claims)
    for account in accounts:
        for domain in account.domains:
            domains.add(domain, account.account_id)
        claims.extend(RangeClaim(cidr, account.account_id) for cidr in account.ip_ranges)
    book = ContactBook((c.email, c.account_id, getattr(c, "title", "") or "") for c in contacts)
    names = CompanyNameIndex(((a.account_id, name) for a in accounts
                              for name in (a.name, *(getattr(a, "aliases", None) or ()))),
                             name_cutoff, name_margin)
    return Attributor(book, domains, IpRangeTable(claims, min_prefix),
                      non_human or NonHumanFilter(), names,
                      learned if learned is not None else LearnedIpBlocks(),
                      {a.account_id: a.tier for a in accounts})
