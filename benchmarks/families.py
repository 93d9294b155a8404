"""Every estimator family on every shipped table, per search seed, at the library's defaults.

    python benchmarks/families.py [TABLE ...] [--seeds 0 1 2] [--few-shot-study]

TABLE is a shipped table's name or a table file (default: every shipped table). For each table
and search seed ``s``, every family scores every architecture of the space:

- the floors: random search (a random order) and the parameter count;
- the zero-cost proxies at initialisation (``nasedu.zero_cost``: synflow, snip, grad_norm,
  NASWOT; one minibatch, three initialisations);
- one-shot weight sharing (``WeightSharing``), few-shot weight sharing at the same training
  budget (``FewShot``) and first-order DARTS at the same epoch-equivalents with every op's
  compute counted (``Darts``), all at the library's default budget (``SupernetConfig``: 0.4%
  of exhaustive training, at least 10 epochs per op of a layer, at most 2.8% in all);
- early stopping and the combined search as ``compare`` runs them (replaying table seed ``s``;
  the combined search reuses the one-shot supernet of this seed);
- the noise ceiling.

Every row of one seed is scored with ``bench.score(estimates, truth=...)`` on the two table
seeds other than ``s`` (early stopping and the ceiling read ``s``; the live estimators read
no seed, and are scored on the same truth so that rows compare). Printed per table and seed:
Kendall tau-b, top-10% precision, regret (accuracy points), cost as % of exhaustive training
(epoch-equivalents) and ``tau / ceiling``, where a row lands between random search (expected
tau 0) and the noise ceiling (1). Then few-shot against one-shot at equal cost, what DARTS'
architecture weights ended on (its argmax, and the softmax weight parameter-free ops hold,
against their uniform share), and the seconds ``nasedu.latency.space_latency`` takes on the
space (what ``bench build`` would add to record latency).

``--few-shot-study`` runs only one-shot and few-shot, at equal cost (the defaults) and at the
few-shot paper's cost ratio: a warm-up of one-shot's whole budget, then each of the ``k``
sub-supernets half of it, ``(2 + k) / 2`` times one-shot's training (``FewShot`` with that
budget and its default warm-up ratio is exactly that schedule), against one-shot given the
same larger budget. A diagnostic of why few-shot wins or loses, not a default.

Runtime, one thread on a 2-core machine shared with other work: convpool 31 s, five-op 7 min,
three-op 7 min (15 minutes for the three tables, a minute or so of each the latency
measurement); ``five-op three-op --few-shot-study`` 10 minutes.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from nasedu.bench import SHIPPED, load
from nasedu.baselines import RandomScores
from nasedu.compare import CompareConfig
from nasedu.darts import Darts, DartsConfig
from nasedu.estimates import Estimates
from nasedu.estimators import Combined, WeightSharing
from nasedu.few_shot import FewShot
from nasedu.latency import space_latency
from nasedu.protocol import protocol_data
from nasedu.proxies import ParameterCount
from nasedu.sharing import SupernetConfig, exhaustive_epochs
from nasedu.space import OPS
from nasedu.zero_cost import INITIALISATION_PROXIES

THREADS = 1  # the tables' protocol


def run_families(bench, data, seed: int) -> tuple[dict[str, Estimates], Darts]:
    """Every family's estimates of every architecture for search seed ``seed``."""
    archs, channels = bench.archs, bench.protocol.train.channels
    supernet = SupernetConfig(channels=channels, reference_epochs=bench.protocol.train.epochs)
    found = {"random search": RandomScores(seed).estimate(archs),
             "parameter count": ParameterCount(channels=channels).estimate(archs)}
    for proxy in INITIALISATION_PROXIES:
        found[proxy.name] = proxy(data, channels=channels, seed=seed).estimate(archs)
    found["one-shot weight sharing"] = WeightSharing(bench.space, data, supernet,
                                                     seed=seed).estimate(archs)
    found["few-shot weight sharing"] = FewShot(bench.space, data, supernet,
                                               seed=seed).estimate(archs)
    darts = Darts(bench.space, data, DartsConfig(channels=channels,
                                                 reference_epochs=bench.protocol.train.epochs),
                  seed=seed)
    found["DARTS (first order)"] = darts.estimate(archs)
    as_compare = CompareConfig(seed=seed)  # early stopping and combined as compare runs them
    found["early stopping"] = as_compare.early_stopping(bench).estimate(archs)
    found["combined"] = Combined(found["one-shot weight sharing"],  # reuses the supernet
                                 as_compare.early_stopping(bench),
                                 as_compare.top_fraction).estimate(archs)
    return found, darts


def seed_rows(bench, data, seed: int) -> tuple[dict[str, tuple], Darts]:
    """(tau, top-10% precision, regret, % of exhaustive epochs) per row, ceiling last."""
    truth = [s for s in bench.seeds if s != seed]
    exhaustive = bench.exhaustive_cost().epochs
    found, darts = run_families(bench, data, seed)
    rows = {}
    for name, estimates in found.items():
        score = bench.score(estimates, truth=truth)
        rows[name] = (score.kendall_tau, score.top_precision, score.regret,
                      100 * estimates.cost.epochs / exhaustive)
    ceiling = bench.noise_ceiling(truth=truth)
    rows["noise ceiling"] = (ceiling.kendall_tau, ceiling.top_precision, ceiling.regret, 100.0)
    return rows, darts


def few_shot_study(bench, data, seed: int) -> dict[str, tuple]:
    """One-shot and few-shot at equal cost and at the paper's cost ratio, scored as above."""
    truth = [s for s in bench.seeds if s != seed]
    exhaustive = bench.exhaustive_cost().epochs
    paper = (2 + len(bench.space.ops)) / 2  # warm-up of one budget, then k halves
    width, epochs = bench.protocol.train.channels, bench.protocol.train.epochs
    default = SupernetConfig(channels=width, reference_epochs=epochs)
    share = default.training_epochs(bench.archs, data) / exhaustive_epochs(
        len(bench.archs), data, epochs)  # one-shot's default budget as a share

    def config(times: float) -> SupernetConfig:
        return SupernetConfig(budget=times * share, channels=width, reference_epochs=epochs)

    rows = {}
    for label, times in (("equal cost", 1.0), (f"{paper:g} x budget", paper)):
        for name, family in (("one-shot", WeightSharing), ("few-shot", FewShot)):
            estimates = family(bench.space, data, config(times), seed=seed).estimate(bench.archs)
            score = bench.score(estimates, truth=truth)
            rows[f"{name}, {label}"] = (score.kendall_tau, score.top_precision, score.regret,
                                        100 * estimates.cost.epochs / exhaustive)
    ceiling = bench.noise_ceiling(truth=truth)
    rows["noise ceiling"] = (ceiling.kendall_tau, ceiling.top_precision, ceiling.regret, 100.0)
    return rows


def darts_lines(bench, darts: Darts, truth: list[int]) -> list[str]:
    """Where DARTS' architecture weights ended: argmax, and the weight on parameter-free ops."""
    final = darts.history_[-1][1]  # (layers, ops) softmax weights
    free = [i for i, op in enumerate(bench.space.ops) if not OPS[op].has_weights]
    mass = final[:, free].sum(axis=1)
    uniform = len(free) / len(bench.space.ops)
    winners = sum(not OPS[bench.space.ops[i]].has_weights for i in final.argmax(axis=1))
    true, best = 100 * bench.final(darts.argmax_, truth), 100 * bench.finals(truth).max()
    return [f"    DARTS argmax {darts.argmax_.arrow()} (true {true:.2f}%, best {best:.2f}% on "
            f"seeds {truth}); parameter-free ops win {winners} of {bench.space.num_layers} "
            f"layers, their weight per layer {' / '.join(f'{m:.2f}' for m in mass)} (uniform "
            f"{uniform:.2f}); {len(darts.history_) - 1} steps"]


def report(table: str, per_seed: dict[int, dict]) -> list[str]:
    header = (f"  {'family':<28} {'tau':>6} {'top10%':>6} {'regret':>6} {'% epochs':>8} "
              f"{'tau/ceiling':>11}")
    lines = [f"table {table}"]
    for seed, rows in per_seed.items():
        lines += [f" search seed {seed} (scored on the other seeds)", header]
        ceiling = rows["noise ceiling"][0]
        for name, (tau, top, regret, cost) in rows.items():
            lines.append(f"  {name:<28} {tau:>6.3f} {top:>6.3f} {regret:>6.2f} {cost:>7.2f}% "
                         f"{tau / ceiling:>11.2f}")
    names = list(next(iter(per_seed.values())))
    lines.append(f" per seed {sorted(per_seed)}: tau / top-10% precision / regret / % epochs")
    for name in names:
        values = np.array([per_seed[s][name] for s in per_seed])
        lines.append(f"  {name:<28} " + "   ".join(
            " / ".join(f"{v:.3f}" if i < 2 else f"{v:.2f}" for v in values[:, i])
            for i in range(4)))
    return lines


def few_shot_verdict(per_seed: dict[int, dict]) -> list[str]:
    few, one = "few-shot weight sharing", "one-shot weight sharing"
    wins = {s: rows[few][0] >= rows[one][0] for s, rows in per_seed.items()}
    cells = "  ".join(f"seed {s}: {rows[few][0]:.3f} vs {rows[one][0]:.3f} at "
                      f"{rows[few][3]:.2f}% vs {rows[one][3]:.2f}%" for s, rows in per_seed.items())
    needed = max(1, round(2 * len(wins) / 3))  # 2 of 3 seeds
    verdict = "met" if sum(wins.values()) >= needed else "NOT met"
    return [f" few-shot tau >= one-shot tau at equal cost on >= {needed} of {len(wins)} seeds: "
            f"{verdict}", f"    {cells}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", nargs="*", default=sorted(SHIPPED),
                        help="shipped table names or table files")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--few-shot-study", action="store_true",
                        help="only one-shot and few-shot, at equal cost and the paper's ratio")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    for table in args.tables:
        started = time.perf_counter()
        bench = load(table)
        data = protocol_data(bench.protocol)
        if args.few_shot_study:
            per_seed = {seed: few_shot_study(bench, data, seed) for seed in args.seeds}
            print("\n".join(report(table, per_seed)))
            print(f" ({time.perf_counter() - started:.0f} s)\n", flush=True)
            continue
        per_seed, darts_notes = {}, []
        for seed in args.seeds:
            per_seed[seed], darts = seed_rows(bench, data, seed)
            truth = [s for s in bench.seeds if s != seed]
            darts_notes += [f"   seed {seed}:"] + darts_lines(bench, darts, truth)
        lines = report(table, per_seed) + few_shot_verdict(per_seed)
        lines += [" DARTS' architecture weights at the end"] + darts_notes
        measured = time.perf_counter()
        space_latency(bench.space, bench.input_shape,
                      channels=bench.protocol.train.channels)
        lines.append(f" latency of every architecture (batch 1 and 64, median of 20, one "
                     f"thread): {time.perf_counter() - measured:.0f} s")
        print("\n".join(lines))
        print(f" ({time.perf_counter() - started:.0f} s)\n", flush=True)


if __name__ == "__main__":
    main()
