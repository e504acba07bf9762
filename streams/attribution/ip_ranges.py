"""Longest-prefix match of an IP over account-owned CIDR ranges, IPv4 and IPv6.

One dict per prefix length (network address as int -> account), probed from the most
specific length down: a subsidiary's /24 inside its parent's /16 wins. Lookups cost one
dict probe per distinct prefix length actually loaded, which in practice is a handful.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network


@dataclass(frozen=True, slots=True)
class RangeMatch:
    account_id: str
    cidr: str


@dataclass
class _Family:
    bits: int
    by_len: dict[int, dict[int, str]] = field(default_factory=dict)
    lengths: list[int] = field(default_factory=list)

    def add(self, network: int, prefixlen: int, account_id: str) -> str | None:
        table = self.by_len.setdefault(prefixlen, {})
        previous = table.get(network)
        table[network] = account_id
        self.lengths = sorted(self.by_len, reverse=True)
        return previous if previous not in (None, account_id) else None

    def lookup(self, value: int) -> tuple[int, int, str] | None:
        for prefixlen in self.lengths:
            network = value >> (self.bits - prefixlen) << (self.bits - prefixlen)
            account_id = self.by_len[prefixlen].get(network)
            if account_id is not None:
                return network, prefixlen, account_id
        return None


class IpRangeTable:
    def __init__(self) -> None:
        self._v4 = _Family(32)
        self._v6 = _Family(128)
        self.conflicts: list[str] = []

    def __len__(self) -> int:
        return sum(len(t) for f in (self._v4, self._v6) for t in f.by_len.values())

    def add(self, cidr: str, account_id: str) -> None:
        """Add a range; an identical range owned by another account is a conflict (last wins)."""
        net = ip_network(cidr, strict=False)
        family = self._v4 if net.version == 4 else self._v6
        previous = family.add(int(net.network_address), net.prefixlen, account_id)
        if previous is not None:
            self.conflicts.append(f"{net} claimed by {previous} and {account_id}")

    def lookup(self, ip: str) -> RangeMatch | None:
        try:
            addr: IPv4Address | IPv6Address = ip_address(ip)
        except ValueError:
            return None
        if isinstance(addr, IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        family = self._v4 if addr.version == 4 else self._v6
        found = family.lookup(int(addr))
        if found is None:
            return None
        network, prefixlen, account_id = found
        net_addr = IPv4Address(network) if family is self._v4 else IPv6Address(network)
        return RangeMatch(account_id, f"{net_addr}/{prefixlen}")
