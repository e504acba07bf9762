"""Server time of every web page on 100,000 accounts and 10,000,000 events (embedded
ClickHouse), or on the demo's data, a script that prints numbers, not a timed test:

    .venv/bin/python tests/bench/web_bench.py [--accounts 100000] [--events 10000000] [--runs 40]
        [--concurrency 20] [--demo]

It fills a fresh chDB with generated accounts, events over 90 days (70% attributed, Zipf-like
skew across accounts), alerts, deliveries and dead letters, refreshes the roll-ups (timed),
then serves the app on loopback and requests each page ``runs`` times; the server time is
the app's own Server-Timing header (the handler, queries and rendering), and the wall time
of the request is printed beside it. ClickHouse's scheduled refreshes keep running meanwhile,
as they do in production. ``--demo`` runs ``pulse demo`` (its own broker) and serves its
data instead; ``--demo-home DIR`` serves a demo made before. ``--concurrency N``: N clients
request each page at once, each ``runs`` times
(keep-alive connections, as browsers hold them), and the percentiles are of all requests.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


from services.runtime.local_kafka import LocalKafka, free_port  # noqa: E402
from services.warehouse import DirectWarehouse  # noqa: E402
from services.web.auth import access_for  # noqa: E402
from services.web.server import ROLLUP_VIEWS, refresh_rollups  # noqa: E402
from streams.settings import Settings  # noqa: E402
from tests.bench.generated import fill_events, fresh_warehouse  # noqa: E402

PULSE = str(Path(sys.executable).parent / "pulse")


def fill(client, accounts: int, events: int) -> None:
    client.command(f"""INSERT INTO abm.accounts (account_id, name, domains, tier, owner_email,
        customer) SELECT concat('acc-', toString(number)), concat('Company ', toString(number),
        ' Inc'), [concat('company', toString(number), '.example')], toString(1 + number % 3),
        concat('rep', toString(number % 20), '@seller.example'), number % 10 = 0
        FROM numbers({accounts})""")
    fill_events(client, accounts, events, days=90)
    client.command("""INSERT INTO abm.surge_alerts (alert_id, account_id, account_name, tier,
        kind, mode, detected_at, score, reason) SELECT concat('al-', toString(number)),
        concat('acc-', toString(number * 7)), concat('Company ', toString(number * 7), ' Inc'),
        toString(1 + number % 3), ['surge', 'spike', 'cooling'][1 + number % 3],
        ['daily', 'spike', 'cooling'][1 + number % 3],
        now64(3) - toIntervalMinute(number * 13), 80, 'people from the account'
        FROM numbers(5000)""")
    client.command("""INSERT INTO abm.alert_deliveries (alert_id, destination, status, attempts,
        http_status, error, first_attempt_at, finished_at) SELECT concat('al-', toString(number)),
        'slack', 'delivered', 1, 200, '', now64(3), now64(6) FROM numbers(5000)""")
    client.command("""INSERT INTO abm.dead_letters (topic, partition, offset, payload, error,
        received_at) SELECT 'web_visits', 0, number, '{bad', 'invalid JSON: at line 1',
        now64(3) - toIntervalSecond(number) FROM numbers(20000)""")


def generated(args: argparse.Namespace) -> tuple[Settings, dict[str, str]]:
    settings, client = fresh_warehouse("pulse-web-bench-")
    t = time.perf_counter()
    fill(client, args.accounts, args.events)
    print(f"filled {args.accounts:,} accounts, {args.events:,} events in "
          f"{time.perf_counter() - t:.0f}s")
    client.close()
    wh = DirectWarehouse(settings)
    t = time.perf_counter()
    refresh_rollups(wh)
    print(f"first roll-up refresh, merges of the fresh inserts running: "
          f"{time.perf_counter() - t:.1f}s")
    for view in ROLLUP_VIEWS:  # what each scheduled refresh costs from then on
        t = time.perf_counter()
        wh.command(f"SYSTEM REFRESH VIEW {view}")
        wh.command(f"SYSTEM WAIT VIEW {view}")
        print(f"  refresh {view}: {time.perf_counter() - t:.1f}s (one thread)")
    rows = wh.query("SELECT count() FROM abm.account_daily").rows[0][0]
    print(f"abm.account_daily rows: {rows:,}")
    top = wh.query("SELECT account_id FROM abm.account_daily GROUP BY account_id "
                   "ORDER BY sum(events) DESC LIMIT 1").rows[0][0]
    wh.close()
    return settings, {
        "/ (accounts, first page)": "/",
        "/?page=1000 (last pages)": "/?page=1000",
        "/?q=company12 (search)": "/?q=company12",
        "/?tier=2&status=surging": "/?tier=2&status=surging",
        f"/accounts/{top} (busiest)": f"/accounts/{top}",
        "/accounts/acc-54321 (typical)": "/accounts/acc-54321",
        "/alerts": "/alerts",
        "/alerts?kind=cooling&tier=1": "/alerts?kind=cooling&tier=1",
        "/pipeline": "/pipeline",
        "/program": "/program",
        "/ops": "/ops",
    }


def demo(made: str = "") -> tuple[Settings, dict[str, str]]:
    """``pulse demo`` in a temporary PULSE_HOME with a broker of its own (or ``made``)."""
    import tempfile

    pages = {p: p for p in ("/", "/?grade=A&stage=mqa", "/accounts/tark", "/accounts/initech",
                            "/alerts", "/pipeline", "/program", "/ops")}
    if made:
        return Settings(home=Path(made)), pages
    home = Path(tempfile.mkdtemp(prefix="pulse-web-bench-demo-"))
    settings = Settings(home=home / "home", kafka_bootstrap=f"127.0.0.1:{free_port()}")
    broker = LocalKafka(Settings(home=home / "broker", kafka_bootstrap=settings.kafka_bootstrap))
    broker.start(timeout=120)
    try:
        t = time.perf_counter()
        subprocess.run([PULSE, "demo"], check=True, capture_output=True, timeout=900, env={
            **os.environ, "PULSE_HOME": str(settings.home),
            "PULSE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap})
        print(f"pulse demo: {time.perf_counter() - t:.0f}s (PULSE_HOME {settings.home})")
    finally:
        broker.stop()
    return settings, pages


def clients(port: int, path: str, runs: int, n: int) -> tuple[list[float], list[float]]:
    """``n`` clients, each on its own keep-alive connection, request ``path`` ``runs``
    times at once; server and wall milliseconds of every request."""
    server_ms: list[float] = []
    wall_ms: list[float] = []
    start = threading.Barrier(n)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        start.wait()
        for _ in range(runs):
            t = time.perf_counter()
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            wall_ms.append((time.perf_counter() - t) * 1000)
            assert resp.status == 200, (path, resp.status)
            m = re.search(r"dur=([\d.]+)", resp.getheader("server-timing") or "")
            server_ms.append(float(m.group(1)) if m else float("nan"))
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return server_ms, wall_ms


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=40, help="requests per client and page")
    ap.add_argument("--concurrency", type=int, default=1, help="clients at once, per page")
    ap.add_argument("--demo", action="store_true", help="the demo's data (pulse demo)")
    ap.add_argument("--demo-home", default="", help="a demo's PULSE_HOME made before")
    ap.add_argument("--read-ttl", type=float, default=None,
                    help="PULSE_WEB_READ_TTL_SECONDS for this run (0: no shared reads)")
    args = ap.parse_args()
    settings, pages = (demo(args.demo_home) if args.demo or args.demo_home
                       else generated(args))

    import uvicorn

    from services.web.app import create_app
    from services.web.reads import SharedReads
    from services.web.server import WarehouseReader

    reader = WarehouseReader(settings)  # what `pulse serve` reads through
    ttl = args.read_ttl if args.read_ttl is not None else settings.web_read_ttl_seconds
    app = create_app(SharedReads(reader, ttl) if ttl else reader,
                     access_for(settings, "127.0.0.1"), "bench-secret")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    clients(port, "/", 2, 1)  # warm: templates compiled, sessions opened
    print(f"\n{'page':34} {'server p50':>11} {'p99':>7} {'wall p50':>9} {'p99':>7}  (ms, "
          f"{args.concurrency} client(s) x {args.runs} requests)")
    for label, path in pages.items():
        server_ms, wall_ms = clients(port, path, args.runs, args.concurrency)
        sq = statistics.quantiles(server_ms, n=100)
        wq = statistics.quantiles(wall_ms, n=100)
        print(f"{label:34} {statistics.median(server_ms):11.0f} {sq[98]:7.0f} "
              f"{statistics.median(wall_ms):9.0f} {wq[98]:7.0f}", flush=True)
    server.should_exit = True
    reader.close()


if __name__ == "__main__":
    main()
