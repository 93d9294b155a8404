"""Every strategy at the library's defaults, on every table and search seed, against the targets.

    python benchmarks/defaults.py [TABLE ...] [--seeds 0 1 2]

TABLE is a shipped table's name or a table file (default: every shipped table). For each
table and search seed, ``compare`` runs weight sharing, early stopping and the combined search
at their defaults (``CompareConfig()``, equal to the library's class defaults), then weight
sharing and early stopping rerun at the combined search's cost; the zero-cost proxies and the
noise ceiling join them. Every row of one seed is scored on one truth, the seeds no row read
(the search seed is replayed, so the other two). Printed per table: each seed's rows (Kendall
tau-b, top-10% precision, regret in accuracy points, cost as % of exhaustive training in
epoch-equivalents), the mean ± spread over seeds, and one line per target with met / not met
for each seed.

Runtime, one thread per process on a 2-core machine shared with other work: about 1 min for
convpool, 7 for three-op, 12 for five-op; most of it is weight sharing rerun at the combined
search's cost (a supernet trained several times longer than the default one).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from nasedu.bench import SHIPPED, load
from nasedu.compare import EQUAL_BUDGET, CompareConfig, compare
from nasedu.protocol import protocol_data
from nasedu.sharing import MAX_DEFAULT_SHARE, MIN_EPOCHS_PER_OP, SUPERNET_BUDGET
from nasedu.proxies import ZERO_COST_PROXIES

THREADS = 1  # the tables' protocol
STRATEGIES = ("weight sharing", "early stopping", "combined", *EQUAL_BUDGET)
SHARING_COST, STOPPING_COST = 0.03, 0.25  # the cost limits, shares of exhaustive


def seed_rows(table: str, seed: int) -> dict[str, tuple[float, float, float, float]]:
    """(tau, top-10% precision, regret, % of exhaustive epochs) of every row for one seed."""
    rows = compare(CompareConfig(table=table, seed=seed, timing_runs=1), STRATEGIES)
    bench = load(table)
    truth = [int(s) for s in rows[-1].truth_seeds.split()]
    in_channels, image_size, _ = protocol_data(bench.protocol).input_shape  # the table's data
    shape = {"in_channels": in_channels, "image_size": image_size,
             "channels": bench.protocol.train.channels}
    results = {}
    for proxy in ZERO_COST_PROXIES:
        score = bench.score(proxy(**shape).estimate(bench.archs), truth=truth)
        results[proxy.name] = (score.kendall_tau, score.top_precision, score.regret, 0.0)
    for row in rows:
        name = "noise ceiling" if row.strategy.startswith("noise ceiling") else row.strategy
        results[name] = (row.kendall_tau, row.top_precision, row.regret,
                         100 * row.fraction_epochs)
    return results


def targets(per_seed: dict[int, dict]) -> list[str]:
    """One line per target of the issue, met or not for each seed."""
    seeds = sorted(per_seed)
    lines = []

    def verdict(name: str, checks: dict[int, bool], detail: dict[int, str]) -> None:
        cells = "  ".join(f"seed {s}: {'met' if checks[s] else 'NOT met'} ({detail[s]})"
                          for s in seeds)
        lines.append(f"  {name}\n    {cells}")

    proxy = {s: max(per_seed[s][p.name][0] for p in ZERO_COST_PROXIES) for s in seeds}
    ceiling = {s: per_seed[s]["noise ceiling"][0] for s in seeds}
    sharing = {s: per_seed[s]["weight sharing"] for s in seeds}
    verdict("weight sharing: tau >= 0.9 x ceiling and >= best proxy + 0.05, cost <= 3%",
            {s: sharing[s][0] >= 0.9 * ceiling[s] and sharing[s][0] >= proxy[s] + 0.05
             and sharing[s][3] <= 100 * SHARING_COST for s in seeds},
            {s: f"tau {sharing[s][0]:.3f} vs {0.9 * ceiling[s]:.3f} and "
                f"{proxy[s] + 0.05:.3f}, {sharing[s][3]:.2f}%" for s in seeds})
    stopping = {s: per_seed[s]["early stopping"] for s in seeds}
    verdict("early stopping: tau >= best proxy + 0.05, cost <= 25%",
            {s: stopping[s][0] >= proxy[s] + 0.05 and stopping[s][3] <= 100 * STOPPING_COST
             for s in seeds},
            {s: f"tau {stopping[s][0]:.3f} vs {proxy[s] + 0.05:.3f}, {stopping[s][3]:.1f}%"
             for s in seeds})
    combined = {s: per_seed[s]["combined"] for s in seeds}
    rivals = {s: [per_seed[s][name] for name in EQUAL_BUDGET] for s in seeds}
    verdict("combined: tau >= the better rerun at its cost - 0.01",
            {s: combined[s][0] >= max(r[0] for r in rivals[s]) - 0.01 for s in seeds},
            {s: f"{combined[s][0]:.3f} vs {max(r[0] for r in rivals[s]):.3f}" for s in seeds})
    verdict("combined: top-10% precision >= both reruns",
            {s: combined[s][1] >= max(r[1] for r in rivals[s]) for s in seeds},
            {s: f"{combined[s][1]:.3f} vs {' / '.join(f'{r[1]:.3f}' for r in rivals[s])}"
             for s in seeds})
    regret = {s: combined[s][2] <= min(r[2] for r in rivals[s]) for s in seeds}
    verdict(f"combined: regret <= both reruns (target: on at least 2 of {len(seeds)} seeds; "
            f"{'met' if sum(regret.values()) >= 2 else 'NOT met'})", regret,
            {s: f"{combined[s][2]:.2f} vs {' / '.join(f'{r[2]:.2f}' for r in rivals[s])}"
             for s in seeds})
    return lines


def report(table: str, per_seed: dict[int, dict]) -> str:
    names = list(next(iter(per_seed.values())))
    header = f"  {'strategy':<36} {'tau':>6} {'top10%':>6} {'regret':>6} {'% epochs':>8}"
    lines = [f"table {table}"]
    for seed, results in per_seed.items():
        truth = [s for s in load(table).seeds if s != seed]
        lines.append(f" search seed {seed} (every row scored on seeds {truth})")
        lines.append(header)
        for name in names:
            tau, top, regret, cost = results[name]
            lines.append(f"  {name:<36} {tau:>6.3f} {top:>6.3f} {regret:>6.2f} {cost:>7.2f}%")
    lines.append(f" mean ± spread over seeds {sorted(per_seed)}")
    for name in names:
        values = np.array([per_seed[s][name] for s in per_seed])
        mean, spread = values.mean(axis=0), values.std(axis=0)
        lines.append(f"  {name:<36} " + " ".join(
            f"{m:6.3f}±{s:.3f}" if i < 2 else f"{m:6.2f}±{s:.2f}"
            for i, (m, s) in enumerate(zip(mean, spread))))
    lines.append(" targets")
    return "\n".join(lines + targets(per_seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", nargs="*", default=sorted(SHIPPED),
                        help="shipped table names or table files")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    config = CompareConfig()
    print(f"defaults: supernet budget {SUPERNET_BUDGET:.2%} of exhaustive training but at "
          f"least {MIN_EPOCHS_PER_OP:g} epochs per op, at most {MAX_DEFAULT_SHARE:.1%} with "
          f"evaluation, at the table's learning rate; successive halving ({config.min_epochs}, "
          f"{config.reduction}) promoting and ranking by recent mean + log params + the ops' "
          f"prediction; combined shortlist {config.top_fraction:.0%}, the same with the "
          f"supernet score for log params")
    for table in args.tables:
        started = time.perf_counter()
        per_seed = {seed: seed_rows(table, seed) for seed in args.seeds}
        print(report(table, per_seed))
        print(f" ({time.perf_counter() - started:.0f} s)\n", flush=True)


if __name__ == "__main__":
    main()
