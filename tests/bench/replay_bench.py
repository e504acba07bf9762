"""End-to-end wall time at volume, on the real broker and chDB. A script, not a test:

    .venv/bin/python tests/bench/replay_bench.py [--events 1000000]

Starts its own broker on free ports in a temporary PULSE_HOME, publishes N generated
events (2,000 accounts, mixed types, 2% resent duplicates), times `pulse run --drain`
(first processing) and `pulse replay --from` (re-processing everything), checks that
both leave the same counts, and prints the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script

from services.runtime.local_kafka import LocalKafka, free_port
from streams.settings import Settings
from tests.support.synthetic import synthetic_reference

PULSE = str(Path(sys.executable).parent / "pulse")


def generate(path: Path, n: int, accounts: list, rng: random.Random) -> int:
    start = datetime.now(UTC) - timedelta(days=20)
    lines = 0
    with open(path, "w") as fh:
        for i in range(n):
            acc = accounts[rng.randrange(len(accounts))]
            ts = (start + timedelta(seconds=i * 1.7)).isoformat()
            r = rng.random()
            if r < 0.7:
                ip = f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.7"
                e = {"event_id": f"b{i}", "type": "web_visit", "ts": ts, "ip": ip,
                     "url": f"https://vendor.example/{rng.choice(['', 'pricing', 'blog/x'])}",
                     "user_agent": "Mozilla/5.0 (X11) Firefox/133",
                     "anonymous_id": f"v{rng.randrange(200000)}"}
            elif r < 0.9:
                e = {"event_id": f"b{i}", "type": "email_open", "ts": ts,
                     "email": f"p{rng.randrange(50)}@{acc.domains[0]}", "campaign_id": "c"}
            else:
                e = {"event_id": f"b{i}", "type": "ad_click", "ts": ts,
                     "ip": f"{rng.randrange(1, 224)}.{rng.randrange(256)}.1.1",
                     "campaign_id": "c", "company_name": acc.name}
            line = json.dumps(e)
            fh.write(line + "\n")
            lines += 1
            if rng.random() < 0.02:
                fh.write(line + "\n")
                lines += 1
    return lines


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1_000_000)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="pulse-bench-"))
    env = {**os.environ, "PULSE_HOME": str(home),
           "PULSE_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}", "PULSE_INPUT_PARTITIONS": "4"}
    settings = Settings(home=home, kafka_bootstrap=env["PULSE_KAFKA_BOOTSTRAP"])
    broker = LocalKafka(settings)
    broker.start()
    try:
        def pulse(*a: str) -> tuple[float, str]:
            t = time.perf_counter()
            out = subprocess.run([PULSE, *a], env=env, text=True, capture_output=True,
                                 check=True).stdout
            return time.perf_counter() - t, out.strip()

        rng = random.Random(3)
        ref = synthetic_reference(2000, 4000)
        csv = home / "accounts.csv"
        csv.write_text("account_id,name,domains,ip_ranges,tier\n" + "".join(
            f'{a.account_id},"{a.name}",{";".join(a.domains)},,{a.tier}\n'
            for a in ref.accounts))
        pulse("up")
        pulse("accounts", "load", str(csv))
        t = time.perf_counter()
        n = generate(home / "events.jsonl", args.events, ref.accounts, rng)
        print(f"generated {n:,} lines in {time.perf_counter() - t:.0f}s")
        before = datetime.now(UTC) - timedelta(seconds=5)
        secs, out = pulse("publish", str(home / "events.jsonl"))
        print(f"publish: {secs:.0f}s ({n / secs:,.0f} records/s) - {out}")
        secs, out = pulse("run", "--drain")
        print(f"first run: {secs:.0f}s ({n / secs:,.0f} records/s) - {out}")
        first = pulse("query", "SELECT count(), sum(score) FROM abm.events FINAL",
                      "--format", "csv")[1]
        alerts_sql = ("SELECT arrayStringConcat(arraySort(groupArray(alert_id)), ';') AS ids "
                      "FROM abm.surge_alerts FINAL")
        first_alerts = pulse("query", alerts_sql, "--format", "csv")[1]
        secs, out = pulse("replay", "--from", before.isoformat())
        print(f"replay of everything: {secs:.0f}s ({n / secs:,.0f} records/s) - "
              f"{out.splitlines()[-1]}")
        second = pulse("query", "SELECT count(), sum(score) FROM abm.events FINAL",
                       "--format", "csv")[1]
        print(f"tables after the first run: {first.splitlines()[-1]}; after the replay: "
              f"{second.splitlines()[-1]} ({'identical' if first == second else 'DIFFERENT'})")
        second_alerts = pulse("query", alerts_sql, "--format", "csv")[1]
        ids = [a for a in first_alerts.splitlines()[-1].strip('"').split(";") if a]
        print(f"surge alerts after the first run: {len(ids)}; after the replay: "
              f"{'the same ids' if first_alerts == second_alerts else 'DIFFERENT ids'}")
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
