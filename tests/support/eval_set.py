"""Generates the labelled evaluation set (``python -m tests.support.eval_set write``).

A seeded world of accounts whose names, domains and ranges meet what real account lists
hold, and cases with known answers for every kind of evidence and every trap.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path
from typing import Any

from schemas.reference import Account, Contact, IpRange
from tests.support.evaluation import DATA_DIR, Case, World
from tests.support.synthetic import company_core

TS = "2026-11-02T10:00:00Z"
HUMAN_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0"
BOT_UAS = ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
           "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
           "python-requests/2.32.3", "curl/8.5.0"]
SUFFIXES = {"ee": ["OÜ", "AS"], "de": ["GmbH", "AG"], "co.uk": ["Ltd", "Limited", "PLC"],
            "com": ["Inc", "Corp", "LLC"], "fr": ["S.A.", "SAS"], "se": ["AB"], "fi": ["Oy"],
            "nl": ["B.V."], "com.au": ["Pty Ltd"], "co.jp": ["K.K."]}
ALT_SUFFIX = {"OÜ": "OU", "AS": "A/S", "GmbH": "G.m.b.H.", "AG": "Aktiengesellschaft",
              "Ltd": "Limited", "Limited": "Ltd.", "PLC": "plc", "Inc": "Incorporated",
              "Corp": "Corporation", "LLC": "L.L.C.", "S.A.": "SA", "SAS": "S.A.S.",
              "AB": "Aktiebolag", "Oy": "Oyj", "B.V.": "BV", "Pty Ltd": "Pty. Ltd.",
              "K.K.": "KK"}
WORDS = ["Systems", "Logistics", "Software", "Energy", "Analytics", "Robotics", "Foods",
         "International", "Group", "Holdings", "Technologies", "Services", "Manufacturing"]
SHORT = {"International": "Intl", "Technologies": "Techs", "Services": "Svcs",
         "Manufacturing": "Mfg", "Group": "Grp"}


def build_world(n_accounts: int, rng: random.Random) -> World:
    world = World()
    used: set[str] = set()
    for i in range(n_accounts):
        tld = rng.choice(list(SUFFIXES))
        while True:
            core = company_core(rng)
            if core.lower() not in used and len(core) >= 5:
                used.add(core.lower())
                break
        word = rng.choice(WORDS) if rng.random() < 0.4 else ""
        name = " ".join(x for x in (core, word, rng.choice(SUFFIXES[tld])) if x)
        domains = [f"{core.lower()}.{tld}"]
        if rng.random() < 0.2:
            domains.append(f"{core.lower()}-{rng.choice(['group', 'global', 'hq'])}.com")
        v4 = f"{20 + i // 256}.{i % 256}.0.0/20"
        v6 = f"2a01:{i:x}::/48"
        world.accounts.append(Account(account_id=f"acc{i:05d}", name=name, domains=domains,
                                      ip_ranges=[v4, v6], tier=str(i % 3 + 1)))
        for n in range(rng.randint(1, 3)):
            world.contacts.append(Contact(email=f"person{n}.{i}@{domains[0]}",
                                          account_id=f"acc{i:05d}"))
    # Subsidiaries: a /24 inside the parent's /20, their own domain, named after the parent.
    for i in range(0, n_accounts, 10):
        parent = world.accounts[i]
        core = parent.name.split()[0]
        sub = f"{parent.account_id}-sub"
        world.accounts.append(Account(
            account_id=sub, name=f"{core} Nordic AB", domains=[f"{core.lower()}-nordic.se"],
            ip_ranges=[parent.ip_ranges[0].replace(".0.0/20", ".4.0/24")], tier="3",
            parent_account_id=parent.account_id))
    # Shared networks inside and beside company space.
    for i in range(0, n_accounts, 7):
        base = world.accounts[i].ip_ranges[0].rsplit(".", 2)[0]
        world.ranges.append(IpRange(cidr=f"{base}.8.0/24", kind="isp", source="eval"))
    world.ranges += [IpRange(cidr="100.64.0.0/10", kind="mobile", source="eval"),
                     IpRange(cidr="185.220.0.0/16", kind="vpn", source="eval"),
                     IpRange(cidr="34.0.0.0/8", kind="hosting", source="eval"),
                     IpRange(cidr="2600:1f00::/24", kind="hosting", source="eval")]
    return world


def _ip_in(cidr: str, rng: random.Random, avoid_third: frozenset[int] | set[int] = frozenset(),
           ) -> str:
    if ":" in cidr:
        prefix = cidr.split("::")[0]  # a /48 of two groups: the third is zero
        return f"{prefix}:0:{rng.randrange(1, 0xffff):x}::{rng.randrange(1, 0xffff):x}"
    a, b, _, _ = cidr.split("/")[0].split(".")
    third = rng.choice([t for t in range(16) if t not in avoid_third])
    return f"{a}.{b}.{third}.{rng.randrange(1, 255)}"


def _typo(text: str, rng: random.Random) -> str:
    j = rng.randrange(1, len(text) - 2)
    op = rng.randrange(3)
    if op == 0:  # transpose
        return text[:j] + text[j + 1] + text[j] + text[j + 2:]
    if op == 1:  # drop
        return text[:j] + text[j + 1:]
    return text[:j] + text[j] + text[j:]  # double


def generate_cases(world: World, n: int, rng: random.Random) -> list[Case]:
    top = [a for a in world.accounts if not a.parent_account_id]
    subs = [a for a in world.accounts if a.parent_account_id]
    isp = [r for r in world.ranges if r.kind == "isp"]
    shared_thirds = {8}  # the ISP /24s sit at x.y.8.0
    contacts_by: dict[str, list[Contact]] = {}
    for c in world.contacts:
        contacts_by.setdefault(c.account_id, []).append(c)
    cases: list[Case] = []

    def visit(ip: str, **extra: Any) -> dict[str, Any]:
        return {"type": "web_visit", "ts": TS, "ip": ip, "url": "https://vendor.example/",
                "user_agent": HUMAN_UA, **extra}

    def opened(email: str, **extra: Any) -> dict[str, Any]:
        return {"type": "email_open", "ts": TS, "email": email, "campaign_id": "eval", **extra}

    def click(ip: str, company: str) -> dict[str, Any]:
        return {"type": "ad_click", "ts": TS, "ip": ip, "campaign_id": "eval",
                "company_name": company, "user_agent": HUMAN_UA}

    nobody = "198.51.100.{}"
    kinds = ["contact", "domain", "subdomain", "domain_case", "alias", "lookalike", "free_mail",
             "disposable", "ipv4", "ipv6", "mapped", "subsidiary_ip", "isp", "mobile", "vpn",
             "hosting", "bot", "name_exact", "name_case", "name_suffix", "name_estonian",
             "name_typo", "name_abbrev", "name_reorder", "name_unknown", "nothing"]
    for i in range(n):
        kind = kinds[i % len(kinds)]
        acc = rng.choice(top)
        core = acc.name.split()[0]
        far_ip = nobody.format(rng.randrange(1, 255))
        if kind == "contact":
            c = rng.choice(contacts_by[acc.account_id])
            cases.append(Case(opened(c.email.upper() if i % 2 else c.email), acc.account_id,
                              "contact"))
        elif kind == "domain":
            cases.append(Case(opened(f"new{i}@{acc.domains[0]}"), acc.account_id,
                              "email_domain"))
        elif kind == "subdomain":
            cases.append(Case(visit(far_ip, email=f"x{i}@mail.eu.{acc.domains[0]}"),
                              acc.account_id, "email_domain"))
        elif kind == "domain_case":
            cases.append(Case(opened(f"Someone.{i}@{acc.domains[0].upper()}"), acc.account_id,
                              "email_domain"))
        elif kind == "alias":
            with_alias = [a for a in top if len(a.domains) > 1]
            acc = rng.choice(with_alias)
            cases.append(Case(opened(f"a{i}@{acc.domains[1]}"), acc.account_id, "email_domain"))
        elif kind == "lookalike":
            d = acc.domains[0]
            label, suffix = d.split(".", 1)
            fake = rng.choice([f"not{d}", f"{d}.evil.net", f"{label}x.{suffix}", f"my-{d}"])
            cases.append(Case(opened(f"eve{i}@{fake}"), "", ""))
        elif kind == "free_mail":
            free = rng.choice(["gmail.com", "outlook.com", "yahoo.co.uk", "mail.ee"])
            cases.append(Case(opened(f"{core.lower()}.fan{i}@{free}"), "", ""))
        elif kind == "disposable":
            throwaway = rng.choice(["mailinator.com", "guerrillamail.com", "10minutemail.com"])
            cases.append(Case(opened(f"t{i}@{throwaway}"), "", ""))
        elif kind == "ipv4":
            cases.append(Case(visit(_ip_in(acc.ip_ranges[0], rng, shared_thirds | {4, 5, 6, 7})),
                              acc.account_id, "ip_range"))
        elif kind == "ipv6":
            cases.append(Case(visit(_ip_in(acc.ip_ranges[1], rng)), acc.account_id, "ip_range"))
        elif kind == "mapped":
            ip = _ip_in(acc.ip_ranges[0], rng, shared_thirds | {4, 5, 6, 7})
            cases.append(Case(visit(f"::ffff:{ip}"), acc.account_id, "ip_range"))
        elif kind == "subsidiary_ip":
            sub = rng.choice(subs)
            base = sub.ip_ranges[0].rsplit(".", 1)[0]
            cases.append(Case(visit(f"{base}.{rng.randrange(1, 255)}"), sub.account_id,
                              "ip_range"))
        elif kind == "isp":
            base = rng.choice(isp).cidr.rsplit(".", 1)[0]
            cases.append(Case(visit(f"{base}.{rng.randrange(1, 255)}"), "", ""))
        elif kind == "mobile":
            cases.append(Case(visit(f"100.{rng.randrange(64, 128)}.{rng.randrange(256)}.9"),
                              "", ""))
        elif kind == "vpn":
            cases.append(Case(visit(f"185.220.{rng.randrange(256)}.{rng.randrange(1, 255)}"),
                              "", ""))
        elif kind == "hosting":
            ip = (f"34.{rng.randrange(256)}.{rng.randrange(256)}.5" if i % 2 else
                  f"2600:1f{rng.randrange(16):x}0::{rng.randrange(1, 999)}")
            cases.append(Case(visit(ip), "", "", "hosting_ip"))
        elif kind == "bot":
            ip = _ip_in(acc.ip_ranges[0], rng, shared_thirds | {4, 5, 6, 7})
            cases.append(Case(visit(ip, user_agent=rng.choice(BOT_UAS)), acc.account_id,
                              "ip_range", "bot_user_agent"))
        elif kind.startswith("name_"):
            cases.append(_name_case(kind, acc, world, far_ip, rng, click, i))
        else:
            cases.append(Case(visit(far_ip), "", ""))
        cases[-1].tag = kind
        cases[-1].event["event_id"] = f"gen-{i:05d}"
    return cases


def _name_case(kind: str, acc: Account, world: World, ip: str, rng: random.Random,
               click: Any, i: int) -> Case:
    parts = acc.name.split()
    core, rest = parts[0], parts[1:]
    suffix = next((s for s in ALT_SUFFIX if acc.name.endswith(" " + s)), "")
    body = acc.name[: -len(suffix) - 1] if suffix else acc.name
    if kind == "name_exact":
        return Case(click(ip, acc.name), acc.account_id, "company_name")
    if kind == "name_case":
        return Case(click(ip, acc.name.upper()), acc.account_id, "company_name")
    if kind == "name_suffix":
        return Case(click(ip, f"{body} {ALT_SUFFIX.get(suffix, 'Inc')}"), acc.account_id,
                    "company_name")
    if kind == "name_estonian":
        ee = [a for a in world.accounts if a.name.endswith((" OÜ", " AS"))]
        acc = rng.choice(ee)
        typed = acc.name.replace(" OÜ", " OU") if i % 2 else acc.name.replace(" AS", " A.S.")
        return Case(click(ip, typed), acc.account_id, "company_name")
    if kind == "name_typo":
        return Case(click(ip, " ".join([_typo(core, rng), *rest])), acc.account_id,
                    "company_name")
    if kind == "name_abbrev":
        with_word = [a for a in world.accounts if any(w in a.name for w in SHORT)]
        acc = rng.choice(with_word)
        typed = acc.name
        for long, short in SHORT.items():
            typed = typed.replace(long, short)
        return Case(click(ip, typed), acc.account_id, "company_name")
    if kind == "name_reorder":
        words = body.split()
        if len(words) < 2:
            return Case(click(ip, acc.name.lower()), acc.account_id, "company_name")
        return Case(click(ip, " ".join(reversed(words))), acc.account_id, "company_name")
    return Case(click(ip, f"{company_core(rng)}zz Widgets Ltd"), "", "")


def write(directory: Path = DATA_DIR, n_accounts: int = 1500, n_cases: int = 6000,
          seed: int = 2026) -> None:
    rng = random.Random(seed)
    world = build_world(n_accounts, rng)
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "accounts.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["account_id", "name", "domains", "ip_ranges", "tier", "parent_account_id"])
        for a in world.accounts:
            w.writerow([a.account_id, a.name, ";".join(a.domains), ";".join(a.ip_ranges), a.tier,
                        a.parent_account_id])
    with open(directory / "contacts.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["email", "account_id"])
        w.writerows([c.email, c.account_id] for c in world.contacts)
    with open(directory / "ip_ranges.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["cidr", "account_id", "kind", "source"])
        w.writerows([r.cidr, r.account_id, r.kind, r.source] for r in world.ranges)
    cases = generate_cases(world, n_cases, rng)
    (directory / "generated_cases.jsonl").write_text("\n".join(c.line() for c in cases) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["write"]:
        write()
        print(f"wrote {DATA_DIR}")
