"""IP blocks learned from identified traffic.

When people we can identify (known contact, company email domain) keep arriving from a
block that no range claims (IPv4 /24, IPv6 /48), the block probably belongs to their
company. Evidence is gathered in ClickHouse from landed events, weighted by recency (a
half-life), and a block is learned once enough distinct people, and a clear majority of
the block's identified traffic, point at one account. Because old evidence fades, a
block that changes hands moves to its new owner.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass


def block_of(ip: str) -> str:
    """The /24 (IPv4, also IPv4-mapped IPv6) or /48 (IPv6; /40 for 6to4, its IPv4 /24) an
    address belongs to."""
    if ":" not in ip and ip.count(".") == 3:  # dotted quad (validated upstream): string cut
        return ip.rsplit(".", 1)[0] + ".0/24"
    try:
        if ":" in ip:
            raw = socket.inet_pton(socket.AF_INET6, ip)
            if raw[:12] == b"\0" * 10 + b"\xff\xff":
                return socket.inet_ntop(socket.AF_INET, raw[12:15] + b"\0") + "/24"
            if raw[:2] == b"\x20\x02":  # 6to4: the block of its embedded IPv4 /24
                return socket.inet_ntop(socket.AF_INET6, raw[:5] + b"\0" * 11) + "/40"
            return socket.inet_ntop(socket.AF_INET6, raw[:6] + b"\0" * 10) + "/48"
        raw = socket.inet_pton(socket.AF_INET, ip)
        return socket.inet_ntop(socket.AF_INET, raw[:3] + b"\0") + "/24"
    except OSError:
        return ""


@dataclass(frozen=True, slots=True)
class LearnedBlock:
    account_id: str
    people: int
    share: float
    weight: float


@dataclass(frozen=True)
class LearningRules:
    min_people: int = 3
    min_share: float = 0.8
    min_weight: float = 2.0
    half_life_days: float = 14.0
    lookback_days: int = 90


def learn(evidence: Iterable[tuple[str, str, int, float]],
          rules: LearningRules) -> dict[str, LearnedBlock]:
    """(block, account, distinct people, decayed weight) rows -> learned blocks."""
    by_block: dict[str, list[tuple[str, int, float]]] = {}
    for block, account_id, people, weight in evidence:
        by_block.setdefault(block, []).append((account_id, int(people), float(weight)))
    learned = {}
    for block, rows in by_block.items():
        total = sum(w for _, _, w in rows)
        account_id, people, weight = max(rows, key=lambda r: (r[2], r[1], r[0]))
        share = weight / total if total else 0.0
        if people >= rules.min_people and share >= rules.min_share and weight >= rules.min_weight:
            learned[block] = LearnedBlock(account_id, people, round(share, 3), round(weight, 2))
    return learned


class LearnedIpBlocks:
    """The current learned blocks; replaced whole by the periodic learner."""

    def __init__(self, blocks: dict[str, LearnedBlock] | None = None) -> None:
        self.blocks = blocks or {}

    def __len__(self) -> int:
        return len(self.blocks)

    def replace(self, blocks: dict[str, LearnedBlock]) -> None:
        self.blocks = blocks

    def lookup(self, block: str) -> LearnedBlock | None:
        return self.blocks.get(block) if block else None
