"""The one shape every strategy fits, and the zero-cost proxies every strategy must beat.

An estimator's ``estimate(archs)`` returns ``Estimates``: a score per architecture (higher is
better, any scale), the ``Cost`` spent, and which ground-truth seeds it read (a replayed curve
is a read), so that scoring uses only the seeds it never saw. Data, budget, seed and device go
to the constructor.

>>> from nasedu.space import get_space
>>> estimates = ParameterCount().estimate(get_space("convpool").enumerate())
>>> max(estimates.scores, key=estimates.scores.get).arrow()
'conv -> conv -> conv'
"""
from __future__ import annotations

import abc
import time
from dataclasses import dataclass, field
from typing import Sequence

from .cost import Cost
from .data import Dataset
from .models import DEFAULT_CHANNELS, ChildNet, count_macs, count_parameters
from .sharing import SupernetConfig, evaluate_all, train_supernet
from .space import Architecture, SearchSpace


@dataclass(frozen=True)
class Estimates:
    scores: dict[Architecture, float]          # higher is better
    cost: Cost = Cost()                         # what producing the scores cost
    seeds_read: frozenset[int] = field(default_factory=frozenset)  # ground-truth seeds used

    def best(self) -> Architecture:
        """The architecture with the highest score (the first of ties, in insertion order)."""
        return max(self.scores, key=self.scores.get)


class Estimator(abc.ABC):
    """Anything that scores architectures: ``estimate(archs) -> Estimates``."""

    @abc.abstractmethod
    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        """Score every architecture of ``archs``."""


class ZeroCostProxy(Estimator):
    """Scores from the architecture alone, with no training and no data: the floor every
    estimator must clear. Cost is zero epochs (and the few milliseconds of counting)."""

    name = "proxy"

    def __init__(self, in_channels: int = 1, image_size: int = 8,
                 channels: int = DEFAULT_CHANNELS) -> None:
        self.in_channels = in_channels
        self.image_size = image_size
        self.channels = channels

    @abc.abstractmethod
    def score(self, arch: Architecture) -> float:
        """The proxy's value for one architecture."""

    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        return Estimates({arch: float(self.score(arch)) for arch in archs})

    def network(self, arch: Architecture) -> ChildNet:
        return ChildNet(arch, in_channels=self.in_channels, channels=self.channels)


class ParameterCount(ZeroCostProxy):
    name = "parameter count"

    def score(self, arch: Architecture) -> float:
        return count_parameters(self.network(arch))


class MultiplyAccumulates(ZeroCostProxy):
    name = "multiply-accumulates"

    def score(self, arch: Architecture) -> float:
        return count_macs(self.network(arch), (self.in_channels, self.image_size,
                                               self.image_size))


class ConvCount(ZeroCostProxy):
    name = "number of conv ops"

    def score(self, arch: Architecture) -> float:
        return sum(op.startswith("conv") for op in arch.ops)


ZERO_COST_PROXIES = (ParameterCount, MultiplyAccumulates, ConvCount)


class WeightSharing(Estimator):
    """Train one supernet, then score each architecture by the validation accuracy of its
    inherited weights after BN recalibration (see ``nasedu.sharing``).

    Cost is the supernet's training plus the evaluation, the latter counted as if each
    candidate were recalibrated and evaluated one by one (the prefix tree's saving shows in
    the seconds). After ``estimate``, ``supernet_`` holds the trained supernet.
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
        supernet, training_cost = train_supernet(self.space, self.data, self.config,
                                                 seed=self.seed, progress=self.progress)
        started = time.perf_counter()
        scores = evaluate_all(supernet, archs, self.data, self.config, seed=self.seed)
        recalibrated = min(self.config.recalibration_size, len(self.data.x_train))
        evaluation_cost = Cost.of_examples(
            trained=0, evaluated=len(scores) * (recalibrated + len(self.data.x_val)),
            train_size=len(self.data.x_train), seconds=time.perf_counter() - started)
        self.supernet_ = supernet
        return Estimates(scores, training_cost + evaluation_cost)
