"""Weight sharing against the shipped five-op ground truth, for each sampler and budget.

    python benchmarks/weight_sharing.py [--budgets 0.002 0.004 0.008] [--seeds 3] [--speed-only]

For each sampler and supernet budget (supernet training as a share of training every
architecture once; 0.004 is 50 epoch-equivalents on five-op), over supernet seeds:
Kendall tau-b and Spearman against the mean-of-seeds ground truth (whole space and within the
true top 10%), top-10% precision, regret of the supernet's top-1, and the whole cost as a
fraction of exhaustive full training, in epoch-equivalents and in wall seconds. The wall
seconds of exhaustive training are measured in this run: a sample of stand-alone trainings,
timed on the same thread count, scaled to the whole space. The zero-cost proxies and the noise
ceiling are printed beside them, and the speed-up of the prefix-tree evaluation over
evaluating candidates one by one is measured side by side.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from nasedu.bench import load
from nasedu.protocol import protocol_data
from nasedu.compare import measure_timing
from nasedu.estimators import WeightSharing
from nasedu.proxies import proxy_scores
from nasedu.sharing import SupernetConfig, evaluate_all, evaluate_one, recalibration_images, \
    train_supernet, tree_work_fraction

THREADS = 1  # the ground truth was timed with one thread per run
COLUMNS = ("tau", "rho", "top tau", "top prec", "regret", "epochs %", "seconds %")


def row(name: str, values: list[tuple[float, ...]]) -> str:
    means, spreads = np.mean(values, axis=0), np.std(values, axis=0)
    cells = [f"{m:6.3f}±{s:.3f}" if i < 4 else f"{m:6.2f}±{s:.2f}"
             for i, (m, s) in enumerate(zip(means, spreads))]
    return f"{name:<40} " + " ".join(f"{c:>13}" for c in cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=float, nargs="+", default=[0.002, 0.004, 0.008])
    parser.add_argument("--samplers", nargs="+", default=["uniform", "fair"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--sample", type=int, default=12, help="stand-alone runs to time")
    parser.add_argument("--speed-only", action="store_true",
                        help="only measure the tree's speed-up over one-by-one evaluation")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)

    bench = load("five-op")
    data = protocol_data(bench.protocol)
    if not args.speed_only:
        rank(bench, data, args)
    tree_speed_up(bench, data)


def rank(bench, data, args) -> None:
    """The ranking table: every sampler and budget, the ablations, the proxies, the ceiling."""
    exhaustive = measure_timing(bench, args.sample).exhaustive
    print(f"exhaustive full training of {len(bench.archs)} architectures (one seed, "
          f"{bench.protocol.train.epochs} epochs, {THREADS} thread): "
          f"{exhaustive.epochs:.0f} epoch-equivalents, {exhaustive.seconds:.0f} s "
          f"(timed on {args.sample} runs here)")
    print(f"{'estimator':<40} " + " ".join(f"{c:>13}" for c in COLUMNS))
    ceiling = bench.noise_ceiling()
    print(f"{'noise ceiling':<40} {ceiling.kendall_tau:>13.3f} {ceiling.spearman:>13.3f} "
          f"{ceiling.top_kendall_tau:>13.3f} {ceiling.top_precision:>13.3f} "
          f"{ceiling.regret:>13.2f}")
    for name, score in proxy_scores(bench).items():
        print(row(name, [(score.kendall_tau, score.spearman, score.top_kendall_tau,
                          score.top_precision, score.regret, 0.0, 0.0)]))
    channels = bench.protocol.train.channels
    configs = {f"{sampler}, budget {budget:.2%}": SupernetConfig(budget=budget, sampler=sampler,
                                                                 channels=channels)
               for sampler in args.samplers for budget in args.budgets}
    # Ablations of the defaults at the middle budget: score by accuracy, constant rate.
    middle = sorted(args.budgets)[len(args.budgets) // 2]
    for change in ({"score": "accuracy"}, {"schedule": "constant"},
                   {"score": "accuracy", "schedule": "constant"}):
        label = ", ".join(f"{value}" for value in change.values())
        configs[f"uniform, budget {middle:.2%}, {label}"] = SupernetConfig(
            budget=middle, channels=channels, **change)
    for name, config in configs.items():
        values = []
        for seed in range(args.seeds):
            estimates = WeightSharing(bench.space, data, config, seed=seed).estimate(bench.archs)
            score = bench.score(estimates)
            fraction = estimates.cost.fraction_of(exhaustive)
            values.append((score.kendall_tau, score.spearman, score.top_kendall_tau,
                           score.top_precision, score.regret, 100 * fraction.epochs,
                           100 * fraction.seconds))
        print(row(name, values), flush=True)


def tree_speed_up(bench, data) -> None:
    """Prefix tree against one by one, side by side on the same supernet and images."""
    supernet, _ = train_supernet(bench.space, data, epochs=5, seed=0)
    started = time.perf_counter()
    tree = evaluate_all(supernet, bench.archs, data)
    tree_seconds = time.perf_counter() - started
    images = recalibration_images(data, SupernetConfig().recalibration_size)
    started = time.perf_counter()
    one_by_one = {arch: evaluate_one(supernet, arch, data.x_val, images, data.y_val)
                  for arch in bench.archs}
    single_seconds = time.perf_counter() - started
    work = tree_work_fraction(supernet, bench.archs, bench.input_shape[1:])
    print(f"evaluating all {len(bench.archs)} candidates with BN recalibration: prefix tree "
          f"{tree_seconds:.2f} s, one by one {single_seconds:.2f} s, speed-up "
          f"{single_seconds / tree_seconds:.2f}x (same scores: {tree == one_by_one}; the tree "
          f"computes {work:.1%} of the multiply-accumulates)")


if __name__ == "__main__":
    main()
