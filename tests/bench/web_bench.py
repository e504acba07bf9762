"""Server time of every web page on 100,000 accounts and 10,000,000 events (embedded
ClickHouse), a script that prints numbers, not a timed test:

    .venv/bin/python tests/bench/web_bench.py [--accounts 100000] [--events 10000000] [--runs 40]

It fills a fresh chDB with generated accounts, events over 90 days (70% attributed, Zipf-like
skew across accounts), alerts, deliveries and dead letters, refreshes the roll-ups (timed),
then serves the app on loopback and requests each page ``runs`` times; the server time is
the app's own Server-Timing header (the handler, queries and rendering), and the wall time
of the request is printed beside it. ClickHouse's scheduled refreshes keep running meanwhile,
as they do in production.
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


from services.warehouse import DirectWarehouse  # noqa: E402
from services.web.auth import access_for  # noqa: E402
from services.web.server import ROLLUP_VIEWS, refresh_rollups  # noqa: E402
from tests.bench.generated import fill_events, fresh_warehouse  # noqa: E402


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
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

    import uvicorn

    from services.web.app import create_app

    def reader(sql, parameters):
        r = wh.read(sql, parameters)
        return [dict(zip(r.columns, row, strict=True)) for row in r.rows]

    app = create_app(reader, access_for(settings, "127.0.0.1"), "bench-secret")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    top = wh.query("SELECT account_id FROM abm.account_daily GROUP BY account_id "
                   "ORDER BY sum(events) DESC LIMIT 1").rows[0][0]
    pages = {
        "/ (accounts, first page)": "/",
        "/?page=1000 (last pages)": "/?page=1000",
        "/?q=company12 (search)": "/?q=company12",
        "/?tier=2&status=surging": "/?tier=2&status=surging",
        f"/accounts/{top} (busiest)": f"/accounts/{top}",
        "/accounts/acc-54321 (typical)": "/accounts/acc-54321",
        "/alerts": "/alerts",
        "/alerts?kind=cooling&tier=1": "/alerts?kind=cooling&tier=1",
        "/ops": "/ops",
    }
    print(f"\n{'page':34} {'server median':>14} {'p99':>8} {'wall median':>12}  (ms, "
          f"{args.runs} requests each)")
    for label, path in pages.items():
        server_ms, wall_ms = [], []
        for _ in range(args.runs):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            t = time.perf_counter()
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            wall_ms.append((time.perf_counter() - t) * 1000)
            assert resp.status == 200, (path, resp.status)
            m = re.search(r"dur=([\d.]+)", resp.getheader("server-timing") or "")
            server_ms.append(float(m.group(1)) if m else float("nan"))
            conn.close()
        q = statistics.quantiles(server_ms, n=100)
        print(f"{label:34} {statistics.median(server_ms):14.0f} {q[98]:8.0f} "
              f"{statistics.median(wall_ms):12.0f}")
    server.should_exit = True


if __name__ == "__main__":
    main()
