"""``python -m nasedu compare`` repeated over search seeds: means and spreads.

    python benchmarks/compare_seeds.py [--seeds 0 1 2] [--supernet-budget 0.004]

Each search seed replays its own ground-truth seed and is scored on the others, so the spread
is over every choice of replayed seed. Every strategy runs, the equal-budget reruns included.
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from nasedu.compare import STRATEGIES, CompareConfig, compare

COLUMNS = ("fraction_epochs", "fraction_seconds", "kendall_tau", "spearman", "top_precision",
           "regret")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--supernet-budget", type=float, default=CompareConfig.supernet_budget,
                        help="supernet training as a share of exhaustive training "
                             "(default: the library's, 0.4%% but at least 10 epochs per op, "
                             "at most 2.8%% with evaluation)")
    parser.add_argument("--table", default="five-op", help="a shipped table or a table file")
    args = parser.parse_args()
    runs, seconds = {}, []
    for seed in args.seeds:
        started = time.perf_counter()
        rows = compare(CompareConfig(table=args.table, supernet_budget=args.supernet_budget,
                                     seed=seed), STRATEGIES)
        seconds.append(time.perf_counter() - started)
        for row in rows:
            runs.setdefault(row.strategy, []).append([getattr(row, c) for c in COLUMNS])
    print(f"compare over seeds {args.seeds}: {np.mean(seconds):.0f} s per run on average")
    print(f"{'strategy':<40} " + " ".join(f"{c.replace('_', ' '):>17}" for c in COLUMNS))
    for strategy, values in runs.items():
        values = np.array(values, dtype=float)
        values[:, :2] *= 100  # fractions as percentages
        cells = [f"{m:8.3f} ± {s:<6.3f}" for m, s in zip(values.mean(0), values.std(0))]
        print(f"{strategy:<40} " + " ".join(f"{c:>17}" for c in cells))


if __name__ == "__main__":
    main()
