"""Targeting at 100,000 accounts (embedded ClickHouse): fit scoring, one live stage
evaluation, a stage replay, a control assignment, the lift and a 100,000-account audience
export. A script that prints numbers, not a timed test:

    .venv/bin/python tests/bench/targeting_bench.py [--accounts 100000]
        [--events 3000000] [--days 90] [--replay-days 7] [--runs 3]

It fills a fresh chDB with generated accounts (firmographics) and events (70% attributed,
skewed across accounts, 2% machines), then times each step as the commands run it and
prints the median of ``runs`` (one run for the replay and the assignment).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from services.targeting import audiences, experiment, fit, store  # noqa: E402
from services.targeting.lift import lift  # noqa: E402
from services.warehouse import DirectWarehouse  # noqa: E402
from streams.stages import rules as stage_rules  # noqa: E402
from streams.stages import store as stage_store  # noqa: E402
from tests.bench.generated import fill_events, fresh_warehouse  # noqa: E402


def fill(client, accounts: int, events: int, days: int) -> None:
    client.command(f"""INSERT INTO abm.accounts (account_id, name, domains, tier, industry,
        employees, annual_revenue, country, technologies, linkedin_url, city, region, zip)
        SELECT concat('acc-', toString(number)), concat('Company ', toString(number)),
        [concat('company', toString(number), '.example')], toString(1 + number % 3),
        ['Software', 'Retail', 'Manufacturing', 'Banking', 'Research'][1 + number % 5],
        [30, 250, 1200, 6000, 20000][1 + intDiv(number, 5) % 5],
        toDecimal64([2, 40, 300, 2000][1 + number % 4] * 1000000, 2),
        ['US', 'DE', 'GB', 'JP', 'BR'][1 + intDiv(number, 3) % 5],
        if(number % 4 = 0, ['Salesforce'], []),
        if(number % 3 = 0, '', concat('https://www.linkedin.com/company/c', toString(number))),
        'Springfield', 'IL', '62701'
        FROM numbers({accounts})""")
    fill_events(client, accounts, events, days=days)


def median_of(runs: int, step) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=3_000_000)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--replay-days", type=int, default=7)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    settings, client = fresh_warehouse("pulse-targeting-bench-")
    t0 = time.perf_counter()
    fill(client, args.accounts, args.events, args.days)
    client.close()
    print(f"filled {args.accounts:,} accounts and {args.events:,} events in "
          f"{time.perf_counter() - t0:.1f}s", file=sys.stderr)
    wh = DirectWarehouse(settings)
    rules, stages = fit.load(), stage_rules.load()
    out: dict[str, object] = {"accounts": args.accounts, "events": args.events}

    out["fit_score_s"], grades = median_of(args.runs, lambda: store.score_accounts(wh, rules))
    out["grades"] = dict(sorted(grades.items()))  # type: ignore[union-attr]

    now = datetime.now(UTC)
    out["stage_evaluation_s"], ev = median_of(
        args.runs, lambda: stage_stage_evaluate(wh, stages, now))
    out["stage_changes"] = len(ev.changes)  # type: ignore[union-attr]
    moments = stage_store.day_ends((now - timedelta(days=args.replay_days)).date(),
                                   now.date() + timedelta(days=1), now)
    t0 = time.perf_counter()
    changes = stage_store.replay(wh.query_params, lambda t, c, rows: wh.insert(t, c, rows),
                                 wh.command, stages, moments)
    out["stage_replay_s"] = round(time.perf_counter() - t0, 2)
    out["stage_replay_days"] = len(moments)
    out["stage_replay_changes"] = len(changes)

    folder = Path(tempfile.mkdtemp(prefix="pulse-audience-"))

    def export() -> int:
        accounts = store.audience_accounts(wh.query_params, stages.version, [], [], False)
        for i, text in enumerate(audiences.files(accounts, "linkedin")):
            (folder / f"all-{i + 1}.csv").write_text(text, encoding="utf-8")
        return len(accounts)

    out["audience_export_s"], rows = median_of(args.runs, export)
    out["audience_rows"] = rows

    t0 = time.perf_counter()
    made, _ = experiment.assign(wh, lambda rows: None, 0.1, 7, ["tier", "grade"], "bench",
                                reassign=True)
    out["control_assign_s"] = round(time.perf_counter() - t0, 2)
    out["control_accounts"] = made.control

    def measure_lift() -> dict:
        outcomes, _ = experiment.outcomes(wh.query_params, stages.version,
                                          now - timedelta(days=args.days), now)
        return lift(outcomes, 7)

    out["lift_s"], _ = median_of(args.runs, measure_lift)
    for k, v in out.items():
        if k.endswith("_s") and isinstance(v, float):
            out[k] = round(v, 2)
    print(json.dumps(out, indent=2))


def stage_stage_evaluate(wh: DirectWarehouse, stages: stage_rules.StageRules, now: datetime):
    return stage_store.evaluate(wh.query_params, stages, now, {})


if __name__ == "__main__":
    main()
