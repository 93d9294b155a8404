"""Figures for lesson 3, early stopping: learning curves, their extrapolation, how well early
predictions rank, what pruning rules keep, and each strategy's cost against its quality.

Every function returns a matplotlib ``Figure`` built without pyplot state (a widget callback,
tested by calling it); strategies wear their course colours (``nasedu.plots.style``).

>>> from nasedu.curves import LastValue
>>> curves = {"a": [0.3, 0.6, 0.7, 0.8, 0.82, 0.85], "b": [0.5, 0.6, 0.65, 0.7, 0.7, 0.72]}
>>> fig = extrapolation(curves, "a", observed=3, predictors=[LastValue(6, 3)])
>>> fig.axes[0].get_title()
'a: 3 of 6 epochs observed'
"""
from __future__ import annotations

import textwrap
import warnings
from typing import Hashable, Mapping, Sequence

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from ..curves import Ensemble, Parametric, Predictor, check_curve, fit_family
from .style import strategy_style

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
          "tab:pink", "tab:olive", "tab:cyan", "tab:gray")
TRUTH_COLOR, ACCURACY = "black", "validation accuracy (share of images correct)"


def _color(index: int) -> str:  # the predictors' colours: none is a strategy
    return COLORS[index % len(COLORS)]


def minimum_epochs(predictor: Predictor) -> int:
    """The fewest observed epochs ``predictor`` can predict from: a parametric family needs at
    least as many points as it has parameters; an ensemble, as many as its smallest family.

    >>> minimum_epochs(Parametric("pow3", 12, 6)), minimum_epochs(Ensemble(12, 6))
    (3, 3)
    """
    if isinstance(predictor, Parametric):
        return predictor.family.num_parameters
    if isinstance(predictor, Ensemble):
        return min(family.num_parameters for family in predictor.families)
    return 1


def learning_curves(curves: Mapping[str, Sequence[Sequence[float]]], final_epochs: int
                    ) -> Figure:
    """Validation accuracy per epoch of a few architectures, every seed drawn.

    ``curves``: architecture name -> its curves, one per seed, all E epochs long. One colour
    per architecture, one line per seed; the last ``final_epochs`` epochs ("final") shaded.
    Raises ValueError when ``curves`` is empty, lengths differ, or ``final_epochs`` is outside
    [1, E].
    """
    if not curves or any(len(seeds) == 0 for seeds in curves.values()):
        raise ValueError("curves must map at least one architecture to at least one curve")
    arrays = {name: [check_curve(curve) for curve in seeds] for name, seeds in curves.items()}
    lengths = {len(curve) for seeds in arrays.values() for curve in seeds}
    if len(lengths) != 1:
        raise ValueError(f"every curve must have the same number of epochs, but got {lengths}")
    epochs = lengths.pop()
    if not 1 <= final_epochs <= epochs:
        raise ValueError(f"final_epochs must be in [1, {epochs}], but got {final_epochs=}")

    figure = Figure(figsize=(8, 4.2), layout="constrained")
    axes = figure.add_subplot()
    x = np.arange(1, epochs + 1)
    axes.axvspan(epochs - final_epochs + 0.5, epochs + 0.5, color="0.92",
                 label=f'"final": mean of the last {final_epochs} epochs')
    for index, (name, seeds) in enumerate(arrays.items()):
        for seed_index, curve in enumerate(seeds):
            axes.plot(x, curve, color=_color(index), marker=".", linewidth=1.2, alpha=0.8,
                      label=name if seed_index == 0 else None)
    axes.set(xlabel="epoch", ylabel=ACCURACY, xticks=x, xlim=(0.5, epochs + 0.5),
             title="Learning curves: one colour per architecture, one line per seed")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return figure


def extrapolation(curves: Mapping[str, Sequence[float]], arch: str, observed: int,
                  predictors: Sequence[Predictor]) -> Figure:
    """Predict the final accuracy of ``arch`` from its first ``observed`` epochs, with every
    predictor, beside the true rest of its curve.

    ``curves``: architecture name -> one recorded curve of E epochs; ``predictors`` all set up
    for E epochs and one ``final_epochs``. Left: the observed epochs (filled), the rest (hollow,
    the truth), the true final over the shaded final epochs, and each ``Parametric`` fit,
    unclipped (one that overshoots 1 leaves the axis at the top). Right, on the same axis:
    each prediction ± one standard deviation; one off the axis (above 1, which no accuracy can
    reach) is an arrow at the edge, its value in the note below, which also names predictors
    that need more epochs or whose fit failed. Raises ValueError for an unknown ``arch``,
    ``observed`` outside [1, E - 1], no predictors, or predictors set up for other epochs.
    """
    if arch not in curves:
        raise ValueError(f"unknown architecture {arch!r}; choose from {sorted(curves)}")
    curve = check_curve(curves[arch])
    epochs = len(curve)
    if isinstance(observed, bool) or not isinstance(observed, (int, np.integer)) \
            or not 1 <= observed < epochs:
        raise ValueError(f"observed must be an integer in [1, {epochs - 1}], but got "
                         f"{observed=}")
    if not predictors:
        raise ValueError("predictors must hold at least one Predictor, but got none")
    setups = sorted({(p.epochs, p.final_epochs) for p in predictors})
    if len(setups) != 1 or setups[0][0] != epochs:
        raise ValueError(f"every predictor must be set up for the curve's {epochs} epochs and "
                         f"one final_epochs, but got (epochs, final_epochs) {setups}")
    final_range = predictors[0].final_range
    truth = float(curve[final_range - 1].mean())
    seen = curve[:observed]

    figure = Figure(figsize=(10, 4.6), layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True, width_ratios=(2.2, 1))
    x = np.arange(1, epochs + 1)
    left.axvspan(final_range[0] - 0.5, epochs + 0.5, color="0.92")
    left.plot(x[:observed], seen, "o-", color=TRUTH_COLOR, label=f"observed ({observed} epochs)")
    left.plot(x[observed:], curve[observed:], "o--", color="0.55", markerfacecolor="white",
              label="not seen yet (the truth)")
    left.hlines(truth, final_range[0] - 0.5, epochs + 0.5, color=TRUTH_COLOR, linewidth=2.5,
                label=f"true final {truth:.3f}")
    left.axvline(observed + 0.5, color="0.3", linestyle=":", linewidth=1)

    dense = np.linspace(1, epochs, 200)
    predictions, notes = {}, []
    for index, predictor in enumerate(predictors):
        needed = minimum_epochs(predictor)
        if observed < needed:
            notes.append(f"{predictor.name}: needs {needed} epochs")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a failed fit comes back as NaN
            prediction = predictor.predict(seen)
            fit = fit_family(predictor.family, seen) if isinstance(predictor, Parametric) \
                else None
        if not np.isfinite(prediction.mean):
            notes.append(f"{predictor.name}: fit failed")
            continue
        if fit is not None and fit.ok:
            left.plot(dense, fit(dense), color=_color(index), linewidth=1.3,
                      label=f"{predictor.name} fit")
        predictions[index] = prediction

    # The axis covers the curve and the possible part of every prediction ([0, 1]).
    inside = [np.clip([p.mean - p.std, p.mean + p.std], 0, 1) for p in predictions.values()]
    shown = np.concatenate([curve, *inside])
    bottom, top = max(0.0, float(shown.min()) - 0.03), min(1.05, float(shown.max()) + 0.03)
    for index, prediction in predictions.items():
        if bottom <= prediction.mean <= top:
            right.errorbar([index], [prediction.mean], yerr=[prediction.std], fmt="o",
                           color=_color(index), capsize=4, markersize=7)
            continue
        above = prediction.mean > top
        right.plot([index], [top if above else bottom], "^" if above else "v",
                   color=_color(index), markersize=9, clip_on=False)
        notes.append(f"{predictors[index].name}: {prediction.mean:.2f} (arrow)"
                     + (", above 1, which no accuracy can reach" if prediction.mean > 1 else ""))
    left.set(ylim=(bottom, top), xlim=(0.5, epochs + 0.5), xticks=x, xlabel="epoch",
             ylabel=ACCURACY, title=f"{arch}: {observed} of {epochs} epochs observed")
    left.grid(True, alpha=0.3)
    left.legend(fontsize=7, loc="best")

    right.axhline(truth, color=TRUTH_COLOR, linewidth=2.5)
    right.set_xticks(range(len(predictors)), [p.name for p in predictors], rotation=90,
                     fontsize=8)
    right.set(xlim=(-0.6, len(predictors) - 0.4), xlabel="predictor",
              title="predicted final (± 1 std)")
    right.grid(True, axis="y", alpha=0.3)
    if notes:
        right.text(0.5, 0.02, "\n".join(textwrap.fill(note, 34) for note in notes), ha="center",
                   transform=right.transAxes, va="bottom", fontsize=7, color="0.25")
    return figure


def rank_correlations(taus: Mapping[str, Sequence[float]], observed_epochs: Sequence[int],
                      references: Mapping[str, float]) -> Figure:
    """How well each predictor ranks architectures as the observed epochs grow.

    ``taus``: predictor name -> a Kendall tau per entry of ``observed_epochs`` (NaN, a gap,
    where it cannot predict); ``references``: name -> a tau drawn dashed in its strategy's
    colour (e.g. the noise ceiling). Raises ValueError when there is nothing to draw or a row's
    length differs from ``observed_epochs``.
    """
    x = np.asarray(observed_epochs, dtype=float)
    if x.ndim != 1 or len(x) == 0 or not taus:
        raise ValueError("need at least one predictor and one observed-epochs value, but got "
                         f"{len(taus)} predictors and observed_epochs={list(observed_epochs)}")
    for name, row in taus.items():
        if len(row) != len(x):
            raise ValueError(f"taus[{name!r}] has {len(row)} values for {len(x)} "
                             f"observed_epochs")

    figure = Figure(figsize=(8, 4.4), layout="constrained")
    axes = figure.add_subplot()
    for index, (name, row) in enumerate(taus.items()):
        axes.plot(x, np.asarray(row, dtype=float), marker="o", color=_color(index), label=name)
    for name, value in references.items():
        axes.axhline(value, color=strategy_style(name).color, linestyle="--",
                     label=f"{name} ({value:.2f})")
    axes.set(xticks=x, xlabel="observed epochs k", ylabel="Kendall tau against the unread seeds",
             title="How well each predictor ranks the architectures after k epochs")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return figure


def pruned_curves(observed: Mapping[str, Mapping[Hashable, Sequence[float]]], max_epochs: int,
                  highlight: Hashable | None = None) -> Figure:
    """What each pruning rule let every run see: one panel per rule, each run's curve drawn up
    to the epoch where the rule stopped it; the runs trained to the end in the rule's colour
    (``strategy_style``), the runs stopped early thin and grey beneath them.

    ``observed``: rule name -> (run -> its observed accuracies), e.g. ``EarlyStopping.observed_``;
    ``max_epochs``: the full length. Titles give the epochs spent as a share of training every
    run fully, legends how many runs stopped and finished; ``highlight`` (e.g. the truly best
    architecture) is black. Raises ValueError when ``observed`` is empty, a rule observed no
    runs, or a curve is longer than ``max_epochs``.
    """
    if not observed:
        raise ValueError("observed must map at least one rule name to its runs, but got none")
    for name, runs in observed.items():
        longest = max(map(len, runs.values()), default=0)
        problem = f"{longest} epochs, more than {max_epochs=}" if runs else "no runs"
        if not runs or longest > max_epochs:
            raise ValueError(f"rule {name!r} observed {problem}")

    figure = Figure(figsize=(5 * len(observed), 4.4), layout="constrained")
    figure.suptitle("What each pruning rule let every run see", fontsize=11)
    panels = np.atleast_1d(figure.subplots(1, len(observed), sharey=True))
    for axes, (name, runs) in zip(panels, observed.items()):
        color = strategy_style(name).color
        lines = [np.column_stack([np.arange(1, len(c) + 1), c]) for c in runs.values()]
        stopped = [line for line in lines if len(line) < max_epochs]
        finished = [line for line in lines if len(line) == max_epochs]
        axes.add_collection(LineCollection(stopped, colors="0.55", linewidths=0.5, alpha=0.25))
        axes.add_collection(LineCollection(finished, colors=color, linewidths=1.3))
        handles = [Line2D([], [], color="0.55", label=f"stopped early: {len(stopped)} runs"),
                   Line2D([], [], color=color, linewidth=2,
                          label=f"trained all {max_epochs} epochs: {len(finished)} runs")]
        if highlight is not None and highlight in runs:
            curve = runs[highlight]
            handles += axes.plot(np.arange(1, len(curve) + 1), curve, "o-", color="black",
                                 linewidth=2, markersize=3,
                                 label=f"{highlight}: {len(curve)} of {max_epochs} epochs")
        spent = sum(len(curve) for curve in runs.values()) / (max_epochs * len(runs))
        axes.set(xlim=(0.5, max_epochs + 0.5), ylim=(0, 1.02), xlabel="epoch",
                 title=f"{name}: {spent:.0%} of the epochs of full training")
        axes.grid(True, alpha=0.3)
        axes.legend(handles=handles, fontsize=7, loc="lower right")
    panels[0].set_ylabel(ACCURACY)
    return figure


def stopping_cost_quality(points: Mapping[str, Sequence[Sequence[float]]]) -> Figure:
    """What each early-stopping strategy costs against how well it ranks (Kendall tau, left)
    and picks (regret, right); cost is the share of training every architecture fully.

    ``points``: strategy name -> its (cost share, Kendall tau, regret) points; several (e.g.
    "train all k epochs", k = 1..12) make a line, one a marker, in the strategy's style
    (``strategy_style``; "noise ceiling ..." adds a dashed line across each panel). One legend
    below names them. Raises ValueError on no strategies, or a strategy without points or with
    a point that is not three numbers.
    """
    if not points:
        raise ValueError("points must name at least one strategy, but got none")
    arrays = {name: np.asarray(values, dtype=float) for name, values in points.items()}
    for name, values in arrays.items():
        if values.ndim != 2 or values.shape[1] != 3 or len(values) == 0:
            raise ValueError(f"strategy {name!r} needs (cost, tau, regret) points, at least "
                             f"one, but got an array of shape {values.shape}")

    figure = Figure(figsize=(10, 4.8), layout="constrained")
    figure.suptitle("What each early-stopping strategy costs against how well it ranks and picks")
    panels = figure.subplots(1, 2, sharex=True)
    titles = ("ranking the whole space", "picking one architecture")
    for axes, column, title in zip(panels, (1, 2), titles):
        for name, values in arrays.items():
            style, several = strategy_style(name), len(values) > 1
            axes.plot(100 * values[:, 0], values[:, column], "o-" if several else style.marker,
                      color=style.color, markersize=4 if several else 10, label=name)
            if name.lower().startswith("noise ceiling"):
                axes.axhline(values[-1, column], color=style.color, linestyle="--", linewidth=1)
        axes.xaxis.set_major_formatter(PercentFormatter(decimals=0))
        axes.set(xlabel="cost, % of full training (epoch-equivalents)", title=title)
        axes.grid(True, alpha=0.3)
    panels[0].set_ylabel("Kendall tau (higher is better)")
    panels[1].set_ylabel("regret, accuracy points (lower is better)")
    named = [line for line in panels[0].lines if not line.get_label().startswith("_")]
    figure.legend(handles=named, loc="outside lower center", ncols=2, fontsize=8)
    return figure
