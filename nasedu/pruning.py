"""Early-stopping rules: which runs deserve more epochs, given the partial curves so far.

Every rule drives a ``Trainer``, anything with ``max_epochs`` and ``advance(key, epoch)``
(train run ``key`` up to ``epoch`` and return its validation accuracies so far), so the same
decisions serve live training and replayed ground-truth curves. ``Rule.run(keys, trainer)``
returns the curve observed for every run, short for the runs it stopped.

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
from typing import Hashable, Protocol, Sequence

import numpy as np
from scipy import stats

from .curves import Ensemble, Prediction, Predictor


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


def _check_epochs(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, but got {name}={value!r}")


class Rule(abc.ABC):
    """Decides, from the partial curves seen so far, which runs continue."""

    name = "rule"

    @abc.abstractmethod
    def run(self, keys: Sequence[Hashable], trainer: Trainer) -> dict[Hashable, list[float]]:
        """Drive ``trainer`` over the runs ``keys``; the curve observed for each."""


class MedianStopping(Rule):
    """Runs go one after another (as trials of a search do); from epoch ``warmup_epochs`` on,
    a run stops when its best accuracy so far is below the median of the best-so-far of the
    earlier runs at the same epoch, once ``min_runs`` earlier runs reached that epoch (Golovin
    et al. 2017; Optuna's ``MedianPruner``)."""

    name = "median stopping"

    def __init__(self, warmup_epochs: int = 2, min_runs: int = 5) -> None:
        _check_epochs("warmup_epochs", warmup_epochs)
        if isinstance(min_runs, bool) or not isinstance(min_runs, int) or min_runs < 1:
            raise ValueError(f"min_runs must be a positive integer, but got {min_runs=}")
        self.warmup_epochs = warmup_epochs
        self.min_runs = min_runs

    def run(self, keys: Sequence[Hashable], trainer: Trainer) -> dict[Hashable, list[float]]:
        observed: dict[Hashable, list[float]] = {}
        for key in keys:
            for epoch in range(1, trainer.max_epochs + 1):
                curve = trainer.advance(key, epoch)
                observed[key] = curve
                others = [max(c[:epoch]) for k, c in observed.items()
                          if k != key and len(c) >= epoch]
                if (epoch >= self.warmup_epochs and len(others) >= self.min_runs
                        and median_stops(max(curve), others)):
                    break
        return observed


def rungs(min_epochs: int, reduction: int, max_epochs: int) -> list[int]:
    """Epochs at which successive halving compares runs: min_epochs * reduction**i, capped
    by (and ending at) max_epochs."""
    _check_epochs("min_epochs", min_epochs)
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
    there, train those ``reduction`` times longer, and so on up to the full training
    (Jamieson & Talwalkar 2016; synchronous)."""

    name = "successive halving"

    def __init__(self, min_epochs: int = 1, reduction: int = 3) -> None:
        rungs(min_epochs, reduction, max(min_epochs, 1))  # validates both
        self.min_epochs = min_epochs
        self.reduction = reduction

    def run(self, keys: Sequence[Hashable], trainer: Trainer) -> dict[Hashable, list[float]]:
        observed: dict[Hashable, list[float]] = {}
        alive = list(dict.fromkeys(keys))
        for epoch in rungs(self.min_epochs, self.reduction, trainer.max_epochs):
            for key in alive:
                observed[key] = trainer.advance(key, epoch)
            keep = max(1, math.ceil(len(alive) / self.reduction))
            alive = promote({key: observed[key][-1] for key in alive}, keep)
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

    def run(self, keys: Sequence[Hashable], trainer: Trainer) -> dict[Hashable, list[float]]:
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
                observed.update(SuccessiveHalving(first_rung, self.reduction).run(bracket,
                                                                                  trainer))
        return observed


class PredictiveStopping(Rule):
    """Runs go one after another; from ``min_epochs`` on, a run stops when its predicted
    final accuracy is unlikely to beat the best final seen so far:
    P(final > best) < ``delta`` (Domhan et al. 2015 use delta = 0.05)."""

    name = "predictive stopping"

    def __init__(self, predictor: Predictor | None = None, delta: float = 0.05,
                 min_epochs: int = 3) -> None:
        if not 0 < delta < 1:
            raise ValueError(f"delta must be in (0, 1), but got {delta=}")
        _check_epochs("min_epochs", min_epochs)
        self.predictor = predictor if predictor is not None else Ensemble()
        self.delta = delta
        self.min_epochs = min_epochs

    def run(self, keys: Sequence[Hashable], trainer: Trainer) -> dict[Hashable, list[float]]:
        observed: dict[Hashable, list[float]] = {}
        best = -math.inf
        tail = self.predictor.final_epochs
        for key in keys:
            for epoch in range(1, trainer.max_epochs + 1):
                curve = trainer.advance(key, epoch)
                observed[key] = curve
                if epoch >= self.min_epochs and epoch < trainer.max_epochs \
                        and math.isfinite(best):
                    chance = probability_of_improvement(self.predictor.predict(curve), best)
                    if chance < self.delta:
                        break
            if len(observed[key]) == trainer.max_epochs:
                best = max(best, float(np.mean(observed[key][-tail:])))
        return observed
