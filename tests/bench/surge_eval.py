"""Surge detection quality on simulated traffic: precision, recall and detection delay
per mode, plus which decoys raised alerts.

    .venv/bin/python tests/bench/surge_eval.py [--accounts 500] [--days 90] [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from streams.surge.detection import detect_all  # noqa: E402
from tests.support.surge_sim import START, WARMUP_DAYS, score_alerts, simulate  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--accounts", type=int, default=500)
    p.add_argument("--days", type=int, default=90)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    t0 = time.perf_counter()
    sim = simulate(args.accounts, args.days, args.seed)
    touches = list(sim.touches())
    t1 = time.perf_counter()
    alerts = detect_all(touches, sim.accounts, alert_from=START + WARMUP_DAYS * 86400)
    t2 = time.perf_counter()
    print(f"simulated {len(sim.accounts)} accounts x {sim.days} days: {len(sim.events):,} events "
          f"({len(touches):,} human), {len(sim.labels)} labelled episodes "
          f"({dict(Counter(lb.shape for lb in sim.labels))}) in {t1 - t0:.1f} s")
    print(f"detection: {len(alerts)} alerts in {t2 - t1:.1f} s "
          f"({(t2 - t1) / len(touches) * 1e6:.1f} us per touch, both modes)")
    rows = [(a.surge.account_id, a.surge.mode, a.kind, a.detected_at) for a in alerts]
    print(f"{'mode':8} {'alerts':>6} {'precision':>9} {'labelled':>8} {'recall':>7} "
          f"{'median delay':>13}")
    for q in score_alerts(sim, rows):
        delay = q.median_delay_s
        shown = "-" if delay != delay else (f"{delay / 3600:.1f} h" if delay < 86400 * 2
                                            else f"{delay / 86400:.1f} d")
        print(f"{q.mode:8} {q.alerts:6} {q.precision:9.3f} {q.labelled:8} {q.recall:7.3f} "
              f"{shown:>13}")
    by_shape: dict[str, list[float]] = {}
    for lb in sim.labels:
        hits = [at for a, m, kind, at in rows if a == lb.account_id and m == lb.mode
                and kind != "escalation" and at >= lb.start]
        if hits:
            by_shape.setdefault(lb.shape, []).append((min(hits) - lb.start) / 3600)
    print("median delay by shape:", ", ".join(
        f"{shape} {sorted(d)[len(d) // 2]:.1f} h" for shape, d in sorted(by_shape.items())))
    labelled = {lb.account_id for lb in sim.labels}
    false = Counter(sim.decoys.get(a, "plain/customer") for a, *_ in rows if a not in labelled)
    print("alerts on accounts with nothing labelled, by decoy:", dict(false) or "none")


if __name__ == "__main__":
    main()
