"""Figures for lesson 4, combining weight sharing and early stopping: what the size of the
supernet's shortlist costs and buys. (Every strategy of a table on one cost-versus-quality
chart is the course's one such chart, ``nasedu.plots.compare.comparison_figure``.)

``search_shortlist`` runs the library's ``Combined`` on a supernet's scores already computed,
its second stage replayed from a ground-truth table: milliseconds, so a slider can rerun it on
every move. ``shortlist_figure`` draws a few such searches, one per replayed seed.

>>> from nasedu.bench import load
>>> from nasedu.compare import CompareConfig
>>> bench = load("convpool")
>>> supernet = Estimates({arch: float(index) for index, arch in enumerate(bench.archs)})
>>> search = search_shortlist(supernet, CompareConfig(table="convpool").early_stopping(bench), 0.5)
>>> len(search.shortlist), search.pick in search.shortlist
(4, True)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from ..cost import Cost
from ..estimates import Estimates
from ..estimators import Combined, EarlyStopping
from ..space import Architecture
from ..trainers import ReplayTrainer
from .compare import percent
from .style import strategy_style

COMBINED, CEILING = strategy_style("combined"), strategy_style("noise ceiling")


@dataclass(frozen=True)
class ShortlistSearch:
    """One combined search on a supernet's scores, its second stage replaying one table seed."""

    space: str                            # the search space's name, e.g. "five-op"
    seed: int                             # the table seed stage two replayed
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


def search_shortlist(supernet: Estimates, second: EarlyStopping,
                     top_fraction: float) -> ShortlistSearch:
    """The combined search (``nasedu.estimators.Combined``) on the ``supernet`` scores already
    computed: keep their best ``top_fraction`` (at least one) and run ``second``, an
    ``EarlyStopping`` whose trainer replays a table seed (``ReplayTrainer``), on them. Truth
    and regret come from the seeds the search did not read; cost (both stages) is also given
    as a share of training every architecture of the table once. Raises TypeError when
    ``second`` does not replay a table, ValueError for ``top_fraction`` outside (0, 1].
    """
    if not isinstance(second, EarlyStopping) or not isinstance(second.trainer, ReplayTrainer):
        raise TypeError(f"second must be an EarlyStopping that replays a table "
                        f"(ReplayTrainer(bench, seed)), but got second={second!r}")
    bench = second.trainer.bench
    combined = Combined(supernet, second, top_fraction)
    estimates = combined.estimate(list(supernet.scores))
    unread = [seed for seed in bench.seeds if seed not in estimates.seeds_read]
    truth = dict(zip(bench.archs, bench.finals(unread).tolist()))
    return ShortlistSearch(
        space=bench.space.name, seed=second.trainer.seed, top_fraction=top_fraction,
        shortlist=tuple(combined.shortlist_),
        reached={arch: len(second.observed_[arch]) for arch in combined.shortlist_},
        truth={arch: truth[arch] for arch in combined.shortlist_},
        best_truth=max(truth.values()), pick=estimates.best(), cost=estimates.cost,
        fraction=estimates.cost.fraction_of(bench.exhaustive_cost()).epochs)


def _spread(axes: Axes, share: float, regrets: Sequence[float], style, size: float,
            label: str) -> None:
    """One strategy at (cost, mean regret), a bar from its best to its worst seed."""
    mean = float(np.mean(regrets))
    axes.errorbar([share], [mean], yerr=[[mean - min(regrets)], [max(regrets) - mean]],
                  fmt=style.marker, color=style.color, markersize=size, capsize=3,
                  markerfacecolor=style.color if style.filled else "white", label=label)


def _trade_off(axes: Axes, chosen: Sequence[ShortlistSearch],
               sweep: Sequence[Sequence[ShortlistSearch]],
               references: Mapping[str, tuple[float, Sequence[float]]],
               ceiling: Sequence[float]) -> None:
    """Left panel: cost against regret for every shortlist size, the strategies alone, and
    the noise ceiling's regret, named in a legend below the panel."""
    ordered = sorted(sweep, key=lambda searches: searches[0].top_fraction)
    shares = [searches[0].fraction for searches in ordered]
    means = [np.mean([search.regret for search in searches]) for searches in ordered]
    chosen_regrets = [search.regret for search in chosen]
    _spread(axes, chosen[0].fraction, chosen_regrets, COMBINED, 15,
            f"combined, top {chosen[0].top_fraction:.0%}")
    if ordered:
        axes.fill_between(shares, [min(s.regret for s in searches) for searches in ordered],
                          [max(s.regret for s in searches) for searches in ordered],
                          color=COMBINED.color, alpha=0.12, linewidth=0)
        axes.plot(shares, means, "o-", color=COMBINED.color, markersize=4, alpha=0.6,
                  label=f"combined, top {ordered[0][0].top_fraction:.0%} (left) to "
                        f"{ordered[-1][0].top_fraction:.0%} (right)")
    for name, (share, regrets) in references.items():
        _spread(axes, share, regrets, strategy_style(name), 8, f"{name} alone")
    if ceiling:  # its spread over seeds is named, not drawn: it would dwarf the rest
        axes.axhline(float(np.mean(ceiling)), color=CEILING.color, linestyle="--", linewidth=1,
                     label=f"noise ceiling (full training, one seed): {min(ceiling):.2f} to "
                           f"{max(ceiling):.2f} by seed")
    everything = [*chosen_regrets, *(s.regret for searches in ordered for s in searches),
                  float(np.mean(ceiling or [0])),
                  *(r for _, regrets in references.values() for r in regrets)]
    low = min([*shares, chosen[0].fraction, *(share for share, _ in references.values())])
    axes.set(xscale="log", xlim=(low / 2, 2.0), ylim=(0, 1.1 * max(everything) + 0.05),
             xlabel="cost: share of training every architecture once (log scale)",
             ylabel="regret, accuracy points (lower is better)")
    axes.xaxis.set_major_locator(LogLocator(base=10, numticks=12))
    axes.xaxis.set_major_formatter(FuncFormatter(percent))
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2)


def shortlist_figure(chosen: Sequence[ShortlistSearch],
                     sweep: Sequence[Sequence[ShortlistSearch]] = (),
                     references: Mapping[str, tuple[float, Sequence[float]]] | None = None,
                     ceiling: Sequence[float] = ()) -> Figure:
    """What one shortlist size costs and buys (left), and what happened inside it (right).

    ``chosen``: the combined search at one top fraction, one ``ShortlistSearch`` per replayed
    seed (of one space). Left: cost (share of exhaustive training, log scale) against regret,
    the mean over the seeds with a bar from the best seed to the worst; ``sweep`` (other top
    fractions, each a sequence of searches over the same seeds) as a line labelled with each
    fraction, its spread shaded; ``references`` (name -> (cost share, regret per seed), e.g.
    weight sharing and early stopping alone) in their strategy styles; ``ceiling`` (the noise
    ceiling's regret per seed) dashed and named. Right, for the first search of ``chosen``:
    each shortlisted architecture's true accuracy in supernet order, coloured by the epochs
    successive halving trained it; the pick starred, the best of the whole space dashed.
    Raises ValueError when ``chosen`` is empty or mixes top fractions or spaces, or a
    reference's cost is not positive.
    """
    references = dict(references or {})
    if not chosen or len({(s.top_fraction, s.space) for s in chosen}) != 1:
        raise ValueError(f"chosen must hold searches of one top fraction in one space, one per "
                         f"seed, but got {[(s.space, s.top_fraction) for s in chosen]}")
    for name, (share, _) in references.items():
        if not share > 0:
            raise ValueError(f"reference {name!r} needs a positive cost for the log axis, but "
                             f"got {share!r}")
    first = chosen[0]
    figure = Figure(figsize=(12, 4.8), layout="constrained")
    figure.suptitle(f"{first.space}: the combined search keeping the supernet's top "
                    f"{first.top_fraction:.0%} ({len(first.shortlist)} architectures), regret "
                    f"{' / '.join(f'{s.regret:.2f}' for s in chosen)} points")
    left, right = figure.subplots(1, 2, width_ratios=(1.25, 1))
    _trade_off(left, chosen, sweep, references, ceiling)
    left.set_title(f"mean over search seeds {', '.join(str(s.seed) for s in chosen)} (bars: "
                   f"best to worst seed); the line: other top fractions", fontsize=9)

    ranks = np.arange(1, len(first.shortlist) + 1)
    accuracies = np.array([100 * first.truth[arch] for arch in first.shortlist])
    epochs = np.array([first.reached[arch] for arch in first.shortlist])
    rungs = sorted(set(epochs.tolist()))
    shades = colormaps["viridis_r"](np.linspace(0.15, 0.85, len(rungs)))
    for reached, shade in zip(rungs, shades):
        here = epochs == reached
        right.scatter(ranks[here], accuracies[here], s=12 + 3 * reached, color=shade,
                      label=f"trained {reached} epoch{'s' * (reached > 1)}: {here.sum()} runs")
    position = first.shortlist.index(first.pick)
    right.plot([position + 1], [accuracies[position]], "*", color=COMBINED.color,
               markersize=16, markeredgecolor="white", label=f"the pick: {first.pick.arrow()}")
    right.axhline(100 * first.best_truth, color=CEILING.color, linestyle="--",
                  label="best of the whole space")
    right.set(xlabel="rank by supernet score (1 = best)",
              ylabel="true final accuracy, % (unread seeds)")
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_title(f"inside the shortlist, search seed {first.seed}", fontsize=9)
    right.grid(True, alpha=0.3)
    right.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2)
    return figure
