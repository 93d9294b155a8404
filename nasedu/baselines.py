"""The two references a comparison sets every search beside, besides the zero-cost proxies:
random search (a random order, for nothing) and full training of a random sample (the
expensive answer, on a few architectures).

>>> from nasedu.space import get_space
>>> estimates = RandomScores(seed=0).estimate(get_space("convpool").enumerate())
>>> len(estimates.scores), estimates.cost.epochs
(8, 0.0)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .bench import Bench
from .cost import Cost
from .data import Dataset
from .estimates import Estimates, Estimator
from .space import Architecture
from .train import train


class RandomScores(Estimator):
    """Random search's floor: a random order, and so a random pick, for no cost."""

    name = "random search"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        values = np.random.default_rng(self.seed).permutation(len(archs))
        return Estimates({arch: float(v) for arch, v in zip(archs, values)})


class FullTraining(Estimator):
    """Train each architecture from scratch under the protocol of ``bench`` and score it by
    its final validation accuracy: the expensive reference, here on a sample.

    These runs use the table's protocol and one of its seeds, so they reproduce that seed's
    records: the seed counts as read."""

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
        return Estimates(scores, cost, frozenset([self.seed]))
