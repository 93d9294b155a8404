"""Zero-cost proxies: scores from the architecture alone, with no training and no data.

They are the floor every estimator must clear: an estimator that ranks architectures no better
than their parameter count has bought nothing with its training.

>>> from nasedu.space import get_space
>>> estimates = ParameterCount().estimate(get_space("convpool").enumerate())
>>> max(estimates.scores, key=estimates.scores.get).arrow()
'conv -> conv -> conv'
"""
from __future__ import annotations

import abc
import functools
from typing import Iterable, Sequence

from .estimates import Estimates, Estimator
from .models import DEFAULT_CHANNELS, ChildNet, count_macs, count_parameters
from .bench import Bench
from .scoring import Score, score
from .space import OPS, Architecture


class ZeroCostProxy(Estimator):
    """Scores from the architecture alone. Cost is zero epochs (and the few milliseconds of
    counting)."""

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
        return sum(OPS[op].has_weights for op in arch.ops)


ZERO_COST_PROXIES = (ParameterCount, MultiplyAccumulates, ConvCount)


@functools.lru_cache(maxsize=8)
def _proxy_estimates(archs: tuple[Architecture, ...], in_channels: int, image_size: int,
                     channels: int) -> dict[str, Estimates]:
    shape = {"in_channels": in_channels, "image_size": image_size, "channels": channels}
    return {proxy.name: proxy(**shape).estimate(archs) for proxy in ZERO_COST_PROXIES}


def proxy_scores(bench: Bench, truth: Iterable[int] | None = None) -> dict[str, Score]:
    """Every zero-cost proxy scored on ``bench`` (against ``truth``, default every seed), by
    name. The proxies build every network, which takes seconds; they are computed once per
    space and input shape."""
    in_channels, image_size, _ = bench.input_shape
    estimates = _proxy_estimates(tuple(bench.archs), in_channels, image_size,
                                 bench.protocol.train.channels)
    return {name: score(bench, found, truth=truth) for name, found in estimates.items()}
