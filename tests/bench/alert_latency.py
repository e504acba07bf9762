"""Alert latency under load: from a triggering event being published to the webhook being
received, with the pipeline running live at a steady rate. A script, not a test:

    .venv/bin/python tests/bench/alert_latency.py [--rate 500] [--seconds 60]

Starts its own broker in a temporary PULSE_HOME, loads 200 accounts with five weeks of
ordinary history, starts `pulse run` with a local webhook receiver, then publishes `rate`
events/s (background traffic from networks no account owns, which the pipeline still
decodes, attributes, scores and lands) and every few seconds a buying group of six people
landing on pricing pages for a fresh account. Each spike alert names the event time of the
reading that raised it, so its latency is receive time minus that event's publish time.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kafka import KafkaProducer  # noqa: E402

from services.runtime.local_kafka import LocalKafka, free_port  # noqa: E402
from streams.settings import Settings  # noqa: E402

PULSE = str(Path(sys.executable).parent / "pulse")
SECRET = "whsec_" + base64.b64encode(b"latency-benchmark-signing-key-32").decode()
N_ACCOUNTS = 200


def visit(i: str, account: int | None, ts: datetime, person: str, path: str,
          rng: random.Random) -> dict[str, Any]:
    ip = (f"10.{account // 250}.{account % 250}.{rng.randrange(1, 250)}" if account is not None
          else f"203.0.{rng.randrange(113, 114)}.{rng.randrange(1, 250)}")
    return {"event_id": i, "type": "web_visit", "ts": ts.isoformat(timespec="milliseconds"),
            "ip": ip, "url": f"https://vendor.example{path}",
            "user_agent": "Mozilla/5.0 (X11) Firefox/133", "anonymous_id": person}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=500, help="events per second, all told")
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--every", type=float, default=3.0, help="seconds between buying groups")
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="pulse-latency-"))
    received: list[tuple[float, dict[str, Any]]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append((time.time(), json.loads(body)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "PULSE_HOME": str(home),
           "PULSE_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
           "PULSE_ALERT_DESTINATIONS": json.dumps([{
               "name": "bench", "url": f"http://127.0.0.1:{server.server_address[1]}/h",
               "secret": SECRET}]),
           "PULSE_ALERT_ALLOW_NETWORKS": "127.0.0.0/8"}
    broker = LocalKafka(Settings(home=home, kafka_bootstrap=env["PULSE_KAFKA_BOOTSTRAP"]))
    broker.start()
    rng = random.Random(11)
    try:
        def pulse(*a: str) -> str:
            return subprocess.run([PULSE, *a], env=env, text=True, capture_output=True,
                                  check=True).stdout

        pulse("up")
        (home / "accounts.csv").write_text("account_id,name,domains,ip_ranges,tier\n" + "".join(
            f"a{k},Account {k},a{k}.example,10.{k // 250}.{k % 250}.0/24,{k % 3 + 1}\n"
            for k in range(N_ACCOUNTS)))
        pulse("accounts", "load", str(home / "accounts.csv"))
        now = datetime.now(UTC)
        start = (now - timedelta(days=35)).replace(minute=0, second=0, microsecond=0)
        with open(home / "history.jsonl", "w") as fh:
            for h in range(35 * 24):
                at = start + timedelta(hours=h)
                if at.weekday() >= 5 or not 8 <= at.hour < 18:
                    continue
                for k in range(N_ACCOUNTS):
                    if rng.random() < 0.6:
                        fh.write(json.dumps(visit(f"h{h}-{k}", k, at + timedelta(
                            minutes=rng.randrange(60)), f"a{k}-p{rng.randrange(10)}",
                            rng.choice(["/blog/x", "/product", "/docs"]), rng)) + "\n")
        pulse("publish", str(home / "history.jsonl"))
        t = time.perf_counter()
        print("history:", pulse("run", "--drain").strip(), f"({time.perf_counter() - t:.0f} s)")

        worker = subprocess.Popen([PULSE, "run"], env=env, text=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(12)  # joined the group, reference data read
        producer = KafkaProducer(bootstrap_servers=env["PULSE_KAFKA_BOOTSTRAP"], linger_ms=5)
        published: dict[tuple[str, str], float] = {}  # (account, event time) -> publish time
        groups, sent, t0 = 0, 0, time.time()
        next_group = t0 + 2
        queue: list[tuple[str, dict[str, Any]]] = []
        while time.time() - t0 < args.seconds:
            tick = time.time()
            if tick >= next_group and groups < N_ACCOUNTS:
                k = groups
                base = datetime.now(UTC)
                queue += [(f"a{k}", visit(f"g{k}-{i}", k, base + timedelta(milliseconds=40 * i),
                                          f"a{k}-buyer{i % 6}", "/pricing", rng))
                          for i in range(18)]
                groups += 1
                next_group += args.every
            due = int(args.rate * (tick - t0)) - sent  # keep to the rate, whatever the overhead
            for _ in range(max(0, due)):
                if queue and datetime.fromisoformat(queue[0][1]["ts"]) <= datetime.now(UTC):
                    account, e = queue.pop(0)
                    published[(account, e["ts"])] = time.time()
                else:
                    account, e = "", visit(f"b{sent}", None, datetime.now(UTC),
                                           f"v{rng.randrange(100000)}", "/blog/x", rng)
                producer.send("web_visits", key=e["event_id"].encode(),
                              value=json.dumps(e).encode())
                sent += 1
            time.sleep(max(0.0, 0.01 - (time.time() - tick)))
        producer.flush()
        elapsed = time.time() - t0
        time.sleep(10)
        worker.terminate()
        worker.wait(60)
    finally:
        broker.stop()
        server.shutdown()
    latencies = []
    for at, alert in received:
        if alert["kind"] != "spike":
            continue
        ts = datetime.fromisoformat(alert["detected_at"]).isoformat(timespec="milliseconds")
        key = (alert["account_id"], ts)
        if key in published:
            latencies.append(at - published[key])
    latencies.sort()
    kinds: dict[str, int] = {}
    for _, a in received:
        kinds[a["kind"]] = kinds.get(a["kind"], 0) + 1
    print(f"published {sent:,} events in {elapsed:.0f} s ({sent / elapsed:,.0f}/s), "
          f"{groups} buying groups; webhooks received: {kinds}")
    if latencies:
        def pct(p: float) -> float:
            return latencies[min(len(latencies) - 1, int(p * len(latencies)))]
        print(f"publish -> webhook latency of {len(latencies)} spike alerts: median "
              f"{pct(0.5):.2f} s, p95 {pct(0.95):.2f} s, p99 {pct(0.99):.2f} s, "
              f"max {latencies[-1]:.2f} s")
    else:
        print("no spike alert matched a published trigger")


if __name__ == "__main__":
    main()
