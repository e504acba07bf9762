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


BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
]
BOTS = ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "curl/8.5.0", "python-requests/2.32.3",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36"]
PAGES = ["/", "/", "/blog/abm-guide", "/blog/intent-data", "/pricing", "/demo", "/product",
         "/customers", "/careers", "/docs/api"]
FREE_MAIL = ["gmail.com", "outlook.com", "yahoo.com", "proton.me"]


def _inside(cidr: str, rng: random.Random) -> str:
    """A random address inside an IPv4 or IPv6 CIDR."""
    import ipaddress

    net = ipaddress.ip_network(cidr, strict=False)
    span = min(net.num_addresses - 1, 2**32)
    return str(net.network_address + rng.randrange(1, span) if span > 1 else net.network_address)


def synthetic_events(ref: Reference, n: int, rng: random.Random, end_ts: float,
                     span_s: float, prefix: str = "e") -> list[dict[str, object]]:
    """A realistic mix. Account popularity follows Zipf's law (the k-th busiest account is
    k times less active than the busiest), as engagement concentrates on few accounts.
    60% web visits (a quarter from company ranges, a tenth from shared
    infrastructure, the rest from addresses nobody claims; 12% bots), 25% email opens (a
    fifth from free mail), 15% ad clicks (company names, some typed differently). Event
    times spread over ``span_s`` seconds before ``end_ts`` (epoch seconds), in order."""
    from datetime import UTC, datetime

    company = [c for c in ref.claims if c.account_id]
    shared = [c for c in ref.claims if not c.account_id]
    out: list[dict[str, object]] = []
    for i in range(n):
        ts = datetime.fromtimestamp(end_ts - span_s + span_s * i / max(1, n), UTC)
        acc = ref.accounts[int(len(ref.accounts) ** rng.random()) - 1]  # Zipf: few busy
        base: dict[str, object] = {"event_id": f"{prefix}{i}",
                                   "ts": ts.isoformat(timespec="milliseconds")}
        r = rng.random()
        if r < 0.60:
            w = rng.random()
            ip = (_inside(rng.choice(company).cidr, rng) if w < 0.25 else
                  _inside(rng.choice(shared).cidr, rng) if w < 0.35 else
                  f"{rng.randrange(130, 224)}.{rng.randrange(256)}.{rng.randrange(256)}."
                  f"{rng.randrange(1, 255)}")
            out.append({**base, "type": "web_visit", "ip": ip,
                        "url": "https://vendor.example" + rng.choice(PAGES),
                        "user_agent": rng.choice(BOTS) if rng.random() < 0.12
                        else rng.choice(BROWSERS),
                        "anonymous_id": f"v{rng.randrange(n // 4 + 1)}",
                        **({"referrer": "https://www.google.com/"} if rng.random() < 0.3
                           else {})})
        elif r < 0.85:
            domain = rng.choice(FREE_MAIL) if rng.random() < 0.2 else acc.domains[0]
            out.append({**base, "type": "email_open",
                        "email": f"person{rng.randrange(40)}@{domain}",
                        "campaign_id": f"cmp-{rng.randrange(12)}"})
        else:
            name = acc.name if rng.random() < 0.7 else acc.name.upper().split(" ")[0]
            out.append({**base, "type": "ad_click", "campaign_id": f"cmp-{rng.randrange(12)}",
                        "ad_id": f"ad-{rng.randrange(80)}",
                        "platform": rng.choice(["linkedin", "google", "meta"]),
                        "company_name": name,
                        "ip": f"{rng.randrange(130, 224)}.{rng.randrange(256)}.0.9"})
    return out
