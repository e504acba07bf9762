"""`pulse influence` and `pulse backtest` at 100,000 accounts, 10,000,000 events over a year
and 50,000 opportunities (embedded ClickHouse): a script that prints numbers, not a timed
test:

    .venv/bin/python tests/bench/revenue_bench.py [--accounts 100000] [--events 10000000]
        [--opportunities 50000] [--alerts 5000] [--runs 3] [--models w_shaped,linear]

It fills a fresh chDB with generated accounts (CRM ids), contacts, events (70% attributed,
skewed across accounts, 2% machines), opportunities and alerts, then times each model's
influence (the query files and the split, as the command runs them) and the backtest, and
prints the median of ``runs`` with the split between reading and computing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


from services.revenue import influence, reports  # noqa: E402
from services.revenue.influence import MODELS, Weights  # noqa: E402
from services.warehouse import DirectWarehouse  # noqa: E402
from tests.bench.generated import fill_events, fresh_warehouse  # noqa: E402


def fill(client, accounts: int, events: int, opportunities: int, alerts: int) -> None:
    client.command(f"""INSERT INTO abm.accounts (account_id, name, domains, tier, crm_ids)
        SELECT concat('acc-', toString(number)), concat('Company ', toString(number)),
        [concat('company', toString(number), '.example')], toString(1 + number % 3),
        [concat('sf-', toString(number))] FROM numbers({accounts})""")
    client.command("""INSERT INTO abm.contacts (email, account_id, person_key)
        SELECT concat('c', toString(number), '@x.example'), 'acc-0',
        concat('p-', toString(number * 40)) FROM numbers(50000)""")
    fill_events(client, accounts, events, days=365, web_campaigns=False)
    client.command(f"""INSERT INTO abm.opportunities (opportunity_id, account_id, match_method,
        name, stage, amount, currency, created_at, close_date, is_closed, is_won, source,
        updated_at)
        SELECT concat('opp-', toString(number)),
        if(number % 50 = 0, '', concat('acc-', toString(toUInt32(
            pow(rand(11) / 4294967295., 2) * {accounts})))) AS account_id,
        if(account_id = '', '', 'crm_id'), concat('Deal ', toString(number)), 'Open',
        toDecimal64(1000 + rand(12) % 200000, 2), 'USD',
        now64(3) - toIntervalMillisecond(rand64(13) % (365 * 86400000)) AS created,
        if(number % 3 = 0, toDate(created) + rand(14) % 60, NULL), number % 3 = 0,
        number % 6 = 0, 'pulse', created
        FROM numbers({opportunities})""")
    client.command(f"""INSERT INTO abm.surge_alerts (alert_id, account_id, account_name, tier,
        kind, mode, detected_at, score, reason)
        SELECT concat('al-', toString(number)), concat('acc-', toString(number * 7 % {accounts})),
        'Company', '1', ['surge', 'spike', 'cooling'][1 + number % 3],
        ['daily', 'spike', 'cooling'][1 + number % 3],
        now64(3) - toIntervalMinute(rand(15) % (365 * 1440)), 80, 'people'
        FROM numbers({alerts})""")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--accounts", type=int, default=100_000)
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--opportunities", type=int, default=50_000)
    p.add_argument("--alerts", type=int, default=5_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--models", default=",".join(MODELS))
    args = p.parse_args()
    settings, client = fresh_warehouse("revenue-bench-")
    t0 = time.perf_counter()
    fill(client, args.accounts, args.events, args.opportunities, args.alerts)
    client.command("OPTIMIZE TABLE abm.events FINAL")
    print(f"filled in {time.perf_counter() - t0:.0f}s", file=sys.stderr)
    client.close()
    wh = DirectWarehouse(settings)
    read = wh.query_params
    everything = (datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))
    out: dict[str, object] = {"accounts": args.accounts, "events": args.events,
                              "opportunities": args.opportunities, "alerts": args.alerts}
    w = Weights()
    for model in args.models.split(","):
        reading, splitting = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            opps, touches = reports.influence_inputs(read, *everything, 90)
            t1 = time.perf_counter()
            r = influence.report(opps, touches, model, "channel", 90, w, presorted=True)
            t2 = time.perf_counter()
            reading.append(t1 - t)
            splitting.append(t2 - t1)
        total = [a + b for a, b in zip(reading, splitting, strict=True)]
        out[model] = {"median_s": round(statistics.median(total), 2),
                      "read_s": round(statistics.median(reading), 2),
                      "split_s": round(statistics.median(splitting), 2),
                      "touches": len(touches), "influenced": r.influenced_opportunities}
        print(f"influence {model:<10} median {statistics.median(total):6.2f}s "
              f"(read {statistics.median(reading):.2f}s, split "
              f"{statistics.median(splitting):.2f}s; {len(touches):,} touches)", flush=True)
    times = []
    today = datetime.now(UTC).date()
    for _ in range(args.runs):
        t = time.perf_counter()
        result = reports.backtest_from_warehouse(read, today - timedelta(days=365),
                                                 today + timedelta(days=1), 90)
        times.append(time.perf_counter() - t)
    out["backtest"] = {"median_s": round(statistics.median(times), 2), "units": result.units,
                       "alerts": result.alerts}
    print(f"backtest             median {statistics.median(times):6.2f}s "
          f"({result.units:,} account-days, {result.alerts:,} alerts)", flush=True)
    print(json.dumps(out))
    wh.close()


if __name__ == "__main__":
    main()
