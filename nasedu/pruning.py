"""Early-stopping rules: which runs deserve more epochs, given the partial curves so far.

Every rule drives a ``Trainer``, anything with ``max_epochs`` and ``advance(key, epoch)``
(train run ``key`` up to ``epoch`` and return its validation accuracies so far), so the same
decisions serve live training and replayed ground-truth curves. ``Rule.run(keys, trainer)``
returns the curve observed for every run, short for the runs it stopped; the rules that promote
the best runs of a rung (successive halving, Hyperband) promote by ``ranking`` where one is
given (an estimator's own order, e.g. accuracy together with model size), else by the last
accuracy. The sequential rules
(median and predictive stopping) share one loop, ``SequentialRule.run``, and say only when a
run stops.

Each decision is a small pure function, tested on hand-made curves:
``median_stops``, ``promote``, ``probability_of_improvement``.

>>> curves = {"a": [0.2, 0.4, 0.5, 0.6], "b": [0.5, 0.7, 0.8, 0.9], "c": [0.1, 0.1, 0.2, 0.2]}
>>> class Replay:
...     max_epochs = 4
...     def advance(self, key, epoch):
...         return curves[key][:epoch]
>>> observed = SuccessiveHalving(min_epochs=1, reduction=2).run(list(curves), Replay())
>>> {key: len(curve) for key, curve in observed.items()}
{'a': 2, 'b': 4, 'c': 1}
"""
from __future__ import annotations

import abc
import math
from typing import Callable, Hashable, Mapping, Protocol, Sequence

import numpy as np
from scipy import stats

from .checks import check_integer
from .curves import Prediction, Predictor
from .learning_curve import final_accuracy


Ranking = Callable[[Mapping[Hashable, list[float]]], Mapping[Hashable, float]]
"""Scores (higher is better) for runs observed equally long, from their curves."""


def last_accuracy(curves: Mapping[Hashable, list[float]]) -> dict[Hashable, float]:
    """The textbook promotion: each run's last observed accuracy."""
    return {key: curve[-1] for key, curve in curves.items()}


class Trainer(Protocol):
    max_epochs: int

    def advance(self, key: Hashable, epoch: int) -> list[float]:
        """Train ``key`` up to ``epoch`` epochs; its validation accuracies so far."""


def median_stops(value: float, others: Sequence[float]) -> bool:
    """Median rule: stop when ``value`` is below the median of the other runs' values at the
    same epoch."""
    return bool(len(others) > 0 and value < float(np.median(others)))


def promote(values: dict[Hashable, float], keep: int) -> list[Hashable]:
    """The ``keep`` keys with the highest values, best first (ties: the earlier key)."""
    order = sorted(values, key=lambda key: -values[key])  # sorted() is stable
    return order[:keep]


def probability_of_improvement(prediction: Prediction, best: float) -> float:
    """P(final > best) for a normal belief about the final accuracy (Domhan et al. 2015)."""
    if not math.isfinite(prediction.mean):
        return 1.0  # a failed prediction is no evidence against the run: keep it
    if prediction.std <= 0:
        return float(prediction.mean > best)
    return float(stats.norm.sf(best, loc=prediction.mean, scale=prediction.std))


class Rule(abc.ABC):
    """Decides, from the partial curves seen so far, which runs continue."""

    name = "rule"

    @abc.abstractmethod
    def run(self, keys: Sequence[Hashable], trainer: Trainer,
            ranking: Ranking | None = None) -> dict[Hashable, list[float]]:
        """Drive ``trainer`` over the runs ``keys``; the curve observed for each. A rule that
        promotes the best runs of a rung promotes by ``ranking`` (default ``last_accuracy``)."""


class SequentialRule(Rule):
    """Runs go one after another, as the trials of a search do, each trained epoch by epoch
    until ``stops`` says so. The one loop of the sequential rules; each says only when to stop.
    They judge a run against the earlier runs' curves and promote none, so ``ranking`` is not
    read.
    """

    def run(self, keys: Sequence[Hashable], trainer: Trainer,
            ranking: Ranking | None = None) -> dict[Hashable, list[float]]:
        observed: dict[Hashable, list[float]] = {}
        for key in dict.fromkeys(keys):
            earlier = list(observed.values())
            for epoch in range(1, trainer.max_epochs + 1):
                observed[key] = trainer.advance(key, epoch)
                if epoch < trainer.max_epochs and self.stops(observed[key], earlier,
                                                             trainer.max_epochs):
                    break
        return observed

    @abc.abstractmethod
    def stops(self, curve: list[float], earlier: list[list[float]], max_epochs: int) -> bool:
        """Whether a run whose curve so far is ``curve`` stops now, given the curves observed
        for the earlier runs (each as far as it went) and the full length ``max_epochs``."""


class MedianStopping(SequentialRule):
    """From epoch ``warmup_epochs`` on, a run stops when its best accuracy so far is below the
    median of the best-so-far of the earlier runs at the same epoch, once ``min_runs`` earlier
    runs reached that epoch (Golovin et al. 2017; Optuna's ``MedianPruner``)."""

    name = "median stopping"

    def __init__(self, warmup_epochs: int = 2, min_runs: int = 5) -> None:
        self.warmup_epochs = check_integer("warmup_epochs", warmup_epochs, 1)
        self.min_runs = check_integer("min_runs", min_runs, 1)

    def stops(self, curve: list[float], earlier: list[list[float]], max_epochs: int) -> bool:
        epoch = len(curve)
        others = [max(c[:epoch]) for c in earlier if len(c) >= epoch]
        return (epoch >= self.warmup_epochs and len(others) >= self.min_runs
                and median_stops(max(curve), others))


def rungs(min_epochs: int, reduction: int, max_epochs: int) -> list[int]:
    """Epochs at which successive halving compares runs: min_epochs * reduction**i, capped
    by (and ending at) max_epochs."""
    check_integer("min_epochs", min_epochs, 1)
    if isinstance(reduction, bool) or not isinstance(reduction, int) or reduction < 2:
        raise ValueError(f"the reduction factor must be an integer of at least 2, but got "
                         f"{reduction=}")
    if min_epochs > max_epochs:
        raise ValueError(f"the budget is smaller than one rung: min_epochs={min_epochs} but "
                         f"runs last at most {max_epochs} epochs")
    points = []
    epoch = min_epochs
    while epoch < max_epochs:
        points.append(epoch)
        epoch *= reduction
    return points + [max_epochs]


class SuccessiveHalving(Rule):
    """Train every run to ``min_epochs``, keep the best 1/``reduction`` by their accuracy
    there (or by ``ranking``), train those ``reduction`` times longer, and so on up to the full
    training (Jamieson & Talwalkar 2016; synchronous)."""

    name = "successive halving"

    def __init__(self, min_epochs: int = 1, reduction: int = 3) -> None:
        rungs(min_epochs, reduction, max(min_epochs, 1))  # validates both
        self.min_epochs = min_epochs
        self.reduction = reduction

    def run(self, keys: Sequence[Hashable], trainer: Trainer,
            ranking: Ranking | None = None) -> dict[Hashable, list[float]]:
        rank = last_accuracy if ranking is None else ranking
        observed: dict[Hashable, list[float]] = {}
        alive = list(dict.fromkeys(keys))
        for epoch in rungs(self.min_epochs, self.reduction, trainer.max_epochs):
            for key in alive:
                observed[key] = trainer.advance(key, epoch)
            keep = max(1, math.ceil(len(alive) / self.reduction))
            scores = rank({key: observed[key] for key in alive})
            alive = promote({key: scores[key] for key in alive}, keep)
        return observed


class Hyperband(Rule):
    """Several successive-halving brackets, from many runs started at ``min_epochs`` to few
    runs trained fully, hedging against an unreliable early signal (Li et al., JMLR 2018).
    The runs are shared out between the brackets in Hyperband's proportions."""

    name = "hyperband"

    def __init__(self, min_epochs: int = 1, reduction: int = 3) -> None:
        rungs(min_epochs, reduction, max(min_epochs, 1))
        self.min_epochs = min_epochs
        self.reduction = reduction

    def brackets(self, max_epochs: int) -> list[int]:
        """Starting epochs of the brackets, most aggressive first."""
        return rungs(self.min_epochs, self.reduction, max_epochs)

    def run(self, keys: Sequence[Hashable], trainer: Trainer,
            ranking: Ranking | None = None) -> dict[Hashable, list[float]]:
        keys = list(dict.fromkeys(keys))
        starts = self.brackets(trainer.max_epochs)
        s_max = len(starts) - 1
        # Hyperband's bracket s starts ceil((s_max + 1) / (s + 1) * reduction**s) runs.
        sizes = np.array([(s_max + 1) / (s + 1) * self.reduction ** s
                          for s in range(s_max, -1, -1)])
        counts = np.floor(sizes / sizes.sum() * len(keys)).astype(int)
        counts[0] += len(keys) - counts.sum()
        observed: dict[Hashable, list[float]] = {}
        start = 0
        for first_rung, count in zip(starts, counts):
            bracket = keys[start:start + count]
            start += count
            if bracket:
                observed.update(SuccessiveHalving(first_rung, self.reduction).run(
                    bracket, trainer, ranking))
        return observed


class PredictiveStopping(SequentialRule):
    """From ``min_epochs`` on, a run stops when its predicted final accuracy is unlikely to
    beat the best final accuracy of the earlier runs trained to the end:
    P(final > best) < ``delta`` (Domhan et al. 2015 use delta = 0.05). ``predictor`` is set up
    for the table's protocol, whose ``final_epochs`` also define the earlier runs' finals."""

    name = "predictive stopping"

    def __init__(self, predictor: Predictor, delta: float = 0.05, min_epochs: int = 3) -> None:
        if not isinstance(predictor, Predictor):
            raise TypeError(f"predictor must be a nasedu.curves.Predictor, such as "
                            f"Ensemble(epochs, final_epochs), but got {predictor!r}")
        if not 0 < delta < 1:
            raise ValueError(f"delta must be in (0, 1), but got {delta=}")
        self.predictor = predictor
        self.delta = delta
        self.min_epochs = check_integer("min_epochs", min_epochs, 1)

    def stops(self, curve: list[float], earlier: list[list[float]], max_epochs: int) -> bool:
        if len(curve) < self.min_epochs:
            return False
        finals = [final_accuracy(c, self.predictor.final_epochs) for c in earlier
                  if len(c) == max_epochs]
        if not finals:  # no run finished yet: nothing to beat
            return False
        chance = probability_of_improvement(self.predictor.predict(curve), max(finals))
        return chance < self.delta
