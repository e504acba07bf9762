"""Email / host domain -> account, aware of the Public Suffix List.

``mail.initech.co.uk`` matches an account owning ``initech.co.uk``; ``notacme.com`` does not
match ``acme.com`` (lookups compare whole labels, never string suffixes); free-mail
providers never match by domain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import idna
from publicsuffixlist import PublicSuffixList

_PSL = PublicSuffixList()


def to_ascii(host: str) -> str:
    """An internationalised host name as punycode, by IDNA 2008 with UTS #46 mapping: the
    'idna' codec of Python is IDNA 2003, which maps 'faß.de' to 'fass.de', another domain.
    ValueError when it is not a valid host name."""
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as err:
        raise ValueError(f"{host!r} is not a valid domain name ({err})") from None


def normalize_host(host: str) -> str:
    """Lower case, no trailing dot, IDN as punycode (how accounts' domains are stored)."""
    host = host.strip().lower().rstrip(".")
    if not host.isascii():
        try:
            host = to_ascii(host)
        except ValueError:
            return host
    return host


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str | None:
    """The registrable domain (eTLD+1) of a host, or None for a bare public suffix."""
    result: str | None = _PSL.privatesuffix(normalize_host(host))
    return result


def shipped_free_mail_domains() -> frozenset[str]:
    text = resources.files("streams.attribution").joinpath("data/free_mail_domains.txt")
    lines = text.read_text().splitlines()
    return frozenset(x.strip().lower() for x in lines if x.strip() and not x.startswith("#"))


def disposable_domains() -> frozenset[str]:
    """Throw-away mail domains, from the maintained disposable-email-domains package."""
    from disposable_email_domains import blocklist

    return frozenset(blocklist)


@dataclass(frozen=True, slots=True)
class DomainMatch:
    account_id: str
    domain: str


class DomainIndex:
    def __init__(self, free_mail: Iterable[str]) -> None:
        self._owner: dict[str, str] = {}
        self.free_mail = frozenset(free_mail)
        self.conflicts: list[str] = []

    def add(self, domain: str, account_id: str) -> None:
        previous = self._owner.get(domain)
        if previous is not None and previous != account_id:
            self.conflicts.append(f"{domain} claimed by {previous} and {account_id}")
        self._owner[domain] = account_id

    def is_free_mail(self, host: str) -> bool:
        reg = registrable_domain(host)
        return host in self.free_mail or (reg is not None and reg in self.free_mail)

    def lookup(self, host: str) -> DomainMatch | None:
        """Most specific owned domain from ``host`` up to its registrable domain."""
        host = normalize_host(host)
        reg = registrable_domain(host)
        if reg is None or self.is_free_mail(host):
            return None
        candidate = host
        while True:
            account_id = self._owner.get(candidate)
            if account_id is not None:
                return DomainMatch(account_id, candidate)
            if candidate == reg or "." not in candidate:
                return None
            candidate = candidate.split(".", 1)[1]
