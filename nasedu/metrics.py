"""How well estimated scores rank architectures against their true accuracies.

Every function takes two aligned sequences: ``estimated`` scores (higher is better, any scale)
and ``true`` accuracies (fractions in [0, 1]) of the same architectures in the same order.

>>> round(kendall_tau([0.1, 0.2, 0.3], [0.5, 0.7, 0.6]), 3)
0.333
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy import stats


def _aligned(estimated: Sequence[float], true: Sequence[float],
             minimum: int = 2) -> tuple[np.ndarray, np.ndarray]:
    estimated = np.asarray(estimated, dtype=float)
    true = np.asarray(true, dtype=float)
    if estimated.ndim != 1 or estimated.shape != true.shape:
        raise ValueError(f"estimated and true must be 1-d and of the same length, but got "
                         f"shapes {estimated.shape} and {true.shape}")
    if len(estimated) < minimum:
        raise ValueError(f"need at least {minimum} architectures, but got {len(estimated)}")
    if not (np.isfinite(estimated).all() and np.isfinite(true).all()):
        raise ValueError("estimated and true must be finite numbers (no NaN or inf)")
    return estimated, true


def kendall_tau(estimated: Sequence[float], true: Sequence[float]) -> float:
    """Kendall's tau-b (ties in either sequence are accounted for); NaN if one is constant."""
    estimated, true = _aligned(estimated, true)
    return float(stats.kendalltau(estimated, true, variant="b").statistic)


def spearman(estimated: Sequence[float], true: Sequence[float]) -> float:
    """Spearman's rho on average ranks; NaN if one sequence is constant."""
    estimated, true = _aligned(estimated, true)
    return float(stats.spearmanr(estimated, true).statistic)


def top_k_indices(values: np.ndarray, fraction: float) -> set[int]:
    """Indices of the ``ceil(fraction * n)`` largest values (ties broken by position)."""
    count = max(1, math.ceil(fraction * len(values)))
    order = np.argsort(-values, kind="stable")
    return set(order[:count].tolist())


def top_k_precision(estimated: Sequence[float], true: Sequence[float],
                    fraction: float = 0.1) -> float:
    """Share of the estimator's top ``fraction`` that is also in the true top ``fraction``.

    Both sets hold ``ceil(fraction * n)`` architectures; ties are broken by position.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], but got {fraction=}")
    estimated, true = _aligned(estimated, true, minimum=1)
    chosen = top_k_indices(estimated, fraction)
    return len(chosen & top_k_indices(true, fraction)) / len(chosen)


def regret(estimated: Sequence[float], true: Sequence[float]) -> float:
    """How far the true accuracy of the estimator's top choice falls below the best true
    accuracy, in accuracy points (percentage points). The first of tied top scores is chosen."""
    estimated, true = _aligned(estimated, true, minimum=1)
    return float(100 * (true.max() - true[int(np.argmax(estimated))]))
