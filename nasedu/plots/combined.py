"""Figures for lesson 4, combining weight sharing and early stopping: every strategy on one
cost-versus-quality chart, and what the size of the supernet's shortlist costs and buys.

Every function that draws returns a matplotlib ``Figure`` built without pyplot state, so it
serves as a widget callback (``nasedu.widgets.View``) and is tested by calling it directly.
``search_shortlist`` runs the library's ``Combined`` on a supernet's scores already computed,
its second stage replayed, for one shortlist size: fast enough (milliseconds) to run on every
move of a slider.

>>> from nasedu.compare import Row
>>> rows = [Row("cheap", 1.0, 1.0, 0.01, 0.01, 0.5, 0.6, 0.3, 1.0, 625),
...         Row("noise ceiling", 100.0, 100.0, 1.0, 1.0, 0.8, 0.9, 0.5, 0.7, 625)]
>>> cost_quality(rows, metric="regret").axes[0].get_ylabel()
'regret, accuracy points (lower is better)'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..cost import Cost
from ..estimates import Estimates
from ..estimators import Combined, EarlyStopping
from ..pruning import SuccessiveHalving
from ..space import Architecture
from ..trainers import ReplayTrainer

if TYPE_CHECKING:
    from ..bench import Bench
    from ..compare import Row

# Row field -> (axis label, whether higher is better); the metrics the y dropdown offers.
METRICS = {"kendall_tau": ("Kendall tau", True),
           "spearman": ("Spearman rho", True),
           "top_precision": ("top-10% precision", True),
           "regret": ("regret, accuracy points", False)}
# Cost unit -> (Row field holding the fraction of exhaustive full training, axis wording).
UNITS = {"epochs": ("fraction_epochs", "epoch-equivalents"),
         "seconds": ("fraction_seconds", "wall seconds")}
COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
          "tab:pink", "tab:olive", "tab:cyan")
CEILING_COLOR, CHOSEN_COLOR = "0.35", "tab:red"


def _metric_label(metric: str) -> str:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose from {list(METRICS)}")
    label, higher_is_better = METRICS[metric]
    return f"{label} ({'higher' if higher_is_better else 'lower'} is better)"


def cost_quality(rows: Sequence["Row"], metric: str = "kendall_tau",
                 unit: str = "epochs") -> Figure:
    """Every strategy's cost against its quality, on one axes.

    ``rows``: ``nasedu.compare.Row``s as ``compare`` returns them, the noise ceiling (full
    training, one seed) last. ``metric``: the Row field on the y axis (a key of ``METRICS``);
    ``unit``: cost as a share of exhaustive full training in ``"epochs"`` (epoch-equivalents)
    or ``"seconds"``, in percent on a log-scale x axis.

    A strategy that trained something is one labelled marker. A strategy that cost nothing
    (random search, a zero-cost proxy) has no place on a log axis, so it is a dotted
    horizontal line; the noise ceiling is a dashed line (and a marker at 100%). Rows that did
    not run (a ``note`` says why) are named in the title. Raises ValueError for an unknown
    ``metric`` or ``unit``, or fewer than two rows.
    """
    label = _metric_label(metric)
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}; choose from {list(UNITS)}")
    if len(rows) < 2:
        raise ValueError(f"rows must hold at least one strategy and the noise ceiling, but got "
                         f"{len(rows)} row(s)")
    field, wording = UNITS[unit]
    *strategies, ceiling = rows

    figure = Figure(figsize=(8.5, 4.5), layout="constrained")
    axes = figure.add_subplot()
    skipped = [row.strategy for row in strategies if row.note]
    ran = [row for row in strategies if not row.note]
    for index, row in enumerate(ran):
        color, value, share = COLORS[index % len(COLORS)], getattr(row, metric), getattr(row, field)
        if share > 0:
            axes.plot([100 * share], [value], "o", color=color, markersize=9,
                      label=f"{row.strategy}: {value:.2f}")
            axes.annotate(row.strategy, (100 * share, value), xytext=(6, 4),
                          textcoords="offset points", fontsize=8)
        else:
            axes.axhline(value, color=color, linestyle=":",
                         label=f"{row.strategy} (no training): {value:.2f}")
    ceiling_value = getattr(ceiling, metric)
    axes.axhline(ceiling_value, color=CEILING_COLOR, linestyle="--",
                 label=f"{ceiling.strategy}: {ceiling_value:.2f}")
    axes.plot([100 * getattr(ceiling, field)], [ceiling_value], "s", color=CEILING_COLOR,
              markersize=8)
    axes.set_xscale("log")
    axes.set_xlabel(f"cost, % of training every architecture once ({wording}, log scale)")
    axes.set_ylabel(label)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    title = f"{METRICS[metric][0]} against cost"
    if skipped:
        title += f"\nnot run: {', '.join(skipped)}"
    axes.set_title(title, fontsize=10)
    return figure


@dataclass(frozen=True)
class ShortlistSearch:
    """One combined search on a supernet's scores, its second stage replayed."""

    top_fraction: float                   # share of the supernet ranking kept
    shortlist: tuple[Architecture, ...]   # the kept architectures, best supernet score first
    reached: dict[Architecture, int]      # epochs successive halving trained each of them
    truth: dict[Architecture, float]      # their true final accuracy on the unread seeds
    best_truth: float                     # the best true final accuracy in the whole space
    pick: Architecture                    # the architecture the search would choose
    cost: Cost                            # both stages: the supernet's and the replayed epochs
    fraction: float                       # cost.epochs as a share of exhaustive full training

    @property
    def regret(self) -> float:
        """Accuracy points between the best architecture of the space and the pick."""
        return 100 * (self.best_truth - self.truth[self.pick])


def search_shortlist(supernet: Estimates, bench: "Bench", top_fraction: float, *,
                     min_epochs: int, reduction: int, seed: int,
                     exhaustive: Cost, distinct: bool = False) -> ShortlistSearch:
    """The combined search (``nasedu.estimators.Combined``) on the ``supernet`` scores already
    computed: keep their best ``top_fraction`` (at least one) and run successive halving
    (``min_epochs``, ``reduction``) on them, replaying seed ``seed`` of ``bench`` (one run per
    stand-alone network if ``distinct``); truth and regret come from the seeds the search did
    not read. ``exhaustive`` is the cost of training every architecture once; the cost of both
    stages is reported as a share of it. Raises ValueError for ``top_fraction`` outside (0, 1].
    """
    second = EarlyStopping(SuccessiveHalving(min_epochs, reduction),
                           ReplayTrainer(bench, seed, distinct=distinct))
    combined = Combined(supernet, second, top_fraction)
    estimates = combined.estimate(list(supernet.scores))
    unread = [s for s in bench.seeds if s not in estimates.seeds_read]
    truth = dict(zip(bench.archs, bench.finals(unread).tolist()))
    return ShortlistSearch(
        top_fraction=top_fraction, shortlist=tuple(combined.shortlist_),
        reached={arch: len(second.observed_[arch]) for arch in combined.shortlist_},
        truth={arch: truth[arch] for arch in combined.shortlist_},
        best_truth=max(truth.values()), pick=estimates.best(), cost=estimates.cost,
        fraction=estimates.cost.epochs / exhaustive.epochs)


def shortlist_figure(chosen: ShortlistSearch, sweep: Sequence[ShortlistSearch] = (),
                     references: Mapping[str, tuple[float, float]] | None = None) -> Figure:
    """What one shortlist size costs and buys (left), and what happened inside it (right).

    Left: cost (% of exhaustive full training, log scale) against regret; ``sweep`` (other
    shortlist sizes, e.g. from ``search_shortlist``) as a line labelled with each top
    fraction, ``chosen`` as a red star, ``references`` (name -> (cost as a fraction,
    regret), e.g. the strategies run alone) as grey diamonds. Right: the shortlist in supernet
    order against its true accuracy, coloured by the epochs successive halving trained each
    run; the pick is starred, the best accuracy of the whole space dashed. Raises ValueError
    when a reference's cost is not positive.
    """
    references = dict(references or {})
    for name, (share, _) in references.items():
        if not share > 0:
            raise ValueError(f"reference {name!r} needs a positive cost for the log axis, but "
                             f"got {share!r}")
    figure = Figure(figsize=(12, 4.3), layout="constrained")
    left, right = figure.subplots(1, 2)

    if sweep:
        ordered = sorted(sweep, key=lambda search: search.top_fraction)
        left.plot([100 * s.fraction for s in ordered], [s.regret for s in ordered], "o-",
                  color="tab:blue", markersize=4, label="combined, other top fractions")
        for search in ordered:
            left.annotate(f"{search.top_fraction:.0%}", (100 * search.fraction, search.regret),
                          xytext=(3, 3), textcoords="offset points", fontsize=7)
    for name, (share, regret) in references.items():
        left.plot([100 * share], [regret], "D", color="0.45", markersize=6)
        left.annotate(name, (100 * share, regret), xytext=(4, -10), textcoords="offset points",
                      fontsize=7, color="0.3")
    left.plot([100 * chosen.fraction], [chosen.regret], "*", color=CHOSEN_COLOR, markersize=16,
              label=f"combined, top {chosen.top_fraction:.0%}")
    left.set_xscale("log")
    left.set_xlabel("cost, % of training every architecture once (epoch-equivalents)")
    left.set_ylabel("regret, accuracy points (lower is better)")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=7, loc="upper right")
    left.set_title(f"cost {100 * chosen.fraction:.2g}% of full training, regret "
                   f"{chosen.regret:.2f}", fontsize=10)

    ranks = np.arange(1, len(chosen.shortlist) + 1)
    accuracies = np.array([100 * chosen.truth[arch] for arch in chosen.shortlist])
    epochs = np.array([chosen.reached[arch] for arch in chosen.shortlist])
    for index, reached in enumerate(sorted(set(epochs.tolist()))):
        here = epochs == reached
        right.scatter(ranks[here], accuracies[here], s=14 + 3 * reached,
                      color=COLORS[index % len(COLORS)],
                      label=f"trained {reached} epoch{'s' * (reached > 1)} ({here.sum()} runs)")
    position = chosen.shortlist.index(chosen.pick)
    right.plot([position + 1], [accuracies[position]], "*", color=CHOSEN_COLOR, markersize=16,
               label="the pick")
    right.axhline(100 * chosen.best_truth, color=CEILING_COLOR, linestyle="--",
                  label="best of the whole space")
    right.set_xlabel("rank by supernet score (1 = best)")
    right.set_ylabel("true final accuracy, % (unread seeds)")
    right.grid(True, alpha=0.3)
    right.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    right.set_title(f"top {chosen.top_fraction:.0%}: {len(chosen.shortlist)} shortlisted; pick "
                    f"{chosen.pick.arrow()}", fontsize=9)
    return figure


def shortlist_view(top_fraction: float, *, supernet: Estimates, bench: "Bench",
                   min_epochs: int, reduction: int, seed: int, exhaustive: Cost,
                   distinct: bool = False, sweep: Sequence[ShortlistSearch] = (),
                   references: Mapping[str, tuple[float, float]] | None = None) -> Figure:
    """The widget's callback: replay the second stage on the top ``top_fraction`` of the
    ``supernet`` scores (``search_shortlist``) and draw it (``shortlist_figure``). Bind every
    argument but ``top_fraction`` with ``functools.partial``."""
    chosen = search_shortlist(supernet, bench, top_fraction, min_epochs=min_epochs,
                              reduction=reduction, seed=seed, exhaustive=exhaustive,
                              distinct=distinct)
    return shortlist_figure(chosen, sweep, references)
