"""The estimators that train: weight sharing, early stopping and their combination.

Each fits the one shape of ``nasedu.estimates``: ``estimate(archs) -> Estimates``. The
combined search is built from the other two, scikit-learn style: its parts are given to it
(``Combined(first, second)``), and it adds nothing but the shortlist and the final order.

>>> from nasedu.bench import load
>>> from nasedu.pruning import SuccessiveHalving
>>> from nasedu.trainers import ReplayTrainer
>>> bench = load("convpool")
>>> search = EarlyStopping(SuccessiveHalving(1, 3), ReplayTrainer(bench, seed=0))
>>> estimates = search.estimate(bench.archs)
>>> len(search.observed_[estimates.best()]) == bench.protocol.train.epochs, estimates.seeds_read
(True, frozenset({0}))
"""
from __future__ import annotations

import dataclasses
import math
import time
from typing import Mapping, Sequence

import numpy as np

from .data import Dataset
from .estimates import Estimates, Estimator
from .pruning import Rule
from .ranking import predicted_from_ops, rank_observed, scores_from_keys
from .sharing import SupernetConfig, evaluate_all, evaluation_cost, train_supernet
from .space import Architecture, SearchSpace
from .trainers import LiveTrainer, ReplayTrainer


class WeightSharing(Estimator):
    """Train one supernet, then score each architecture by the validation loss (negated) or
    accuracy (``config.score``) of its inherited weights after BN recalibration (see
    ``nasedu.sharing``).

    The supernet trains for ``config.budget`` of exhaustive training of the candidates asked
    for; by default 0.4% of it, at least 10 epochs per op of a layer, and with evaluation at
    most 2.8% of it (``SupernetConfig.plan``). Cost is that training plus the evaluation: each
    candidate's recalibration and validation passes (forward-only, one third), scaled by the
    share of multiply-accumulates the prefix tree actually computes (see
    ``evaluation_cost``). After ``estimate``, ``supernet_`` holds the trained supernet.
    """

    name = "weight sharing"

    def __init__(self, space: SearchSpace, data: Dataset,
                 config: SupernetConfig = SupernetConfig(), *, seed: int = 0,
                 progress: bool = False) -> None:
        self.space = space
        self.data = data
        self.config = config
        self.seed = seed
        self.progress = progress

    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        if len(archs) == 0:
            raise ValueError("archs is empty; give at least one architecture to estimate")
        epochs, config = self.config.plan(archs, self.data)
        supernet, training_cost = train_supernet(self.space, self.data, epochs, config,
                                                 seed=self.seed, progress=self.progress)
        started = time.perf_counter()
        scores = evaluate_all(supernet, archs, self.data, config, seed=self.seed)
        seconds = time.perf_counter() - started
        evaluation = evaluation_cost(supernet, list(scores), self.data,
                                     config.recalibration_size, seconds)
        self.supernet_ = supernet
        return Estimates(scores, training_cost + evaluation)


class EarlyStopping(Estimator):
    """Run the pruning ``rule`` over the candidates with ``trainer``, and rank them by what the
    rule observed together with what each architecture says for free: runs trained longer
    first, and among runs trained equally long the ``zscore_sum`` of their recent mean accuracy
    and log parameter count (``nasedu.ranking.rank_observed``), and of what the ops predict of
    the first accuracy, fitted on every run the search trained (``predicted_from_ops``: on a
    table whose candidates differ by less than one run's noise, the runs that share an op at a
    position pool their evidence). A rule that promotes the best runs of a rung (successive
    halving, Hyperband) promotes by that same order, not by the last accuracy alone: a run is
    kept for what the search will rank it by. ``estimate(archs, signals=...)`` replaces the log
    parameter count by other free signals (the combined search gives the supernet's scores).

    ``trainer``: ``ReplayTrainer(bench, seed)`` replays a seed of a ground-truth table (a whole
    search in milliseconds), ``LiveTrainer(data, protocol, seed=seed)`` really trains; both
    drive the same rule code. Sequential rules meet the candidates in an order shuffled by the
    trainer's seed. Cost and the seeds read are the trainer's (see ``nasedu.trainers``); when
    the trainer is ``distinct``, the rule runs on the first architecture of each stand-alone
    network in that order (promoting it by the mean of each signal over the architectures it
    serves), and the others get its curve. After ``estimate``,
    ``observed_`` maps each architecture to the curve the rule observed for it.
    """

    name = "early stopping"

    def __init__(self, rule: Rule, trainer: ReplayTrainer | LiveTrainer) -> None:
        if not isinstance(rule, Rule):
            raise TypeError(f"rule must be a nasedu.pruning.Rule such as "
                            f"SuccessiveHalving(1, 3), but got rule={rule!r}")
        if not isinstance(trainer, (ReplayTrainer, LiveTrainer)):
            raise TypeError(f"trainer must be a ReplayTrainer(bench, seed) or a "
                            f"LiveTrainer(data, protocol), but got trainer={trainer!r}")
        self.rule = rule
        self.trainer = trainer

    def estimate(self, archs: Sequence[Architecture],
                 signals: Sequence[Mapping[Architecture, float]] | None = None) -> Estimates:
        """Scores for ``archs``; ``signals`` (values per architecture, higher is better) are
        what the ranking and the promotions add to the recent accuracy, by default the log
        parameter count."""
        if len(archs) == 0:
            raise ValueError("archs is empty; give at least one architecture to estimate")
        order = list(archs)
        np.random.default_rng(self.trainer.seed).shuffle(order)
        trainer = self.trainer.fresh()  # this search's runs, and cost, only
        if signals is None:
            signals = [{arch: math.log(trainer.parameters(arch)) for arch in order}]
        first_of: dict = {}  # each run -> the architecture it is trained as (the first met)
        trained_as = {arch: first_of.setdefault(trainer.run_of(arch), arch) for arch in order}
        twins: dict = {}  # each run (by the architecture it is trained as) -> all it serves
        for arch, run in trained_as.items():
            twins.setdefault(run, []).append(arch)
        # A run is promoted by the mean of each signal over the architectures it serves.
        per_run = [{run: float(np.mean([signal[arch] for arch in served]))
                    for run, served in twins.items()} for signal in signals]
        # ... and by what the ops of all the runs compared predict (fitted on one row per run).
        observed = self.rule.run(
            list(first_of.values()), trainer,
            lambda curves: rank_observed(curves, *per_run, predicted_from_ops(curves)))
        self.observed_ = {arch: observed[trained_as[arch]] for arch in order}
        pooled = predicted_from_ops(observed)
        scores = rank_observed(self.observed_, *signals,
                               {arch: pooled[trained_as[arch]] for arch in order})
        return Estimates({arch: scores[arch] for arch in archs}, trainer.cost,
                         trainer.seeds_read, trainer.replayed_seconds)


COMBINED_TOP_FRACTION = 0.3  # chosen on five-op before any other table was run (README)


def check_top_fraction(top_fraction: float) -> float:
    """``top_fraction`` if it is a number in (0, 1], else ValueError naming it."""
    if (isinstance(top_fraction, bool) or not isinstance(top_fraction, (int, float))
            or not 0 < top_fraction <= 1):
        raise ValueError(f"top_fraction must be a number in (0, 1], but got {top_fraction=}")
    return top_fraction


def shortlist(estimates: Estimates, top_fraction: float) -> list[Architecture]:
    """The best ``top_fraction`` of the architectures ``estimates`` scores (at least one),
    best first; equal scores keep their order in ``estimates.scores``.

    >>> from nasedu.space import Architecture
    >>> scores = {Architecture((op,)): value for op, value in (("conv", 0.2), ("pool", 0.7),
    ...                                                         ("skip", 0.5))}
    >>> [arch.arrow() for arch in shortlist(Estimates(scores), 0.5)]
    ['pool', 'skip']
    """
    keep = max(1, math.ceil(check_top_fraction(top_fraction) * len(estimates.scores)))
    return sorted(estimates.scores, key=lambda arch: -estimates.scores[arch])[:keep]


class Combined(Estimator):
    """Weight sharing shortlists; early stopping and the supernet decide together.

    1. ``first`` scores every candidate: a ``WeightSharing`` estimator, or its ``Estimates``
       already computed (a lesson trains one supernet and reuses its scores). Either way its
       cost and the seeds it read count.
    2. The best ``top_fraction`` of them (``shortlist``) go to ``second``, an
       ``EarlyStopping`` search (its trainer says whether it replays a table's seed or trains,
       from scratch or from given weights such as the supernet's ``inherit``).
    3. The order: the shortlist above the rest; inside it, runs trained longer first, and
       among runs trained equally long the ``zscore_sum`` of the supernet's score, the recent
       mean of the partial curve and what the ops predict (``second`` ranks with the supernet's
       score in place of the parameter count, so it adds its evidence to the supernet's
       instead of replacing it, and promotes by the same sum); the rest in the supernet's
       order.

    The shortlist (30% by default) is larger than the top 10% the metrics look at, so that the
    second stage decides which candidates form the top; a 10% shortlist could only reorder the
    supernet's own top 10%. After ``estimate``, ``shortlist_`` holds the shortlist.
    """

    name = "combined"

    def __init__(self, first: Estimator | Estimates, second: EarlyStopping,
                 top_fraction: float = COMBINED_TOP_FRACTION) -> None:
        if not isinstance(first, (Estimator, Estimates)):
            raise TypeError(f"first must be an estimator such as WeightSharing(...) or its "
                            f"Estimates, but got first={first!r}")
        if not isinstance(second, EarlyStopping):
            raise TypeError(f"second must be an EarlyStopping(rule, trainer), but got "
                            f"second={second!r}")
        self.first = first
        self.second = second
        self.top_fraction = check_top_fraction(top_fraction)

    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        if len(archs) == 0:
            raise ValueError("archs is empty; give at least one architecture to estimate")
        first = self.first if isinstance(self.first, Estimates) else self.first.estimate(archs)
        missing = [arch for arch in archs if arch not in first.scores]
        if missing:
            raise ValueError(f"the first stage has no score for {missing[0].arrow()!r}: give "
                             f"it, or its estimates, every architecture asked for")
        asked = set(archs)
        first = dataclasses.replace(first, scores={arch: score for arch, score
                                                   in first.scores.items() if arch in asked})
        self.shortlist_ = shortlist(first, self.top_fraction)
        second = self.second.estimate(self.shortlist_, signals=[first.scores])
        keys = {arch: (True, second.scores[arch]) if arch in second.scores else (False, score)
                for arch, score in first.scores.items()}
        return Estimates(scores_from_keys(keys), first.cost + second.cost,
                         first.seeds_read | second.seeds_read,
                         first.replayed_seconds + second.replayed_seconds)
