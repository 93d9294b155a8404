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

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

from .baselines import FullTraining, RandomScores
from .bench import SHIPPED, Bench, load
from .checks import check_integer
from .cost import Cost
from .data import Dataset
from .devices import resolve_device
from .darts import Darts, DartsConfig
from .estimates import Estimates, Estimator
from .estimators import (COMBINED_TOP_FRACTION, Combined, EarlyStopping, WeightSharing,
                         check_top_fraction)
from .few_shot import FewShot
from .protocol import protocol_data
from .proxies import ParameterCount
from .pruning import SuccessiveHalving
from .sharing import SupernetConfig, exhaustive_epochs
from .space import Architecture
from .timing import MAX_TIMING_RUNS, Timing, measure_timing, seconds_here
from .train import thread_count
from .trainers import ReplayTrainer
from .zero_cost import INITIALISATION_PROXIES

DEFAULT_SAMPLE = 16  # architectures full training trains unless the space is smaller


@dataclass(frozen=True)
class CompareConfig:
    """The knobs of ``compare``; the defaults are the library's (``SupernetConfig``,
    ``SuccessiveHalving``, ``Combined``), chosen once for every table."""

    table: str = "five-op"          # a shipped table's name or a table file (bench build)
    supernet_budget: float | None = None  # weight sharing's training, as a share of training
                                    # every architecture of the space once; None: the library's
                                    # default (SupernetConfig.plan: 0.4%, at least 10 epochs per
                                    # op, at most 2.8% with evaluation)
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
        if budget is not None and (isinstance(budget, bool)
                                   or not isinstance(budget, (int, float)) or not 0 < budget <= 1):
            raise ValueError(f"supernet_budget is a share of exhaustive training, a number in "
                             f"(0, 1] (or None for the default), but got supernet_budget={budget!r}")
        if self.sample is not None:
            check_integer("sample", self.sample, 1)
        for name, low, high in (("min_epochs", 1, None),
                                ("reduction", 2, None), ("seed", 0, None),
                                ("timing_runs", 1, MAX_TIMING_RUNS)):
            check_integer(name, getattr(self, name), low, high)
        check_top_fraction(self.top_fraction)
        resolve_device(self.device)  # an unknown device fails here, before any work

    def supernet(self, bench: Bench, budget: float | None = None) -> SupernetConfig:
        """Weight sharing's configuration on ``bench`` (the table's width, learning rate and
        epochs), at ``budget`` (default: ``supernet_budget``)."""
        return SupernetConfig(budget=self.supernet_budget if budget is None else budget,
                              channels=bench.protocol.train.channels,
                              learning_rate=bench.protocol.train.learning_rate,
                              reference_epochs=bench.protocol.train.epochs)

    def early_stopping(self, bench: Bench) -> EarlyStopping:
        """Early stopping as ``compare`` runs it, alone and as the combined search's second
        stage: successive halving (``min_epochs``, ``reduction``) replaying the search seed
        of ``bench``, one run per stand-alone network if ``distinct``."""
        return EarlyStopping(SuccessiveHalving(min_epochs=self.min_epochs,
                                               reduction=self.reduction),
                             ReplayTrainer(bench, self.seed, distinct=self.distinct))

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
        "early stopping": lambda: (config.early_stopping(bench), bench.archs),
        "combined": lambda: (Combined(WeightSharing(space, data, supernet, seed=seed),
                                      config.early_stopping(bench), config.top_fraction),
                             bench.archs),
        **{proxy.name: (lambda proxy=proxy: (proxy(data, channels=supernet.channels, seed=seed),
                                             bench.archs)) for proxy in INITIALISATION_PROXIES},
        "few-shot weight sharing": lambda: (FewShot(space, data, supernet, seed=seed),
                                            bench.archs),
        "DARTS (first order)": lambda: (Darts(space, data, DartsConfig(
            budget=supernet.budget, channels=supernet.channels,
            reference_epochs=supernet.reference_epochs), seed=seed), bench.archs),
    }


EQUAL_BUDGET = ("weight sharing (combined's budget)", "early stopping (combined's budget)")
DEFAULT_STRATEGIES = ("random search", "parameter count", "full training (sample)",
                      "weight sharing", "early stopping", "combined")
# The equal-budget rows are opt-in: weight sharing at the combined budget trains a supernet
# several times longer, which would take ``compare`` past its few-minute class budget.
# Lesson 5's estimators, opt-in too: the proxies at initialisation, few-shot weight sharing at
# one-shot's budget, and first-order DARTS (every op computed at every step).
LITERATURE = ("synflow", "snip", "grad_norm", "naswot", "few-shot weight sharing",
              "DARTS (first order)")
STRATEGIES = (*DEFAULT_STRATEGIES, *EQUAL_BUDGET, *LITERATURE)


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
        trained = config.supernet(bench).training_epochs(bench.archs, data)
        share = (trained + budget - weight_sharing.cost.epochs) / exhaustive
        return (WeightSharing(space, data, config.supernet(bench, min(share, 1.0)), seed=seed),
                bench.archs)

    def halving_on(size: int) -> tuple[EarlyStopping, list[Architecture]]:
        return config.early_stopping(bench), space.sample(size, seed=seed)

    low, high = 1, len(bench.archs)  # cost grows with the sample: bisect for the largest fit
    while low < high:
        size = (low + high + 1) // 2
        estimator, sample = halving_on(size)
        if estimator.estimate(sample).cost.epochs <= budget:
            low = size
        else:
            high = size - 1
    return halving_on(low)


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
