"""Every strategy on one table: the course's main job, ``python -m nasedu compare``.

Each strategy searches the same space on the embedded default data and is scored against the
shipped ground truth on the seeds it never read: cost (epoch-equivalents, seconds, fraction of
exhaustive full training), Kendall tau-b, Spearman, top-10% precision, and the regret of the
architecture it would pick. The noise ceiling closes the table.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .bench import Bench, load, protocol_data, run_one
from .files import write_atomically
from .cost import Cost
from .data import Dataset
from .estimators import (Combined, EarlyStopping, Estimates, Estimator, ParameterCount,
                         WeightSharing)
from .pruning import SuccessiveHalving
from .sharing import SupernetConfig
from .space import Architecture
from .train import thread_count, train


@dataclass(frozen=True)
class CompareConfig:
    """The knobs of ``compare``; the defaults are the class budget."""

    space: str = "five-op"          # a shipped table's space
    supernet_epochs: float = 50.0   # weight sharing's training budget, epoch-equivalents
    sample: int = 16                # architectures trained fully by "full training (sample)"
    top_fraction: float = 0.1       # share of the supernet ranking the combined search keeps
    min_epochs: int = 1             # successive halving's first rung
    reduction: int = 3              # successive halving's reduction factor
    distinct: bool = True           # early stopping trains each stand-alone network once
    seed: int = 0                   # search seed; replayed strategies read this table seed
    device: str = "auto"            # where live training runs
    timing_runs: int = 4            # stand-alone runs timed to measure exhaustive seconds

    def halving(self) -> SuccessiveHalving:
        """The pruning rule of early stopping and of the combined search's second stage."""
        return SuccessiveHalving(min_epochs=self.min_epochs, reduction=self.reduction)


@dataclass(frozen=True)
class Row:
    strategy: str
    epochs: float             # cost in epoch-equivalents
    seconds: float            # cost in wall seconds
    fraction_epochs: float    # of exhaustive full training, in epoch-equivalents
    fraction_seconds: float   # of exhaustive full training, in seconds
    kendall_tau: float
    spearman: float
    top_precision: float
    regret: float             # accuracy points below the best architecture of the space
    num_archs: int            # architectures the strategy scored
    note: str = ""            # why a strategy did not run, if it did not


class RandomScores(Estimator):
    """Random search's floor: a random order, and so a random pick, for no cost."""

    name = "random search"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        values = np.random.default_rng(self.seed).permutation(len(archs))
        return Estimates({arch: float(v) for arch, v in zip(archs, values)})


class FullTraining(Estimator):
    """Train each architecture from scratch for the full protocol, score by its final
    validation accuracy: the expensive reference, here on a sample."""

    name = "full training"

    def __init__(self, data: Dataset, bench: Bench, seed: int = 0) -> None:
        self.data = data
        self.bench = bench
        self.seed = seed

    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        scores, cost = {}, Cost()
        tail = self.bench.protocol.final_epochs
        for arch in archs:
            result = train(arch, self.data, self.bench.protocol.train, seed=self.seed,
                           threads=self.bench.protocol.threads)
            scores[arch] = float(np.mean(result.curve.val_accuracy[-tail:]))
            cost = cost + result.cost
        return Estimates(scores, cost)


def measured_exhaustive_cost(bench: Bench, runs: int, seed: int = 0) -> Cost:
    """Training every architecture once: epoch-equivalents from the protocol, wall seconds
    timed here on ``runs`` sampled architectures and scaled to the whole space."""
    archs = bench.space.sample(runs, seed=seed)
    seconds = float(np.mean([run_one(arch, 0, bench.protocol)["seconds"] for arch in archs]))
    return Cost(bench.training_cost(archs[0]).epochs * len(bench.archs),
                seconds * len(bench.archs))


def strategies(config: CompareConfig, bench: Bench, data: Dataset
               ) -> dict[str, Callable[[], tuple[Estimator, list[Architecture]]]]:
    """Each strategy by name: a factory of (estimator, architectures it is asked to score)."""
    space, seed = bench.space, config.seed
    supernet = SupernetConfig(epochs=config.supernet_epochs,
                              channels=bench.protocol.train.channels)

    return {
        "random search": lambda: (RandomScores(seed), bench.archs),
        "parameter count": lambda: (ParameterCount(channels=bench.protocol.train.channels),
                                    bench.archs),
        "full training (sample)": lambda: (FullTraining(data, bench, seed),
                                           space.sample(config.sample, seed=seed)),
        "weight sharing": lambda: (WeightSharing(space, data, supernet, seed=seed), bench.archs),
        "early stopping": lambda: (EarlyStopping(config.halving(), mode="replay", bench=bench,
                                                 seed=seed, distinct=config.distinct),
                                   bench.archs),
        "combined": lambda: (Combined(WeightSharing(space, data, supernet, seed=seed),
                                      config.halving(),
                                      top_fraction=config.top_fraction, mode="replay",
                                      bench=bench, seed=seed, distinct=config.distinct),
                             bench.archs),
    }


EQUAL_BUDGET = ("weight sharing (combined's budget)", "early stopping (combined's budget)")
DEFAULT_STRATEGIES = ("random search", "parameter count", "full training (sample)",
                      "weight sharing", "early stopping", "combined")
# The equal-budget rows are opt-in: weight sharing at the combined budget trains a supernet
# several times longer, which would take ``compare`` past its few-minute class budget.
STRATEGIES = (*DEFAULT_STRATEGIES, *EQUAL_BUDGET)


def at_budget(name: str, budget: float, config: CompareConfig, bench: Bench, data: Dataset,
              weight_sharing: Estimates) -> tuple[Estimator, list[Architecture]]:
    """Weight sharing or early stopping given ``budget`` epoch-equivalents, so that either
    can be held against the combined search at equal cost.

    Weight sharing spends the extra budget on supernet training (its evaluation cost does
    not change); early stopping runs successive halving over the largest random sample of
    the space whose replayed cost fits the budget.
    """
    space, seed = bench.space, config.seed
    if name.startswith("weight sharing"):
        epochs = config.supernet_epochs + budget - weight_sharing.cost.epochs
        supernet = SupernetConfig(epochs=epochs, channels=bench.protocol.train.channels)
        return WeightSharing(space, data, supernet, seed=seed), bench.archs

    def halving_on(size: int) -> tuple[EarlyStopping, list[Architecture]]:
        return (EarlyStopping(config.halving(), mode="replay", bench=bench, seed=seed,
                              distinct=config.distinct), space.sample(size, seed=seed))

    low, high = 1, len(bench.archs)  # cost grows with the sample: bisect for the largest fit
    while low < high:
        size = (low + high + 1) // 2
        estimator, sample = halving_on(size)
        if estimator.estimate(sample).cost.epochs <= budget:
            low = size
        else:
            high = size - 1
    return halving_on(low)


def score_row(name: str, bench: Bench, estimates: Estimates, exhaustive: Cost) -> Row:
    score = bench.score(estimates)
    fraction = estimates.cost.fraction_of(exhaustive)
    return Row(name, estimates.cost.epochs, estimates.cost.seconds, fraction.epochs,
               fraction.seconds, score.kendall_tau, score.spearman, score.top_precision,
               score.regret, score.num_archs)


def compare(config: CompareConfig = CompareConfig(), names: Sequence[str] = DEFAULT_STRATEGIES,
            log: Callable[[str], None] = lambda message: None) -> list[Row]:
    """Run the strategies ``names`` and score each; the noise ceiling is the last row."""
    unknown = [name for name in names if name not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategy {unknown[0]!r}; choose from {list(STRATEGIES)}")
    bench = load(config.space, space=config.space)
    with thread_count(bench.protocol.threads):  # the thread count the table was timed with
        return _compare(config, names, log, bench)


def _compare(config: CompareConfig, names: Sequence[str], log: Callable[[str], None],
             bench: Bench) -> list[Row]:
    data = protocol_data(bench.protocol, config.device)
    log(f"timing {config.timing_runs} stand-alone trainings to measure exhaustive cost")
    exhaustive = measured_exhaustive_cost(bench, config.timing_runs, config.seed)
    factories = strategies(config, bench, data)
    results: dict[str, Estimates] = {}

    def run(name: str) -> Estimates:
        if name not in results:
            log(f"running {name}")
            if name in EQUAL_BUDGET:
                budget = run("combined").cost.epochs
                estimator, archs = at_budget(name, budget, config, bench, data,
                                             run("weight sharing"))
            else:
                estimator, archs = factories[name]()
            results[name] = estimator.estimate(archs)
        return results[name]

    rows = []
    for name in names:
        try:
            estimates = run(name)
        except ValueError as error:  # a budget too small for this strategy: say so, go on
            rows.append(Row(name, *[math.nan] * 8, 0, note=str(error)))
            continue
        rows.append(score_row(name, bench, estimates, exhaustive))
    ceiling = bench.noise_ceiling()
    one_seed = bench.training_cost(bench.archs[0]).epochs * len(bench.archs)
    rows.append(Row("noise ceiling (full training, one seed)", one_seed, exhaustive.seconds,
                    1.0, 1.0, ceiling["kendall_tau"], ceiling["spearman"],
                    ceiling["top_precision"], ceiling["regret"], len(bench.archs)))
    return rows


def format_table(rows: Sequence[Row]) -> str:
    header = (f"{'strategy':<40} {'epochs':>8} {'seconds':>8} {'% epochs':>8} {'% secs':>7} "
              f"{'tau':>6} {'rho':>6} {'top10%':>6} {'regret':>6}")
    lines = [header]
    for r in rows:
        if r.note:
            lines.append(f"{r.strategy:<40} skipped: {r.note}")
            continue
        lines.append(f"{r.strategy:<40} {r.epochs:>8.1f} {r.seconds:>8.1f} "
                     f"{100 * r.fraction_epochs:>7.2f}% {100 * r.fraction_seconds:>6.2f}% "
                     f"{r.kendall_tau:>6.3f} {r.spearman:>6.3f} {r.top_precision:>6.3f} "
                     f"{r.regret:>6.2f}")
    return "\n".join(lines)


def write_outputs(rows: Sequence[Row], out: str | Path) -> list[Path]:
    """table.csv, table.json and cost_vs_quality.png in ``out``, each written atomically."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot write results to {str(out)!r}: {error}") from None
    records = [asdict(row) for row in rows]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    paths = [out / "table.csv", out / "table.json", out / "cost_vs_quality.png"]
    write_atomically(paths[0], text.getvalue().encode())
    write_atomically(paths[1], json.dumps(records, indent=1).encode())
    write_atomically(paths[2], plot_png(rows))
    return paths


def plot_png(rows: Sequence[Row]) -> bytes:
    """Cost (log scale) against Kendall tau and regret, one point per strategy."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    figure = Figure(figsize=(10, 4), layout="constrained")
    tau_axes, regret_axes = figure.subplots(1, 2)
    ceiling = rows[-1]
    for row in rows[:-1]:
        if row.note:
            continue
        for axes, value in ((tau_axes, row.kendall_tau), (regret_axes, row.regret)):
            if not row.fraction_epochs > 0:  # free strategies have no place on a log axis
                axes.axhline(value, linestyle=":", color="grey", linewidth=1)
                axes.annotate(f"{row.strategy} (free)", (0, value), fontsize=8,
                              xycoords=("axes fraction", "data"), xytext=(4, 2),
                              textcoords="offset points", color="grey")
                continue
            axes.scatter(100 * row.fraction_epochs, value)
            axes.annotate(row.strategy, (100 * row.fraction_epochs, value), fontsize=8,
                          xytext=(4, 4), textcoords="offset points")
    for axes, value, label in ((tau_axes, ceiling.kendall_tau, "Kendall tau-b (higher is better)"),
                               (regret_axes, ceiling.regret, "regret, accuracy points (lower is better)")):
        axes.axhline(value, linestyle="--", color="grey", label="full training, one seed")
        axes.set_xscale("log")
        axes.set_xlabel("cost, % of exhaustive full training (epoch-equivalents)")
        axes.set_ylabel(label)
        axes.legend(loc="best", fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
