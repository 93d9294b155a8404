"""A run's learning curve, and the one definition of its "final" accuracy.

Plain data (no torch): ground-truth tables store curves, training records them, estimators
and lessons read them.

>>> curve = LearningCurve(val_accuracy=[0.50, 0.80, 0.90, 0.94])
>>> round(curve.final(2), 2)
0.92
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

from .checks import check_integer


def final_accuracy(val_accuracy: Sequence[float], k: int) -> float:
    """The mean of the last ``k`` values of a validation-accuracy curve (all of a shorter one)."""
    check_integer("k", k, 1)
    if len(val_accuracy) == 0:
        raise ValueError("the curve is empty: a final accuracy needs at least one epoch")
    return float(np.mean(val_accuracy[-k:]))


@dataclass
class LearningCurve:
    """Per-epoch measurements of one run; index ``e`` holds the values after epoch ``e + 1``.
    Accuracies are fractions in [0, 1]."""

    train_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.val_accuracy)

    def final(self, k: int) -> float:
        """The one definition of "final" accuracy: the mean validation accuracy of the last
        ``k`` epochs (a table's ``protocol.final_epochs``), which averages out the epoch-to-epoch
        jitter of a plateau."""
        return final_accuracy(self.val_accuracy, k)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "LearningCurve":
        return cls(list(values["train_loss"]), list(values["val_accuracy"]),
                   list(values["test_accuracy"]))
