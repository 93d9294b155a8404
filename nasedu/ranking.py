"""Ranking candidates by several signals at once, and by how far a search let them train.

- ``zscore_sum`` adds signals measured on different scales (a partial curve's recent mean, the
  log parameter count, a supernet's score) with equal weights: the strongest cheap ranking in
  the benchmark pairs what a partial curve says with what the architecture says for free.
- ``rank_observed`` scores the runs a pruning rule left: runs trained longer first, and among
  runs trained equally long the ``zscore_sum`` of their recent accuracy and the signals.
- ``predicted_from_ops`` pools what every run of a search showed: each run's first accuracy as
  its ops predict it (a ridge fit, one indicator per position and op), so that a run's own noise
  counts less on a table whose candidates differ by less than that noise.
- ``scores_from_keys`` turns sort keys into scores (higher is better), so that an order built
  from several criteria is written as a tuple, not as numbers added together.

>>> curves = {"a": [0.58], "b": [0.60], "d": [0.30], "c": [0.40, 0.70]}
>>> scores = rank_observed(curves, {"a": 3.0, "b": 1.0, "d": 2.0, "c": 1.0})
>>> sorted(scores, key=scores.get, reverse=True)  # a's size outweighs b's 2 points
['c', 'a', 'b', 'd']
"""
from __future__ import annotations

import math
from typing import Hashable, Mapping, Sequence

import numpy as np

from .checks import check_integer
from .curves import check_curve


def zscore_sum(*signals: Sequence[float]) -> np.ndarray:
    """Scores that read several signals at once: the sum of each signal's z-scores over the
    candidates, with equal weights (none tuned on the ground truth).

    Every signal needs one value per candidate and some spread.

    >>> zscore_sum([0.5, 0.7, 0.9], [3.0, 1.0, 2.0]).round(2).tolist()
    [-0.0, -1.22, 1.22]
    """
    columns = [np.asarray(signal, dtype=float) for signal in signals]
    if not columns or len({len(column) for column in columns}) != 1:
        raise ValueError(f"need signals of one length, but got lengths "
                         f"{[len(column) for column in columns]}")
    total = np.zeros(len(columns[0]))
    for index, column in enumerate(columns):
        if not np.all(np.isfinite(column)) or column.std() == 0:
            raise ValueError(f"signal {index} must be finite and not constant, but got "
                             f"{column[:5].tolist()}...")
        total += (column - column.mean()) / column.std()
    return total


def predicted_from_ops(curves: Mapping, penalty: float = 1.0) -> dict:
    """Each run's first observed accuracy as its architecture's ops predict it: a least-squares
    fit with an L2 ``penalty`` on the effects (ridge regression) of the first accuracies of all
    the runs in ``curves`` (keys are ``Architecture``s) on one indicator per position and op of
    the stand-alone network (``Architecture.network``: twins that differ only by where an
    identity sits get one prediction), plus a mean. The architectures share their ops' effects,
    so the prediction pools what every run showed of each op at each position (a linear
    surrogate, as predictor-based NAS fits).

    >>> from nasedu.space import Architecture
    >>> runs = {Architecture(ops): [accuracy] for ops, accuracy in [
    ...     (("conv3x3", "conv3x3"), 0.9), (("conv3x3", "maxpool3x3"), 0.7),
    ...     (("maxpool3x3", "conv3x3"), 0.5), (("maxpool3x3", "maxpool3x3"), 0.4)]}
    >>> [round(value, 2) for value in predicted_from_ops(runs).values()]
    [0.79, 0.69, 0.56, 0.46]
    """
    archs = list(curves)
    networks = [arch.network() for arch in archs]
    ops = sorted({op for network in networks for op in network})
    column = {(position, op): position * len(ops) + i
              for position in range(max(map(len, networks))) for i, op in enumerate(ops)}
    features = np.zeros((len(archs), len(column) + 1))
    features[:, -1] = 1.0  # the mean, not penalised
    for row, network in enumerate(networks):
        for position, op in enumerate(network):
            features[row, column[position, op]] = 1.0
    first = np.array([float(check_curve(curves[arch])[0]) for arch in archs])
    ridge = penalty * np.eye(len(column) + 1)
    ridge[-1, -1] = 0.0
    effects = np.linalg.solve(features.T @ features + ridge, features.T @ first)
    return dict(zip(archs, (features @ effects).tolist()))


def scores_from_keys(keys: Mapping[Hashable, tuple]) -> dict[Hashable, float]:
    """Scores that order like the sort keys ``keys`` (a larger key, a higher score): each
    key's rank among the distinct keys, 0 for the smallest. Equal keys share a score.

    >>> scores_from_keys({"a": (2, 0.1), "b": (1, 0.9), "c": (2, 0.1)})
    {'a': 1.0, 'b': 0.0, 'c': 1.0}
    """
    rank = {key: float(index) for index, key in enumerate(sorted(set(keys.values())))}
    return {name: rank[key] for name, key in keys.items()}


def rank_observed(curves: Mapping[Hashable, Sequence[float]],
                  *signals: Mapping[Hashable, float], window: int = 3) -> dict:
    """Scores from the curves a pruning rule left, higher is better: runs trained longer rank
    above runs stopped earlier (each survived a comparison the others lost, so the pick is a
    run trained furthest); among runs trained equally long, ``zscore_sum`` of the mean of their
    last ``window`` accuracies and of each of ``signals`` (a value per run, e.g. log parameter
    count, or a supernet's score). A signal constant among them is left out: it orders nothing.

    A score is the epochs reached plus the logistic function of that sum, a number in (0, 1)
    that orders the runs of one rung.

    >>> scores = rank_observed({"a": [0.5], "b": [0.7], "c": [0.2, 0.4]})
    >>> {key: round(score, 2) for key, score in scores.items()}
    {'a': 1.27, 'b': 1.73, 'c': 2.5}
    """
    check_integer("window", window, 1)
    for index, signal in enumerate(signals):
        missing = [key for key in curves if key not in signal]
        if missing:
            raise ValueError(f"signal {index} has no value for {missing[0]!r}")
    rungs: dict[int, list[Hashable]] = {}
    for key, curve in curves.items():
        rungs.setdefault(len(check_curve(curve)), []).append(key)
    scores = {}
    for epochs, runs in rungs.items():
        columns = [[float(np.mean(curves[key][-window:])) for key in runs]]
        columns += [[float(signal[key]) for key in runs] for signal in signals]
        varying = [column for column in columns if np.std(column) > 0]
        total = zscore_sum(*varying) if varying else np.zeros(len(runs))
        scores.update({key: epochs + 1 / (1 + math.exp(-value))
                       for key, value in zip(runs, total)})
    return {key: scores[key] for key in curves}
