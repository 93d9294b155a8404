"""The one shape every strategy fits: ``Estimator.estimate(archs) -> Estimates``.

``Estimates`` holds a score per architecture (higher is better, any scale), the ``Cost`` spent,
and which ground-truth seeds it read (a replayed curve is a read), so that scoring uses only
the seeds it never saw. Data, budget, seed and device go to an estimator's constructor. The
ground truth (``bench``, ``scoring``) and the estimators both import this module; it imports
neither.

>>> from nasedu.space import Architecture
>>> Estimates({Architecture(("conv",)): 0.2, Architecture(("pool",)): 0.7}).best().arrow()
'pool'
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Sequence

from .cost import Cost
from .space import Architecture


@dataclass(frozen=True)
class Estimates:
    scores: dict[Architecture, float]          # higher is better
    cost: Cost = Cost()                         # what producing the scores cost
    seeds_read: frozenset[int] = field(default_factory=frozenset)  # ground-truth seeds used
    # The part of cost.seconds read from a table's records (measured on the machine that built
    # it), which a comparison rescales to this machine; the rest was timed here.
    replayed_seconds: float = 0.0

    def best(self) -> Architecture:
        """The architecture with the highest score (the first of ties, in insertion order)."""
        return max(self.scores, key=self.scores.get)


class Estimator(abc.ABC):
    """Anything that scores architectures: ``estimate(archs) -> Estimates``."""

    @abc.abstractmethod
    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        """Score every architecture of ``archs``."""
