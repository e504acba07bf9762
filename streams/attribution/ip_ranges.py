"""Longest-prefix match of an IP over CIDR ranges, IPv4 and IPv6.

Ranges come from the accounts file (company-owned) and from `pulse ip-ranges load`
(company, or shared infrastructure: isp, hosting, vpn, mobile). CIDR blocks are either
nested or disjoint, so the table is flattened once into sorted, non-overlapping segments,
each owned by the most specific range covering it; a lookup is one binary search over
compact arrays (about a microsecond with a million ranges).

Equal-prefix claims are resolved by an explicit priority, reported in ``conflicts``:
shared kinds first (hosting, vpn, mobile, isp: never attribute a shared network to a
company), then the source (a curated ip-ranges file over the accounts file), then the
lowest account id.
"""

from __future__ import annotations

import socket
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import NamedTuple

KINDS = ("company", "isp", "hosting", "vpn", "mobile")
SHARED_KINDS = frozenset({"isp", "hosting", "vpn", "mobile"})
# Bound once: this module's lookup runs for every event.
_pton, _AF_INET, _AF_INET6 = socket.inet_pton, socket.AF_INET, socket.AF_INET6
_from_bytes = int.from_bytes
_KIND_RANK = {"hosting": 0, "vpn": 1, "mobile": 2, "isp": 3, "company": 4}
_SOURCE_RANK = {"ip_ranges": 0, "accounts": 1}


class RangeClaim(NamedTuple):
    """Who uses a network; also what a lookup returns (a tuple: cheap on the hot path)."""

    cidr: str
    account_id: str
    kind: str = "company"
    source: str = "accounts"

    def rank(self) -> tuple[int, int, str, str, str]:
        """Priority among claims on one network, a total order: shared kinds first, then
        the curated ip-ranges file over the accounts file, then the lowest account id."""
        return (_KIND_RANK.get(self.kind, 9), _SOURCE_RANK.get(self.source, 9), self.account_id,
                self.kind, self.source)

    @property
    def shared(self) -> bool:
        return self.kind in SHARED_KINDS


RangeMatch = RangeClaim


def _ints(bits: int) -> Sequence[int]:
    """Compact unsigned 64-bit array for IPv4; a list of ints for 128-bit IPv6."""
    return [] if bits > 64 else array("Q")


class _Family:
    """Flattened segments of one address family."""

    bucket_min_segments = 4096  # below this a plain binary search is as fast

    def __init__(self, bits: int, ranges: Iterable[tuple[int, int, int]]) -> None:
        # ranges: (network, prefixlen, claim index), one claim per network, sorted by
        # network then prefix length (parents before children at the same start)
        self.bits = bits
        self.net: Sequence[int] = _ints(bits)
        self.plen = array("B")
        self.claim = array("I")
        self.starts: Sequence[int] = _ints(bits)
        self.ends: Sequence[int] = _ints(bits)
        self.seg_range = array("I")
        for network, prefixlen, claim in ranges:
            self.net.append(network)  # type: ignore[attr-defined]
            self.plen.append(prefixlen)
            self.claim.append(claim)
        self._flatten()
        # IPv4: per /16, the slice of segments that can hold its addresses, so a lookup
        # searches a few entries instead of missing the cache all the way down 2M.
        self.lo = array("I")
        self.hi = array("I")
        if bits == 32 and len(self.starts) >= self.bucket_min_segments:
            for bucket in range(1 << 16):
                first = bucket << 16
                self.lo.append(max(0, bisect_right(self.starts, first) - 1))
                self.hi.append(bisect_right(self.starts, first | 0xFFFF))

    def _end(self, i: int) -> int:
        return self.net[i] + (1 << (self.bits - self.plen[i])) - 1

    def _emit(self, start: int, end: int, range_index: int) -> None:
        if start <= end:
            self.starts.append(start)  # type: ignore[attr-defined]
            self.ends.append(end)  # type: ignore[attr-defined]
            self.seg_range.append(range_index)

    def _flatten(self) -> None:
        stack: list[int] = []  # open ranges, innermost last
        cursor = 0
        for i in range(len(self.net)):
            start = self.net[i]
            while stack and self._end(stack[-1]) < start:
                top = stack.pop()
                self._emit(cursor, self._end(top), top)
                cursor = self._end(top) + 1
            if stack:
                self._emit(cursor, start - 1, stack[-1])
            stack.append(i)
            cursor = start
        while stack:
            top = stack.pop()
            self._emit(cursor, self._end(top), top)
            cursor = self._end(top) + 1

    def find(self, value: int) -> int | None:
        """Index of the most specific range containing ``value``."""
        if self.lo:
            bucket = value >> 16
            i = bisect_right(self.starts, value, self.lo[bucket], self.hi[bucket]) - 1
        else:
            i = bisect_right(self.starts, value) - 1
        if i >= 0 and value <= self.ends[i]:
            return self.seg_range[i]
        return None


MIN_PREFIX = {4: 8, 6: 16}  # shorter claims are refused: a /0 would claim the internet


def normalise_network(cidr: str) -> IPv4Network | IPv6Network:
    """The network a CIDR names, IPv4-mapped IPv6 (``::ffff:10.0.0.0/104``) as the IPv4
    network it is (lookups of IPv4 addresses use the IPv4 table)."""
    net = ip_network(cidr, strict=False)
    if isinstance(net, IPv6Network) and net.prefixlen >= 96:
        mapped = net.network_address.ipv4_mapped
        if mapped is not None:
            return IPv4Network((mapped, net.prefixlen - 96))
    return net


_V6_FLAG = 136  # key bit set for IPv6 networks, above the address (128) and prefix (8) bits
_V6_MASK = (1 << 128) - 1


def _network_key(net: IPv4Network | IPv6Network) -> int:
    """(version, network address, prefix length) packed in one int, ordered as the tuple."""
    key = int(net.network_address) << 8 | net.prefixlen
    return key | 1 << _V6_FLAG if net.version == 6 else key


class IpRangeTable:
    def __init__(self, claims: Iterable[RangeClaim] = (),
                 min_prefix: dict[int, int] | None = None) -> None:
        """Claims on the same network are resolved by the documented priority, whatever
        their order; claims shorter than ``min_prefix`` (per IP version) are dropped and
        reported in ``refused``."""
        minimum = MIN_PREFIX if min_prefix is None else min_prefix
        # One int per network as the key, and the caller's claim kept when it already
        # names its network canonically: a million ranges, a million fewer objects.
        best: dict[int, RangeClaim] = {}
        contested: dict[int, set[RangeClaim]] = {}  # networks claimed more than once
        self.refused: list[str] = []
        for claim in claims:
            try:
                net = normalise_network(claim.cidr)
            except ValueError:  # a record no loader wrote: ignored (and logged), not fatal
                self.refused.append(f"{claim.cidr[:60]!r}: not a network ({_who(claim)})")
                continue
            if net.prefixlen < minimum.get(net.version, 0):
                self.refused.append(f"{net}: shorter than /{minimum[net.version]} "
                                    f"({_who(claim)})")
                continue
            cidr = str(net)
            if cidr != claim.cidr or type(claim) is not RangeClaim:
                claim = RangeClaim(cidr, claim.account_id, claim.kind, claim.source)
            key = _network_key(net)
            held = best.get(key)
            if held is None:
                best[key] = claim
            elif held != claim:
                contested.setdefault(key, {held}).add(claim)
                if claim.rank() < held.rank():
                    best[key] = claim
        self.conflicts: list[str] = []
        for key in sorted(contested):
            winner, *losers = sorted(contested[key], key=RangeClaim.rank)
            for loser in losers:
                if (loser.account_id, loser.kind) != (winner.account_id, winner.kind):
                    self.conflicts.append(f"{winner.cidr}: {_who(winner)} wins over "
                                          f"{_who(loser)}")
        keys = sorted(best)  # by version, then address, then prefix length (parents first)
        self._claims = [best[key] for key in keys]
        del best
        self._v4 = _Family(32, ((key >> 8, key & 0xFF, i) for i, key in enumerate(keys)
                                if not key >> _V6_FLAG))
        self._v6 = _Family(128, (((key >> 8) & _V6_MASK, key & 0xFF, i)
                                 for i, key in enumerate(keys) if key >> _V6_FLAG))

    def __len__(self) -> int:
        return len(self._claims)

    def lookup(self, ip: str) -> RangeMatch | None:
        try:
            if ":" in ip:
                value = _from_bytes(_pton(_AF_INET6, ip), "big")
                if value >> 32 == 0xFFFF:  # IPv4-mapped IPv6: match IPv4 ranges
                    family, value = self._v4, value & 0xFFFFFFFF
                else:
                    family = self._v6
            else:
                value = _from_bytes(_pton(_AF_INET, ip), "big")
                family = self._v4
        except OSError:
            return None
        found = family.find(value)
        if found is None:
            return None
        return self._claims[family.claim[found]]


def _who(claim: RangeClaim) -> str:
    owner = claim.account_id or "(shared)"
    return f"{owner} [{claim.kind}, {claim.source}]"
