"""Attribution accuracy on the labelled evaluation set. A script, not a test:

    .venv/bin/python tests/bench/attribution_eval.py [--show-wrong 20]

Prints precision and recall per method over tests/data/attribution (generated cases and
hand-written hard cases), and the non-human flags' precision and recall.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script

from tests.support.evaluation import DATA_DIR, attributor_for, read_cases, read_world, score


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--show-wrong", type=int, default=10)
    args = ap.parse_args()
    world = read_world()
    attributor = attributor_for(world)
    for name in ("generated_cases.jsonl", "hard_cases.jsonl", None):
        cases = (read_cases(DATA_DIR / name) if name else
                 read_cases(DATA_DIR / "generated_cases.jsonl")
                 + read_cases(DATA_DIR / "hard_cases.jsonl"))
        s = score(attributor, cases)
        print(f"\n{name or 'all cases'}: {len(cases):,} cases")
        print(f"{'method':14} {'expected':>9} {'predicted':>9} {'right':>7} "
              f"{'precision':>9} {'recall':>8}")
        for method, exp, pred, right, p, r in s.rows:
            print(f"{method:14} {exp:9,} {pred:9,} {right:7,} {p:9.2%} {r:8.2%}")
        print(f"{'overall':14} {'':9} {'':9} {'':7} {s.precision:9.2%} {s.recall:8.2%}")
        print(f"non-human flags: precision {s.non_human_precision:.2%}, "
              f"recall {s.non_human_recall:.2%}")
        for line in s.wrong[: args.show_wrong]:
            print(f"  wrong: {line}")


if __name__ == "__main__":
    main()
