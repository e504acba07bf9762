"""A realistic, seeded sample: target accounts, contacts and a few days of mixed traffic.

Used by ``pulse demo`` and by tests. Traffic includes what real feeds carry: anonymous
visitors on office networks (IPv4, IPv6 and IPv4-mapped), identified visitors, email
opens from contacts and from free-mail addresses, ad clicks from home ISPs, resent
duplicates and a few broken records.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Network, IPv6Network

from schemas.reference import Account, Contact, IpRange

COMPANIES = [
    ("acme", "Acme Corporation", "acme.com", "1"),
    ("initech", "Initech Ltd", "initech.co.uk", "1"),
    ("globex", "Globex Inc", "globex.com", "1"),
    ("umbrella", "Umbrella Corp", "umbrella-corp.com", "2"),
    ("hooli", "Hooli", "hooli.com", "1"),
    ("soylent", "Soylent Foods", "soylent.com", "3"),
    ("stark", "Stark Industries", "starkindustries.com", "1"),
    ("wayne", "Wayne Enterprises", "wayne-ent.com", "2"),
    ("tyrell", "Tyrell Corporation", "tyrell.com", "2"),
    ("cyberdyne", "Cyberdyne Systems", "cyberdyne.com", "3"),
    ("kalev", "Kalev AS", "kalev.ee", "2"),
    ("tark", "Tark Tarkvara OÜ", "tark.ee", "3"),
    ("nakatomi", "Nakatomi Trading", "nakatomi.co.jp", "2"),
    ("vandelay", "Vandelay Industries", "vandelay.com", "3"),
    ("wonka", "Wonka GmbH", "wonka.de", "2"),
    ("oscorp", "Oscorp", "oscorp.com", "3"),
    ("massive", "Massive Dynamic", "massivedynamic.com", "1"),
    ("aperture", "Aperture Science", "aperturescience.com", "2"),
    ("blueshift", "Blue Shift S.A.", "blueshift.fr", "3"),
    ("pied", "Pied Piper", "piedpiper.com", "2"),
]
# Firmographics, as a CRM holds them: what fit points and ad-platform audiences read.
# industry, employees, annual revenue, country, region, city, zip, technologies, LinkedIn
# company page id, stock symbol.
FIRMOGRAPHICS: dict[str, tuple[str, int | None, int | None, str, str, str, str, list[str],
                               str, str]] = {
    "acme": ("Software", 2400, 310_000_000, "US", "CA", "San Francisco", "94105",
             ["Salesforce", "Snowflake"], "acme-corp", "ACME"),
    "initech": ("Information Technology and Services", 800, 95_000_000, "GB", "England",
                "London", "EC1A 1BB", ["HubSpot", "Jira"], "initech", ""),
    "globex": ("Manufacturing", 15_000, 4_200_000_000, "US", "IL", "Chicago", "60601",
               ["SAP", "Oracle"], "globex", "GLBX"),
    "umbrella": ("Pharmaceuticals", 52_000, 12_000_000_000, "US", "NJ", "Raccoon City", "07001",
                 ["SAP"], "umbrella-corporation", "UMBR"),
    "hooli": ("Internet", 9_000, 1_100_000_000, "US", "CA", "Mountain View", "94043",
              ["Segment", "Snowflake"], "hooli", "HOOL"),
    "soylent": ("Food Production", 600, 40_000_000, "US", "OR", "Portland", "97201", [],
                "soylent-foods", ""),
    "stark": ("Defense & Space", 30_000, 20_000_000_000, "US", "NY", "New York", "10001",
              ["Oracle"], "stark-industries", "STRK"),
    "wayne": ("Financial Services", 12_000, 9_000_000_000, "US", "NJ", "Gotham", "07302",
              ["Salesforce"], "wayne-enterprises", "WAYN"),
    "tyrell": ("Biotechnology", 3_000, 600_000_000, "US", "CA", "Los Angeles", "90012", [],
               "tyrell-corporation", ""),
    "cyberdyne": ("Computer Software", 1_500, 200_000_000, "US", "CA", "Sunnyvale", "94089",
                  [], "cyberdyne-systems", ""),
    "kalev": ("Food Production", 700, 90_000_000, "EE", "Harju", "Tallinn", "10111", [],
              "kalev", ""),
    "tark": ("Computer Software", 45, 3_000_000, "EE", "Tartu", "Tartu", "50090", ["HubSpot"],
             "tark-tarkvara", ""),
    "nakatomi": ("Wholesale", 4_000, 2_000_000_000, "JP", "Tokyo", "Tokyo", "100-0005", [],
                 "nakatomi-trading", "TYO:8001"),
    "vandelay": ("Import and Export", 25, 4_000_000, "", "", "", "", [], "", ""),
    "wonka": ("Food Production", 1_200, 300_000_000, "DE", "Bavaria", "München", "80331",
              ["SAP"], "wonka", ""),
    "oscorp": ("Chemicals", 8_000, 3_000_000_000, "US", "NY", "New York", "10017", [],
               "oscorp", "OSCP"),
    "massive": ("Research", 5_000, 800_000_000, "US", "MA", "Boston", "02110", ["Salesforce"],
                "massive-dynamic", ""),
    "aperture": ("Research", 1_000, 150_000_000, "US", "MI", "Upper Peninsula", "49855", [],
                 "aperture-science", ""),
    "blueshift": ("Banking", 350, 60_000_000, "FR", "Île-de-France", "Paris", "75002",
                  ["HubSpot"], "blue-shift", "EPA:BLSH"),
    "pied": ("Computer Software", 12, 1_000_000, "US", "CA", "Palo Alto", "94301", [],
             "pied-piper", ""),
    "acme-eu": ("Software", 300, 40_000_000, "IE", "Leinster", "Dublin", "D02 X285", [],
                "acme-europe", ""),
}
FIRMOGRAPHIC_FIELDS = ("industry", "employees", "annual_revenue", "country", "region", "city",
                       "zip", "technologies", "linkedin_url", "stock_symbol")


# Prospects the programme has not reached yet: a target list always holds accounts that are
# quiet (unaware), barely seen (aware) or browsing without intent (engaged). Generated after
# the rest with their own random draws, so the busy accounts' traffic stays as it was.
QUIET = [  # account_id, name, domain, tier, people seen in the last 10 days
    ("gringotts", "Gringotts Bank", "gringotts.co.uk", "2", 0),
    ("duff", "Duff Brewing", "duffbeer.com", "3", 1),
    ("prestige", "Prestige Worldwide", "prestigeworldwide.com", "3", 0),
    ("dunder", "Dunder Mifflin", "dundermifflin.com", "2", 2),
    ("bluth", "Bluth Company", "bluthcompany.com", "3", 1),
    ("sterling", "Sterling Cooper", "sterlingcooper.com", "2", 4),
    ("monarch", "Monarch Solutions", "monarch.io", "1", 3),
    ("hanso", "Hanso Foundation", "hanso.org", "3", 0),
]
FIRMOGRAPHICS.update({
    "gringotts": ("Banking", 4_000, 900_000_000, "GB", "England", "London", "WC2H 0DL",
                  ["Salesforce"], "gringotts", ""),
    "duff": ("Food Production", 900, 120_000_000, "US", "OR", "Springfield", "97477", [],
             "duff-brewing", ""),
    "prestige": ("Entertainment", 8, 500_000, "US", "CA", "Los Angeles", "90028", [], "", ""),
    "dunder": ("Wholesale", 300, 70_000_000, "US", "PA", "Scranton", "18503", ["Salesforce"],
               "dunder-mifflin", "DMI"),
    "bluth": ("Real Estate", 150, 40_000_000, "US", "CA", "Newport Beach", "92660", [],
              "bluth-company", ""),
    "sterling": ("Marketing and Advertising", 450, 80_000_000, "US", "NY", "New York", "10022",
                 ["HubSpot"], "sterling-cooper", ""),
    "monarch": ("Software", 1_100, 150_000_000, "DE", "Berlin", "Berlin", "10115",
                ["Snowflake"], "monarch-solutions", ""),
    "hanso": ("Research", 200, 30_000_000, "DK", "Capital Region", "Copenhagen", "1050", [],
              "hanso-foundation", ""),
})


def firmographics(account_id: str) -> dict[str, object]:
    values: dict[str, object] = dict(zip(FIRMOGRAPHIC_FIELDS, FIRMOGRAPHICS[account_id],
                                         strict=True))
    slug = values["linkedin_url"]
    values["linkedin_url"] = f"https://www.linkedin.com/company/{slug}" if slug else ""
    return values


FIRST = ["anna", "ben", "carla", "dmitri", "eva", "farid", "grete", "hiro", "ines", "jaan",
         "kadri", "liam", "maria", "nils", "olga", "priya", "rasmus", "sofia", "tom", "uma"]
SURNAMES = ["Tamm", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Kowalski", "Haddad", "Saar",
            "Oliveira", "Fischer", "Nguyen", "Rossi", "Kask", "Ivanova", "Brennan", "Mehta"]
# Real job titles across a buying committee (economic buyer, technical evaluator,
# champion, influencer, procurement, user): each title's persona comes from the scoring
# rules, as for any contacts file.
TITLES = ["Chief Financial Officer", "Head of IT", "Director of Demand Generation",
          "Marketing Operations Manager", "Solutions Architect", "VP Marketing",
          "Procurement Specialist", "Senior Software Engineer", "Chief Executive Officer",
          "Data Analyst", "VP Engineering", "Head of Revenue Operations"]
PAGES = ["/", "/blog/abm-guide", "/blog/intent-data", "/product", "/product/integrations",
         "/docs/quickstart", "/careers", "/pricing", "/demo", "/customers"]
FREE_MAIL = ["gmail.com", "outlook.com", "yahoo.com", "proton.me"]
UAS = ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"]


BOT_UAS = ["Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
           "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
           "python-requests/2.32.3"]
SHARED_RANGES = [
    IpRange(cidr="203.0.113.0/24", kind="isp", source="sample"),  # home broadband
    IpRange(cidr="192.0.2.0/24", kind="hosting", source="sample"),  # a cloud provider
    IpRange(cidr="198.18.2.0/24", kind="vpn", source="sample"),  # a VPN exit inside acme's /22
]


@dataclass
class Sample:
    accounts: list[Account]
    contacts: list[Contact]
    ip_ranges: list[IpRange] = field(default_factory=lambda: list(SHARED_RANGES))
    lines: list[bytes] = field(default_factory=list)  # JSONL records, as publishers send
    opportunities: str = ""  # a Salesforce Data Loader export (CSV), as a CRM gives it


def crm_account_id(i: int) -> str:
    """The demo CRM's Account id of company i, in Salesforce's 15-character form (the
    accounts file has it so; the opportunities export the 18-character form)."""
    return f"0015g00000{i:02d}Xyz"


OPPORTUNITY_HEADER = ("Id,AccountId,Account.Website,Name,StageName,Amount,CurrencyIsoCode,"
                      "CloseDate,CreatedDate,IsClosed,IsWon,Type,SystemModstamp,IsDeleted")


def crm_export(now: datetime, days: int, rng: random.Random) -> str:
    """Opportunities as a Salesforce export: one an hour after the planted buying group,
    others spread over the period (open, won, lost), matched by CRM id or by website, and
    one for a company that is not a target account (kept, reported unmatched)."""
    from schemas.crm_ids import salesforce_id18

    def sf(t: datetime) -> str:
        return t.strftime("%Y-%m-%dT%H:%M:%S.000+0000")

    rows = []

    def deal(n: int, i: int | None, created: datetime, stage: str, amount: int,
             closed: bool, won: bool, website: str = "", by_id: bool = True) -> None:
        account = salesforce_id18(crm_account_id(i)) if i is not None and by_id else ""
        close = min(now, created + timedelta(days=rng.randint(1, 20))).date() if closed else \
            (now + timedelta(days=rng.randint(20, 90))).date()
        modstamp = min(now, created + timedelta(days=1))
        rows.append(f"{salesforce_id18(f'0065g00000{n:03d}Qa')},{account},{website},"
                    f"Deal {n},{stage},{amount}.00,USD,{close},{sf(created)},"
                    f"{str(closed).lower()},{str(won).lower()},New Business,{sf(modstamp)},false")

    deal(1, 1, now - timedelta(hours=1), "Qualification", 85000, False, False)
    for n, i in enumerate(rng.sample(range(2, 21), 9), start=2):
        created = now - timedelta(days=rng.randint(1, max(2, days - 1)), hours=rng.randint(0, 23))
        closed, won = n % 3 != 2, n % 3 == 0  # open, won, lost in turn
        by_id = n % 2 == 0
        website = "" if by_id else f"https://www.{COMPANIES[i % len(COMPANIES)][2]}/"
        deal(n, i % len(COMPANIES), created, ("Closed Won" if won else "Closed Lost")
             if closed else rng.choice(["Prospecting", "Proposal", "Negotiation"]),
             rng.randrange(5, 150) * 1000, closed, won, website, by_id)
    rows.append(f"{salesforce_id18('0065g00000999Qa')},{salesforce_id18('001000000000ZZZ')},"
                f"https://www.example-startup.io/,Not a target,Prospecting,4000.00,USD,"
                f"{(now + timedelta(days=30)).date()},{sf(now - timedelta(days=3))},false,false,"
                f"New Business,{sf(now - timedelta(days=3))},false")
    return OPPORTUNITY_HEADER + "\n" + "\n".join(rows) + "\n"


def _office_v4(i: int) -> IPv4Network:
    return IPv4Network(f"198.18.{i * 4}.0/22")


def _office_v6(i: int) -> IPv6Network:
    return IPv6Network(f"2001:db8:{i + 1:x}::/48")


def build_sample(days: int = 3, seed: int = 7, now: datetime | None = None,
                 scale: float = 1.0) -> Sample:
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    accounts, contacts = [], []
    for i, (aid, name, domain, tier) in enumerate(COMPANIES):
        ranges = [str(_office_v4(i)), str(_office_v6(i))]
        accounts.append(Account.model_validate(
            {"account_id": aid, "name": name, "domains": [domain], "ip_ranges": ranges,
             "tier": tier, "crm_ids": [crm_account_id(i)], **firmographics(aid)}))
        for j, first in enumerate(rng.sample(FIRST, rng.randint(3, 8))):
            contacts.append(Contact(  # names and titles from lists: the seeded draws stay
                email=f"{first}@{domain}", account_id=aid, title=TITLES[(i + j) % len(TITLES)],
                name=f"{first.capitalize()} {SURNAMES[(3 * i + j) % len(SURNAMES)]}"))
    # A subsidiary whose /26 sits inside its parent's /22: the most specific range wins.
    accounts.append(Account.model_validate(
        {"account_id": "acme-eu", "name": "Acme Europe", "domains": ["acme.eu"],
         "ip_ranges": ["198.18.1.0/26"], "tier": "2", "parent_account_id": "acme",
         **firmographics("acme-eu")}))
    sample = Sample(accounts, contacts)
    by_account: dict[str, list[Contact]] = {}
    for c in contacts:
        by_account.setdefault(c.account_id, []).append(c)

    def ts(day: int) -> str:
        moment = now - timedelta(days=day, seconds=rng.randint(0, 86399))
        return moment.isoformat().replace("+00:00", "Z")

    seq = 0

    def emit(event: dict[str, object]) -> None:
        nonlocal seq
        seq += 1
        event = {"event_id": f"demo-{seed}-{seq:06d}", **event}
        sample.lines.append(json.dumps(event).encode())

    heat = {a.account_id: rng.choice([1, 1, 2, 3, 6]) for a in accounts}
    for i, (aid, _name, _domain, _tier) in enumerate(COMPANIES):
        office4, office6 = _office_v4(i), _office_v6(i)
        for day in range(days):
            for _ in range(int(heat[aid] * rng.randint(4, 12) * scale)):
                ip = (str(office6[rng.randint(1, 5000)]) if rng.random() < 0.2
                      else str(office4[rng.randint(1, 1000)]))
                if rng.random() < 0.05:
                    ip = f"::ffff:{office4[rng.randint(1, 1000)]}"
                visit: dict[str, object] = {
                    "type": "web_visit", "ts": ts(day), "ip": ip,
                    "url": f"https://accountpulse.example{rng.choice(PAGES)}",
                    "user_agent": rng.choice(UAS),
                    "anonymous_id": f"anon-{aid}-{rng.randint(1, 12)}",
                }
                if rng.random() < 0.15:
                    visit["email"] = rng.choice(by_account[aid]).email
                emit(visit)
            for _ in range(int(heat[aid] * rng.randint(1, 5) * scale)):
                emit({"type": "email_open", "ts": ts(day),
                      "email": rng.choice(by_account[aid]).email,
                      "campaign_id": rng.choice(["q4-launch", "webinar-nov", "case-study"])})
            for _ in range(int(heat[aid] * rng.randint(0, 3) * scale)):
                emit({"type": "ad_click", "ts": ts(day), "ip": str(office4[rng.randint(1, 1000)]),
                      "campaign_id": "li-abm-q4", "platform": "linkedin",
                      "url": "https://accountpulse.example/demo"})
    # A buying group: six people from one account on pricing and demo pages within half an
    # hour, two hours ago (the surge agent alerts on it); two of them are known contacts,
    # who identify themselves on their first visit (the alert names them).
    hot = COMPANIES[1]
    group_at = now - timedelta(hours=2)
    for n in range(18):
        visit = {"type": "web_visit", "ts": (group_at + timedelta(minutes=n * 1.5)).isoformat(),
                 "ip": str(_office_v4(1)[100 + n % 6]),
                 "url": f"https://accountpulse.example{('/pricing', '/demo')[n % 2]}",
                 "user_agent": UAS[0], "anonymous_id": f"anon-{hot[0]}-buyer{n % 6}"}
        if n < 2:
            visit["email"] = by_account[hot[0]][n].email
        emit(visit)
    # Noise: home ISPs, free mail, a look-alike domain; none of it may attribute.
    for day in range(days):
        for _ in range(int(40 * scale)):
            emit({"type": "web_visit", "ts": ts(day),
                  "ip": f"203.0.113.{rng.randint(1, 254)}",
                  "url": f"https://accountpulse.example{rng.choice(PAGES)}",
                  "user_agent": rng.choice(UAS), "anonymous_id": f"anon-home-{rng.randint(1, 99)}"})
        for _ in range(int(10 * scale)):
            emit({"type": "email_open", "ts": ts(day),
                  "email": f"{rng.choice(FIRST)}{rng.randint(1, 99)}@{rng.choice(FREE_MAIL)}",
                  "campaign_id": "q4-launch"})
        emit({"type": "email_open", "ts": ts(day), "email": "eve@notacme.com",
              "campaign_id": "q4-launch"})
    # Machines: crawlers on office networks, scripts in a cloud, email security scanners
    # opening seconds after delivery, and Apple Mail Privacy Protection pre-fetching opens.
    for day in range(days):
        for _ in range(int(15 * scale)):
            emit({"type": "web_visit", "ts": ts(day), "ip": str(_office_v4(rng.randrange(20))[9]),
                  "url": f"https://accountpulse.example{rng.choice(PAGES)}",
                  "user_agent": rng.choice(BOT_UAS)})
            emit({"type": "web_visit", "ts": ts(day), "ip": f"192.0.2.{rng.randint(1, 254)}",
                  "url": "https://accountpulse.example/pricing", "user_agent": rng.choice(UAS)})
        for _ in range(int(10 * scale)):
            aid = rng.choice(COMPANIES)[0]
            moment = ts(day)
            sent = (datetime.fromisoformat(moment) - timedelta(seconds=rng.randint(1, 5)))
            emit({"type": "email_open", "ts": moment, "email": rng.choice(by_account[aid]).email,
                  "campaign_id": "q4-launch", "sent_at": sent.isoformat()})
            emit({"type": "email_open", "ts": ts(day), "email": rng.choice(by_account[aid]).email,
                  "campaign_id": "q4-launch", "ip": f"17.58.{rng.randint(0, 255)}.9",
                  "user_agent": "Mozilla/5.0"})
    # Resent duplicates (same event_id) and broken records a real feed carries.
    sample.lines.extend(rng.sample(sample.lines, max(1, len(sample.lines) // 50)))
    sample.lines.extend([
        b'{"type": "web_visit", "ts": "2026-11-02T09:30:00Z", "ip": "10.0.0.300",'
        b' "url": "https://accountpulse.example/", "user_agent": "x"}',
        b'{"type": "email_open", "ts": "yesterday", "email": "anna@acme.com",'
        b' "campaign_id": "q4-launch"}',
        b'{"type": "ad_click", "ts": "2026-11-02T09:30:00Z", "campaign_id": "li-abm-q4"}',
    ])
    sample.opportunities = crm_export(now, days, random.Random(seed + 1))
    _quiet_accounts(sample, now, random.Random(seed + 2), len(COMPANIES))
    sample.lines.sort(key=_event_time)
    return sample


def _event_time(line: bytes) -> datetime:
    """When a line happened (broken ones first). A live feed arrives about in time order, so
    the demo is published so: what the pipeline knows when a group alerts is then what it
    would have known live (a visitor who identified herself earlier is named)."""
    try:
        return datetime.fromisoformat(json.loads(line)["ts"])
    except (ValueError, KeyError, TypeError):
        return datetime.min.replace(tzinfo=UTC)


def _quiet_accounts(sample: Sample, now: datetime, rng: random.Random, first: int) -> None:
    """The prospects nobody works yet, and the few visits some of them make (product and
    blog pages, never pricing): aware and engaged accounts for the stages to tell apart."""
    for k, (aid, name, domain, tier, people) in enumerate(QUIET):
        i = first + k
        sample.accounts.append(Account.model_validate(
            {"account_id": aid, "name": name, "domains": [domain],
             "ip_ranges": [str(_office_v4(i)), str(_office_v6(i))], "tier": tier,
             **firmographics(aid)}))
        for person in range(people):
            for n in range(2):
                moment = now - timedelta(days=rng.randint(1, 9), seconds=rng.randint(0, 86399))
                sample.lines.append(json.dumps({
                    "event_id": f"demo-quiet-{aid}-{person}-{n}", "type": "web_visit",
                    "ts": moment.isoformat().replace("+00:00", "Z"),
                    "ip": str(_office_v4(i)[10 + person]),
                    "url": f"https://accountpulse.example{rng.choice(PAGES[:7])}",
                    "user_agent": UAS[person % 2],
                    "anonymous_id": f"anon-{aid}-{person}"}).encode())
