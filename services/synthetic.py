"""Large seeded reference data for benchmarks and the accuracy evaluation.

Company names are built from syllables, industry words and legal forms of several
countries, so normalisation and fuzzy matching meet what real account lists hold.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from schemas.reference import Account
from streams.attribution.ip_ranges import RangeClaim

SYLLABLES = ["ka", "lev", "tar", "mo", "rin", "ve", "sto", "nor", "dia", "lu", "pex", "tri",
             "qua", "zen", "bor", "ga", "mi", "ro", "sel", "vik", "an", "del", "fo", "har",
             "is", "jun", "kor", "lin", "mer", "nex", "or", "pal", "sun", "tul", "ul", "var"]
INDUSTRY = ["", "", "", "Systems", "Foods", "Logistics", "Software", "Energy", "Labs",
            "Capital", "Robotics", "Health", "Media", "Textiles", "Analytics", "Motors"]
LEGAL = ["Inc", "Inc.", "Corp", "Corporation", "Ltd", "Limited", "LLC", "GmbH", "AG", "AS",
         "OÜ", "S.A.", "SAS", "B.V.", "AB", "Oy", "S.p.A.", "Pty Ltd", "K.K.", ""]
TLDS = ["com", "com", "com", "io", "de", "ee", "co.uk", "fr", "nl", "se", "com.au", "co.jp"]


@dataclass
class Reference:
    accounts: list[Account]
    claims: list[RangeClaim]  # company ranges (beyond accounts' own) and shared ranges


def company_core(rng: random.Random) -> str:
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice([2, 2, 3, 3, 4])))
    return word.capitalize()


def synthetic_reference(n_accounts: int, n_ranges: int, seed: int = 11) -> Reference:
    rng = random.Random(seed)
    accounts, claims, used = [], [], set()
    per_account = max(1, n_ranges // n_accounts)
    for i in range(n_accounts):
        while True:
            core = company_core(rng)
            industry = rng.choice(INDUSTRY)
            base = f"{core} {industry}".strip()
            if base.lower() not in used:
                used.add(base.lower())
                break
        name = f"{base} {rng.choice(LEGAL)}".strip()
        slug = base.lower().replace(" ", "")
        domains = [f"{slug}.{rng.choice(TLDS)}"]
        if rng.random() < 0.2:
            domains.append(f"{slug}-group.com")
        accounts.append(Account.model_construct(
            account_id=f"a{i:06d}", name=name, domains=domains, ip_ranges=[],
            tier=str(rng.randint(1, 3)), parent_account_id=""))
        for _ in range(per_account):
            if rng.random() < 0.1:
                prefix = rng.choice([48, 56, 64])
                top = rng.getrandbits(prefix - 16) << (128 - prefix)
                cidr = f"{_v6(0x2a00 << 112 | top)}/{prefix}"
            else:
                prefix = rng.choice([22, 24, 24, 26, 27, 28, 29])
                net = rng.getrandbits(prefix) << (32 - prefix)
                net = (net & 0x7FFFFFFF) | 0x20000000  # keep it in 32.0.0.0-127.255.255.255
                cidr = f"{_v4(net >> (32 - prefix) << (32 - prefix))}/{prefix}"
            claims.append(RangeClaim(cidr, f"a{i:06d}", "company", "ip_ranges"))
    for _ in range(n_ranges // 50):  # shared infrastructure
        prefix = rng.choice([16, 20, 24])
        net = (rng.getrandbits(32) | 0x80000000) >> (32 - prefix) << (32 - prefix)
        claims.append(RangeClaim(f"{_v4(net)}/{prefix}", "",
                                 rng.choice(["isp", "isp", "hosting", "mobile", "vpn"]),
                                 "ip_ranges"))
    return Reference(accounts, claims)


def _v4(value: int) -> str:
    return ".".join(str(value >> s & 0xFF) for s in (24, 16, 8, 0))


def _v6(value: int) -> str:
    groups = [f"{value >> s & 0xFFFF:x}" for s in range(112, -1, -16)]
    return ":".join(groups)
