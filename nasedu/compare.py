"""Every strategy on one table: the course's main job, ``python -m nasedu compare``.

Each strategy searches the same space on the embedded default data and is scored against a
ground-truth table (a shipped one or a file ``bench build`` wrote): cost (epoch-equivalents,
seconds, fraction of exhaustive full training), Kendall tau-b, Spearman, top-10% precision,
and the regret of the architecture it would pick. The noise ceiling closes the table.

Two rules keep the rows comparable:

- *One truth.* Every row, the noise ceiling included, is scored against the mean of the seeds
  that no row read. The search seed counts as read by all: replayed strategies read it, and
  live training from scratch with the table's protocol and seed reproduces it.
- *One machine's seconds.* Every seconds figure is measured here, in this run. A replayed
  strategy's recorded seconds (measured where the table was built) are multiplied by the ratio
  of this machine's time to the recorded time of the same stand-alone runs, timed at the
  start; the table marks such seconds with ``*``.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from .bench import SHIPPED, Bench, load
from .build import run_one
from .checks import check_integer
from .cost import Cost
from .data import Dataset
from .devices import resolve_device
from .estimates import Estimates, Estimator
from .estimators import COMBINED_TOP_FRACTION, Combined, EarlyStopping, WeightSharing
from .files import write_atomically
from .protocol import protocol_data
from .proxies import ParameterCount
from .pruning import SuccessiveHalving
from .sharing import SupernetConfig, exhaustive_epochs
from .space import Architecture
from .train import thread_count, train


MAX_TIMING_RUNS = 100
DEFAULT_SAMPLE = 16  # architectures full training trains unless the space is smaller


@dataclass(frozen=True)
class CompareConfig:
    """The knobs of ``compare``; the defaults are the library's (``SupernetConfig``,
    ``SuccessiveHalving``, ``Combined``), chosen once for every table."""

    table: str = "five-op"          # a shipped table's name or a table file (bench build)
    supernet_budget: float = SupernetConfig.budget  # weight sharing's training, as a share of
                                    # training every architecture of the space once
    sample: int | None = None       # architectures "full training (sample)" trains; None:
                                    # DEFAULT_SAMPLE, or the whole space if it is smaller
    top_fraction: float = COMBINED_TOP_FRACTION  # share of the supernet ranking the combined
                                    # search shortlists
    min_epochs: int = SuccessiveHalving().min_epochs  # successive halving's first rung
    reduction: int = SuccessiveHalving().reduction    # successive halving's reduction factor
    distinct: bool = True           # early stopping trains each stand-alone network once
    seed: int = 0                   # search seed; replayed strategies read this table seed
    device: str = "auto"            # where live training runs
    timing_runs: int = 4            # stand-alone runs timed to measure exhaustive seconds

    def __post_init__(self) -> None:
        if not isinstance(self.table, (str, Path)) or not str(self.table):
            raise ValueError(f"table must be a shipped table's name {sorted(SHIPPED)} or a "
                             f"table file, but got table={self.table!r}")
        budget = self.supernet_budget
        if (isinstance(budget, bool) or not isinstance(budget, (int, float))
                or not 0 < budget <= 1):
            raise ValueError(f"supernet_budget is a share of exhaustive training, a number in "
                             f"(0, 1], but got supernet_budget={budget!r}")
        if self.sample is not None:
            check_integer("sample", self.sample, 1)
        for name, low, high in (("min_epochs", 1, None),
                                ("reduction", 2, None), ("seed", 0, None),
                                ("timing_runs", 1, MAX_TIMING_RUNS)):
            check_integer(name, getattr(self, name), low, high)
        if (isinstance(self.top_fraction, bool) or not isinstance(self.top_fraction, (int, float))
                or not 0 < self.top_fraction <= 1):
            raise ValueError(f"top_fraction must be a number in (0, 1], but got "
                             f"top_fraction={self.top_fraction!r}")
        resolve_device(self.device)  # an unknown device fails here, before any work

    def supernet(self, bench: Bench, budget: float | None = None) -> SupernetConfig:
        """Weight sharing's configuration on ``bench`` (the table's width and epochs), at
        ``budget`` (default: ``supernet_budget``)."""
        return SupernetConfig(budget=self.supernet_budget if budget is None else budget,
                              channels=bench.protocol.train.channels,
                              reference_epochs=bench.protocol.train.epochs)

    def halving(self) -> SuccessiveHalving:
        """The pruning rule of early stopping and of the combined search's second stage."""
        return SuccessiveHalving(min_epochs=self.min_epochs, reduction=self.reduction)

    def sample_size(self, bench: Bench) -> int:
        """How many architectures full training trains on ``bench``."""
        return self.sample if self.sample is not None else min(DEFAULT_SAMPLE, len(bench.archs))

    def check_against(self, bench: Bench) -> None:
        """Raise ValueError, before any work, where the options do not fit ``bench``."""
        if self.seed not in bench.seeds:
            raise ValueError(f"seed must be one of the table's seeds {list(bench.seeds)} (it "
                             f"picks the seed replayed strategies read), but got "
                             f"seed={self.seed}")
        if len(bench.seeds) < 2:
            raise ValueError(f"table {bench.source} has one seed; compare scores every row on "
                             f"seeds it did not read, so it needs a table of two or more")
        if self.sample is not None and self.sample > len(bench.archs):
            raise ValueError(f"sample must be at most the space's {len(bench.archs)} "
                             f"architectures (it is how many full training trains), but got "
                             f"sample={self.sample}")
        if self.min_epochs > bench.protocol.train.epochs:
            raise ValueError(f"min_epochs must be at most the table's "
                             f"{bench.protocol.train.epochs} epochs, but got "
                             f"min_epochs={self.min_epochs}")


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
    truth_seeds: str = ""     # the table seeds every row is scored against, e.g. "1 2"
    scaled_seconds: bool = False  # seconds include recorded ones rescaled to this machine


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
            scores[arch] = result.curve.final(tail)
            cost = cost + result.cost
        # The table's protocol and one of its seeds: these runs reproduce that seed's records.
        return Estimates(scores, cost, frozenset([self.seed]))


@dataclass(frozen=True)
class Timing:
    """Training every architecture once, measured here: ``exhaustive`` (epoch-equivalents from
    the protocol, seconds timed on a few runs and scaled to the space) and ``speed``, this
    machine's seconds per second the table recorded for the same runs."""

    exhaustive: Cost
    speed: float


def measure_timing(bench: Bench, runs: int, seed: int = 0) -> Timing:
    """Time ``runs`` sampled stand-alone trainings of the table's protocol here."""
    archs = bench.space.sample(runs, seed=seed)
    here = [run_one(arch, bench.seeds[0], bench.protocol)["seconds"] for arch in archs]
    recorded = [bench.training_cost(arch, bench.seeds[0]).seconds for arch in archs]
    return Timing(Cost(bench.training_cost(archs[0]).epochs * len(bench.archs),
                       float(np.mean(here)) * len(bench.archs)),
                  float(np.sum(here) / np.sum(recorded)))


def strategies(config: CompareConfig, bench: Bench, data: Dataset
               ) -> dict[str, Callable[[], tuple[Estimator, list[Architecture]]]]:
    """Each strategy by name: a factory of (estimator, architectures it is asked to score)."""
    space, seed = bench.space, config.seed
    supernet = config.supernet(bench)

    return {
        "random search": lambda: (RandomScores(seed), bench.archs),
        "parameter count": lambda: (ParameterCount(channels=bench.protocol.train.channels),
                                    bench.archs),
        "full training (sample)": lambda: (FullTraining(data, bench, seed),
                                           space.sample(config.sample_size(bench),
                                                        seed=seed)),
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
        exhaustive = exhaustive_epochs(len(bench.archs), data, bench.protocol.train.epochs)
        share = config.supernet_budget + (budget - weight_sharing.cost.epochs) / exhaustive
        return (WeightSharing(space, data, config.supernet(bench, min(share, 1.0)), seed=seed),
                bench.archs)

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


def seconds_here(estimates: Estimates, speed: float) -> float:
    """``estimates``' seconds on this machine: its recorded part rescaled by ``speed``."""
    return estimates.cost.seconds + (speed - 1) * estimates.replayed_seconds


def score_row(name: str, bench: Bench, estimates: Estimates, timing: Timing,
              truth: Sequence[int]) -> Row:
    """One row: ``estimates`` scored on the seeds ``truth``, its cost against exhaustive."""
    score = bench.score(estimates, truth=truth)
    cost = Cost(estimates.cost.epochs, seconds_here(estimates, timing.speed))
    fraction = cost.fraction_of(timing.exhaustive)
    return Row(name, cost.epochs, cost.seconds, fraction.epochs, fraction.seconds,
               score.kendall_tau, score.spearman, score.top_precision, score.regret,
               score.num_archs, truth_seeds=" ".join(map(str, truth)),
               scaled_seconds=estimates.replayed_seconds > 0)


def compare(config: CompareConfig = CompareConfig(), names: Sequence[str] = DEFAULT_STRATEGIES,
            log: Callable[[str], None] = lambda message: None,
            computed: Mapping[str, Estimates] | None = None) -> list[Row]:
    """Run the strategies ``names`` and score each; the noise ceiling is the last row.

    ``computed`` maps strategy names to estimates already made (as a lesson does step by
    step, with ``config``'s settings): those are scored, not run again.
    """
    unknown = [name for name in [*names, *(computed or {})] if name not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategy {unknown[0]!r}; choose from {list(STRATEGIES)}")
    bench = load(config.table)
    config.check_against(bench)
    with thread_count(bench.protocol.threads):  # the thread count the table was timed with
        return _compare(config, names, log, bench, dict(computed or {}))


def _compare(config: CompareConfig, names: Sequence[str], log: Callable[[str], None],
             bench: Bench, results: dict[str, Estimates]) -> list[Row]:
    data = protocol_data(bench.protocol, config.device)
    log(f"timing {config.timing_runs} stand-alone trainings to measure exhaustive cost")
    timing = measure_timing(bench, config.timing_runs, config.seed)
    factories = strategies(config, bench, data)
    notes: dict[str, str] = {}

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

    for name in names:
        try:
            run(name)
        except ValueError as error:  # a budget too small for this strategy: say so, go on
            notes[name] = str(error)
    # One truth for every row: the seeds no row read (the ceiling reads the search seed).
    read = set().union(*(results[name].seeds_read for name in results), {config.seed})
    truth = [seed for seed in bench.seeds if seed not in read]
    if not truth:
        raise ValueError(f"the strategies read every seed {list(bench.seeds)} of "
                         f"{bench.source}; no seed is left to score them against")
    rows = []
    for name in names:
        if name in notes:
            rows.append(Row(name, *[math.nan] * 8, 0, note=notes[name]))
        else:
            rows.append(score_row(name, bench, results[name], timing, truth))
    ceiling = bench.noise_ceiling(truth=truth)
    one_seed = bench.training_cost(bench.archs[0]).epochs * len(bench.archs)
    rows.append(Row("noise ceiling (full training, one seed)", one_seed,
                    timing.exhaustive.seconds, 1.0, 1.0, ceiling.kendall_tau,
                    ceiling.spearman, ceiling.top_precision, ceiling.regret,
                    len(bench.archs), truth_seeds=" ".join(map(str, truth))))
    return rows


def format_table(rows: Sequence[Row]) -> str:
    header = (f"{'strategy':<40} {'epochs':>8} {'seconds':>9} {'% epochs':>8} {'% secs':>8} "
              f"{'tau':>6} {'rho':>6} {'top10%':>6} {'regret':>6}")
    lines = [header]
    for r in rows:
        if r.note:
            lines.append(f"{r.strategy:<40} skipped: {r.note}")
            continue
        mark = "*" if r.scaled_seconds else " "
        lines.append(f"{r.strategy:<40} {r.epochs:>8.1f} {r.seconds:>8.1f}{mark} "
                     f"{100 * r.fraction_epochs:>7.2f}% {100 * r.fraction_seconds:>6.2f}%{mark} "
                     f"{r.kendall_tau:>6.3f} {r.spearman:>6.3f} {r.top_precision:>6.3f} "
                     f"{r.regret:>6.2f}")
    truth = next((r.truth_seeds for r in rows if r.truth_seeds), "")
    lines.append(f"every row scored against the mean of table seed(s) {truth or '-'}, which no "
                 f"row read; seconds measured here")
    if any(r.scaled_seconds for r in rows):
        lines.append("*: includes seconds replayed from the table, rescaled to this machine by "
                     "timed stand-alone runs")
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
