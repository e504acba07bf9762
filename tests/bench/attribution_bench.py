"""Attribution speed and memory at production scale. A script, not a test:

    .venv/bin/python tests/bench/attribution_bench.py [--accounts 100000] [--ranges 1000000]

Prints per-event cost of the IP + domain chain (median of repeated runs), company-name
lookup latency (median, p99), build times and memory, and writes them as JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script

from schemas.events import EmailOpen, WebVisit
from streams.attribution.chain import build_attributor
from streams.attribution.company_names import CompanyNameIndex
from streams.attribution.domains import disposable_domains, shipped_free_mail_domains
from streams.attribution.ip_ranges import IpRangeTable
from tests.support.synthetic import synthetic_reference

UAS = ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"]


def rss_mb() -> float:
    """Peak resident memory of this process."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--ranges", type=int, default=1_000_000)
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--names", type=int, default=2_000)
    ap.add_argument("--out", default="tests/bench/results/attribution.json")
    args = ap.parse_args()
    rng = random.Random(5)

    t = time.perf_counter()
    ref = synthetic_reference(args.accounts, args.ranges)
    gen_s = time.perf_counter() - t
    print(f"generated {len(ref.accounts):,} accounts, {len(ref.claims):,} ranges in {gen_s:.1f}s")

    gc.collect()
    before = current_rss_mb()
    t = time.perf_counter()
    table = IpRangeTable(ref.claims)
    table_build_s = time.perf_counter() - t
    gc.collect()
    table_mb = current_rss_mb() - before  # what the built table keeps, temporaries freed
    print(f"range table: {len(table):,} ranges, built in {table_build_s:.1f}s, "
          f"{table_mb:.0f} MB")
    del table

    t = time.perf_counter()
    free = shipped_free_mail_domains() | disposable_domains()
    attributor = build_attributor(ref.accounts, [], free, ref.claims)
    build_s = time.perf_counter() - t
    gc.collect()
    gc.freeze()  # a million long-lived objects: keep the collector from rescanning them
    print(f"full attributor built in {build_s:.1f}s; process peak RSS {rss_mb():.0f} MB")

    ts = datetime(2026, 11, 2, tzinfo=UTC)
    company = [c for c in ref.claims if c.kind == "company"]
    events = []
    for i in range(args.events):
        roll = rng.random()
        if roll < 0.45:  # office visitor: an address inside a company range
            claim = rng.choice(company)
            base, _, plen = claim.cidr.partition("/")
            ip = base if ":" in base else _inside(base, int(plen), rng)
        else:
            ip = _inside("0.0.0.0", 0, rng)  # anywhere: mostly nobody's
        if roll > 0.8:
            acc = rng.choice(ref.accounts)
            domain = rng.choice(acc.domains + ["gmail.com", "outlook.com"])
            events.append(EmailOpen(event_id=f"e{i}", type="email_open", ts=ts,
                                    email=f"p{i}@{domain}", campaign_id="c", ip=ip,
                                    user_agent=UAS[i % 2]))
        else:
            events.append(WebVisit(event_id=f"e{i}", type="web_visit", ts=ts, ip=ip,
                                   url="https://x.example/", user_agent=UAS[i % 2]))
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        for event in events:
            attributor.attribute(event)
        runs.append((time.perf_counter() - t) / len(events) * 1e6)
    matched = sum(1 for e in events if attributor.attribute(e).account_id)
    chain_us = statistics.median(runs)
    print(f"IP + domain chain: median {chain_us:.2f} µs/event over {len(runs)} runs of "
          f"{len(events):,} events (runs: {', '.join(f'{r:.2f}' for r in runs)}); "
          f"{matched / len(events):.0%} attributed")

    t = time.perf_counter()
    names = CompanyNameIndex((a.account_id, a.name) for a in ref.accounts)
    names_build_s = time.perf_counter() - t
    queries = []
    for acc in rng.sample(ref.accounts, args.names):
        name = acc.name
        kind = rng.random()
        if kind < 0.3:
            name = name.upper()
        elif kind < 0.6 and len(name) > 5:
            j = rng.randrange(1, len(name) - 2)
            name = name[:j] + name[j + 1] + name[j] + name[j + 2:]
        elif kind < 0.8:
            name = name.split()[0] + " Ltd"
        queries.append(name)
    lat = []
    for q in queries:
        t = time.perf_counter()
        names.lookup(q)
        lat.append((time.perf_counter() - t) * 1e3)
    lat.sort()
    name_median = statistics.median(lat)
    name_p99 = lat[int(len(lat) * 0.99) - 1]
    print(f"company names: index of {len(names):,} built in {names_build_s:.1f}s; lookup "
          f"median {name_median:.3f} ms, p99 {name_p99:.3f} ms over {len(lat):,} queries")
    print(f"process peak RSS {rss_mb():.0f} MB")

    result = {
        "accounts": len(ref.accounts), "ranges": len(ref.claims), "events": len(events),
        "chain_us_per_event_median": round(chain_us, 3), "chain_runs_us": runs,
        "range_table_build_s": round(table_build_s, 2), "range_table_mb": round(table_mb, 1),
        "attributor_build_s": round(build_s, 2), "name_index_build_s": round(names_build_s, 2),
        "name_lookup_ms_median": round(name_median, 4), "name_lookup_ms_p99": round(name_p99, 4),
        "peak_rss_mb": round(rss_mb()),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


def _inside(base: str, prefixlen: int, rng: random.Random) -> str:
    parts = [int(p) for p in base.split(".")]
    value = (parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3])
    value += rng.randrange(1 << (32 - prefixlen))
    return ".".join(str(value >> s & 0xFF) for s in (24, 16, 8, 0))


if __name__ == "__main__":
    main()
