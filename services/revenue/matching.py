"""Opportunity -> account: by CRM id first, then by the account's website or domain through
the same domain matcher events use (PSL-aware, most specific owned domain first), and never
by a name alone (names collide: two "Acme"s are common, a wrong match silently moves
pipeline). Every answer carries its evidence; no answer carries the reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from schemas.crm_ids import crm_key
from streams.attribution.domains import DomainIndex


@dataclass(frozen=True, slots=True)
class AccountMatch:
    account_id: str  # '' when unmatched
    method: str  # crm_id | account_id | domain | ''
    evidence: str  # how, or why not


class AccountIndex:
    """What opportunities are matched against: accounts' ids, CRM ids and domains."""

    def __init__(self, accounts: Iterable[tuple[str, Iterable[str], Iterable[str]]],
                 free_mail: Iterable[str] = ()) -> None:
        """``accounts``: (account_id, domains, crm_ids) rows."""
        self.ids: set[str] = set()
        self.by_crm_id: dict[str, str] = {}
        self.conflicts: list[str] = []
        self.domains = DomainIndex(free_mail)
        for account_id, domains, crm_ids in accounts:
            self.ids.add(account_id)
            for d in domains:
                self.domains.add(d, account_id)
            for c in crm_ids:
                k = crm_key(c)
                other = self.by_crm_id.setdefault(k, account_id)
                if other != account_id:
                    self.conflicts.append(f"CRM id {k} is claimed by {other} and {account_id}; "
                                          f"{other} keeps it")

    def match(self, crm_account_id: str, domain: str, ours: bool = False) -> AccountMatch:
        """``ours``: the file's account id may be an AccountPulse account id (the plain
        format), tried before CRM ids."""
        tried = []
        if crm_account_id:
            if ours and crm_account_id in self.ids:
                return AccountMatch(crm_account_id, "account_id",
                                    f"account id {crm_account_id}")
            key = crm_key(crm_account_id) if not ours else _loose_key(crm_account_id)
            owner = self.by_crm_id.get(key)
            if owner is not None:
                return AccountMatch(owner, "crm_id", f"CRM account id {key} is {owner}'s")
            tried.append(f"no account has CRM id {key}")
        host = _host(domain)
        if host:
            found = self.domains.lookup(host)
            if found is not None:
                return AccountMatch(found.account_id, "domain",
                                    f"website {domain} is under {found.domain}, "
                                    f"{found.account_id}'s domain")
            tried.append(f"no account owns {host}")
        if not tried:
            return AccountMatch("", "", "the file gives no account id and no website")
        return AccountMatch("", "", "; ".join(tried))


def _loose_key(value: str) -> str:
    try:
        return crm_key(value)
    except ValueError:
        return value


def _host(domain: str) -> str:
    text = domain.strip().lower()
    if not text:
        return ""
    if "://" not in text:
        text = "//" + text
    try:
        return (urlsplit(text).hostname or "").rstrip(".")
    except ValueError:
        return ""
