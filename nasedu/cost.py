"""The one unit of cost every strategy is charged in.

*Epoch-equivalents*: training examples passed forward and backward, divided by the size of the
training set; a forward-only pass (evaluation, BN recalibration) counts one third, because a
backward pass costs about twice a forward one. Wall seconds are kept beside it.

>>> Cost(epochs=2.0, seconds=1.5) + Cost(epochs=1.0, seconds=0.5)
Cost(epochs=3.0, seconds=2.0)
"""
from __future__ import annotations

from dataclasses import dataclass

FORWARD_ONLY_WEIGHT = 1 / 3


@dataclass(frozen=True)
class Cost:
    epochs: float = 0.0   # epoch-equivalents (see the module docstring)
    seconds: float = 0.0  # wall-clock seconds

    def __add__(self, other: "Cost") -> "Cost":
        return Cost(self.epochs + other.epochs, self.seconds + other.seconds)

    @staticmethod
    def of_examples(trained: int, evaluated: int, train_size: int, seconds: float = 0.0) -> "Cost":
        """Cost of ``trained`` forward+backward and ``evaluated`` forward-only example passes."""
        if train_size < 1:
            raise ValueError(f"train_size must be positive, but got {train_size!r}")
        return Cost((trained + FORWARD_ONLY_WEIGHT * evaluated) / train_size, seconds)

    def fraction_of(self, reference: "Cost") -> "Cost":
        """This cost as a fraction of ``reference`` in each unit (e.g. of exhaustive training)."""
        return Cost(self.epochs / reference.epochs, self.seconds / reference.seconds)
