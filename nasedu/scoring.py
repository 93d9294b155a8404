"""Scoring estimates against a ground-truth table, and the noise ceiling every row is held to.

Scoring uses only seeds the estimates never read. In a comparison every row, the noise ceiling
included, is scored against one truth: the mean of the seeds none of its rows read. The rank
statistics use the architectures scored; regret is measured from the best architecture of the
whole space, in accuracy points. The table is passed in (a ``Table``: ``nasedu.bench.Bench``
or anything with the same attributes); this module reads no files.

>>> from nasedu.bench import load
>>> bench = load("convpool")
>>> noise_ceiling(bench, truth=[1, 2]).seeds
(1, 2)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

import numpy as np

from .estimates import Estimates
from .metrics import kendall_tau, regret, spearman, top_k_indices, top_k_precision
from .space import Architecture, SearchSpace

TOP_FRACTION = 0.1


class Table(Protocol):
    """What scoring reads of a ground-truth table (``nasedu.bench.Bench`` is one)."""

    source: str
    space: SearchSpace
    seeds: tuple[int, ...]
    archs: list[Architecture]

    def finals(self, seeds: Iterable[int] | None = None) -> np.ndarray: ...

    def index(self, arch: Architecture | str) -> int: ...


@dataclass(frozen=True)
class Score:
    """How well one set of estimates ranks architectures against the ground truth."""

    kendall_tau: float      # tau-b over every scored architecture
    spearman: float         # rho over every scored architecture
    top_kendall_tau: float  # tau-b within the true top 10% of the scored architectures
    top_precision: float    # share of the estimated top 10% in the true top 10%
    regret: float           # accuracy points between the space's best and the chosen one
    num_archs: int          # architectures scored
    seeds: tuple[int, ...]  # ground-truth seeds the truth was averaged over


def truth_seeds(bench: Table, truth: Iterable[int], read: frozenset[int]) -> tuple[int, ...]:
    """``truth`` as a tuple of the table's seeds, none of them in ``read``."""
    if isinstance(truth, (str, bytes)) or not isinstance(truth, Iterable):
        raise TypeError(f"truth must be a collection of seeds, but got {truth!r}")
    truth = tuple(truth)
    bench.finals(truth)  # a non-empty subset of the table's seeds, or ValueError
    leaked = sorted(set(truth) & read)
    if leaked:
        raise ValueError(f"truth seeds {leaked} were read by the estimates being scored; "
                         f"score them on seeds they never read")
    return truth


def score(bench: Table, estimates: Estimates, truth: Iterable[int] | None = None) -> Score:
    """Score ``estimates`` against the mean of ``truth`` (default: every seed it never read).
    A comparison passes one ``truth`` to every row it sets side by side; a seed the estimates
    read is refused."""
    if not isinstance(estimates, Estimates):
        raise TypeError(f"estimates must be an Estimates (what an estimator's estimate() "
                        f"returns), but got {type(estimates).__name__}")
    if truth is None:
        unread = tuple(s for s in bench.seeds if s not in estimates.seeds_read)
        if not unread:
            raise ValueError(f"the estimates read every ground-truth seed {list(bench.seeds)} "
                             f"of {bench.source}; nothing unread is left to score them against")
    else:
        unread = truth_seeds(bench, truth, frozenset(estimates.seeds_read))
    archs = [bench.space.validate(arch) for arch in estimates.scores]
    if len(archs) < 2:
        raise ValueError(f"need estimates for at least 2 architectures, got {len(archs)}")
    truth_all = bench.finals(unread)
    true = truth_all[[bench.index(a) for a in archs]]
    estimated = np.array([estimates.scores[a] for a in estimates.scores], dtype=float)
    top = sorted(top_k_indices(true, TOP_FRACTION))
    # Regret from the best of the whole space: the estimate's choice counts, the rest are 0.
    chosen = np.zeros(len(truth_all))
    chosen[bench.index(archs[int(np.argmax(estimated))])] = 1.0
    return Score(
        kendall_tau=kendall_tau(estimated, true),
        spearman=spearman(estimated, true),
        top_kendall_tau=kendall_tau(estimated[top], true[top]) if len(top) > 1 else float("nan"),
        top_precision=top_k_precision(estimated, true, TOP_FRACTION),
        regret=regret(chosen, truth_all),
        num_archs=len(archs), seeds=unread)


def noise_ceiling(bench: Table, truth: Iterable[int] | None = None) -> Score:
    """How well training every architecture once ranks them: a ``Score`` like any row's.

    Without ``truth``: each seed's finals against the mean of the other seeds', averaged over
    seeds. With ``truth`` (the seeds a comparison scores every row against): each seed outside
    ``truth`` against the mean of ``truth``, averaged, so that the ceiling is scored like every
    other row. ``seeds`` of the result is the truth (all seeds without one).
    """
    if len(bench.seeds) < 2:
        raise ValueError(f"{bench.source} has one seed; the noise ceiling needs two or more")
    one_seed = {s: Estimates(dict(zip(bench.archs, bench.finals([s]))), seeds_read=frozenset([s]))
                for s in bench.seeds}
    if truth is None:
        scores = [score(bench, one_seed[s]) for s in bench.seeds]
        seeds = tuple(bench.seeds)
    else:
        seeds = truth_seeds(bench, truth, frozenset())
        others = [s for s in bench.seeds if s not in seeds]
        if not others:
            raise ValueError(f"truth {list(seeds)} holds every seed of {bench.source}; the "
                             f"noise ceiling needs a seed outside it")
        scores = [score(bench, one_seed[s], truth=seeds) for s in others]

    def mean(field: str) -> float:
        return float(np.mean([getattr(s, field) for s in scores]))

    return Score(kendall_tau=mean("kendall_tau"), spearman=mean("spearman"),
                 top_kendall_tau=mean("top_kendall_tau"), top_precision=mean("top_precision"),
                 regret=mean("regret"), num_archs=len(bench.archs), seeds=seeds)
