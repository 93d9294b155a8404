"""Figures for lesson 3, early stopping and pruning: learning curves, their extrapolation from
the first epochs, how well early predictions rank architectures, and what pruning rules keep.

Every function returns a matplotlib ``Figure`` built without pyplot state, so it serves as a
widget callback (``nasedu.widgets.View``) and is tested by calling it directly.

>>> from nasedu.curves import LastValue
>>> curves = {"a": [0.3, 0.6, 0.7, 0.8, 0.82, 0.85], "b": [0.5, 0.6, 0.65, 0.7, 0.7, 0.72]}
>>> fig = extrapolation(curves, "a", observed=3, predictors=[LastValue(6, 3)])
>>> fig.axes[0].get_title()
'a: 3 of 6 epochs observed'
"""
from __future__ import annotations

import warnings
from typing import Hashable, Mapping, Sequence

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from ..curves import Ensemble, Parametric, Predictor, check_curve, fit_family

COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
          "tab:pink", "tab:olive", "tab:cyan", "tab:gray")
TRUTH_COLOR, HIGHLIGHT_COLOR = "black", "tab:red"


def _color(index: int) -> str:
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

    ``curves``: architecture name -> its curves, one per seed, each of the same length E
    (accuracies in [0, 1]). One colour per architecture, one thin line per seed, labelled once.
    The last ``final_epochs`` epochs, whose mean is the "final" accuracy, are shaded. Raises
    ValueError when ``curves`` is empty, the curves differ in length, or ``final_epochs`` is
    outside [1, E].
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
    axes.set_xlabel("epoch")
    axes.set_ylabel("validation accuracy")
    axes.set_xticks(x)
    axes.set_xlim(0.5, epochs + 0.5)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return figure


def extrapolation(curves: Mapping[str, Sequence[float]], arch: str, observed: int,
                  predictors: Sequence[Predictor]) -> Figure:
    """Predict the final accuracy of ``arch`` from its first ``observed`` epochs, with every
    predictor, beside the true rest of its curve.

    ``curves``: architecture name -> one recorded curve of E epochs; ``predictors`` must all
    be set up for E epochs and the same ``final_epochs``. Left: the observed epochs (filled),
    the epochs not yet seen (hollow, the truth), the true final accuracy over the shaded final
    epochs, and the fitted curve of each ``Parametric`` predictor. Right, on the same accuracy
    axis: each predictor's prediction with one standard deviation (one off the axis, such as an
    overshoot above 1, as an arrow at the edge labelled with its value); a predictor that needs
    more epochs than observed, or whose fit failed, is named below the axis instead. Raises
    ValueError for an unknown ``arch``, ``observed`` outside [1, E - 1], no predictors, or
    predictors set up for another number of epochs.
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

    figure = Figure(figsize=(10, 4.4), layout="constrained")
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
    predictions, missing = {}, []
    for index, predictor in enumerate(predictors):
        needed = minimum_epochs(predictor)
        if observed < needed:
            missing.append(f"{predictor.name}: needs {needed} epochs")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a failed fit comes back as NaN
            prediction = predictor.predict(seen)
            fit = fit_family(predictor.family, seen) if isinstance(predictor, Parametric) \
                else None
        if not np.isfinite(prediction.mean):
            missing.append(f"{predictor.name}: fit failed")
            continue
        if fit is not None and fit.ok:
            left.plot(dense, np.clip(fit(dense), 0, 1), color=_color(index), linewidth=1.3,
                      label=f"{predictor.name} fit")
        predictions[index] = prediction

    # The axis covers the curve and the sensible predictions; a prediction outside [0, 1]
    # (an unbounded family can overshoot) is drawn as an arrow at the edge, labelled.
    inside = [np.clip([p.mean - p.std, p.mean + p.std], 0, 1) for p in predictions.values()]
    low = float(np.min(np.concatenate([curve, *inside])))
    high = float(np.max(np.concatenate([curve, *inside])))
    bottom, top = max(0.0, low - 0.03), min(1.05, high + 0.03)
    for index, prediction in predictions.items():
        color = _color(index)
        if bottom <= prediction.mean <= top:
            right.errorbar([index], [prediction.mean], yerr=[prediction.std], fmt="o",
                           color=color, capsize=4, markersize=7)
        else:
            edge, marker = (top, "^") if prediction.mean > top else (bottom, "v")
            right.plot([index], [edge], marker, color=color, markersize=9, clip_on=False)
            right.annotate(f"{prediction.mean:.2f}", (index, edge), xytext=(0, -12 if
                           marker == "^" else 6), textcoords="offset points", ha="center",
                           fontsize=7, color=color)
    left.set_ylim(bottom, top)
    left.set_xlim(0.5, epochs + 0.5)
    left.set_xticks(x)
    left.set_xlabel("epoch")
    left.set_ylabel("validation accuracy")
    left.set_title(f"{arch}: {observed} of {epochs} epochs observed")
    left.grid(True, alpha=0.3)
    left.legend(fontsize=7, loc="best")

    right.axhline(truth, color=TRUTH_COLOR, linewidth=2.5)
    right.set_xticks(range(len(predictors)), [p.name for p in predictors], rotation=45,
                     ha="right", fontsize=8)
    right.set_xlim(-0.6, len(predictors) - 0.4)
    right.set_title("predicted final (± 1 std)", fontsize=10)
    right.grid(True, axis="y", alpha=0.3)
    if missing:
        right.text(0.5, 0.02, "\n".join(missing), transform=right.transAxes, ha="center",
                   va="bottom", fontsize=7, color="0.35")
    return figure


def rank_correlations(taus: Mapping[str, Sequence[float]], observed_epochs: Sequence[int],
                      references: Mapping[str, float]) -> Figure:
    """How well each predictor ranks architectures as the observed epochs grow.

    ``taus``: predictor name -> one Kendall tau per entry of ``observed_epochs`` (NaN where the
    predictor cannot predict, e.g. a 3-parameter fit from 2 epochs: left as a gap);
    ``references``: name -> one tau drawn as a dashed horizontal line (e.g. parameter count,
    full training with one seed). Raises ValueError when there is nothing to draw or a row's
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
    for index, (name, value) in enumerate(references.items()):
        axes.axhline(value, color=_color(len(taus) + index), linestyle="--",
                     label=f"{name} ({value:.2f})")
    axes.set_xticks(x)
    axes.set_xlabel("observed epochs k")
    axes.set_ylabel("Kendall tau against the unread seeds")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return figure


def pruned_curves(observed: Mapping[str, Mapping[Hashable, Sequence[float]]], max_epochs: int,
                  highlight: Hashable | None = None) -> Figure:
    """What each pruning rule let every run see: one panel per rule, each run's curve drawn up
    to the epoch where the rule stopped it.

    ``observed``: rule name -> (run -> its observed accuracies), as a rule's ``run`` returns
    them (or ``EarlyStopping.observed_``); ``max_epochs``: the full training length. The title
    of each panel gives the runs trained to the end and the epochs spent as a share of training
    every run fully. ``highlight`` (e.g. the truly best architecture) is drawn in red in every
    panel that ran it. Raises ValueError when ``observed`` is empty, a rule observed no runs,
    or a curve is longer than ``max_epochs``.
    """
    if not observed:
        raise ValueError("observed must map at least one rule name to its runs, but got none")
    for name, runs in observed.items():
        if not runs:
            raise ValueError(f"rule {name!r} observed no runs")
        longest = max(len(curve) for curve in runs.values())
        if longest > max_epochs:
            raise ValueError(f"rule {name!r} observed {longest} epochs, more than "
                             f"{max_epochs=}")

    figure = Figure(figsize=(5 * len(observed), 4), layout="constrained")
    panels = np.atleast_1d(figure.subplots(1, len(observed), sharey=True))
    for axes, (name, runs) in zip(panels, observed.items()):
        lines = [np.column_stack([np.arange(1, len(c) + 1), c]) for c in runs.values()]
        axes.add_collection(LineCollection(lines, colors="tab:blue", linewidths=0.6,
                                           alpha=0.25))
        ends = np.array([[len(c), c[-1]] for c in runs.values() if len(c) < max_epochs])
        if len(ends):
            axes.plot(ends[:, 0], ends[:, 1], "x", color="0.4", markersize=3,
                      label="stopped here")
        if highlight is not None and highlight in runs:
            curve = runs[highlight]
            axes.plot(np.arange(1, len(curve) + 1), curve, "o-", color=HIGHLIGHT_COLOR,
                      linewidth=2, markersize=3, label=f"{highlight} ({len(curve)} epochs)")
        finished = sum(len(c) == max_epochs for c in runs.values())
        spent = sum(len(c) for c in runs.values()) / (max_epochs * len(runs))
        axes.set_title(f"{name}\n{finished} of {len(runs)} runs trained fully; "
                       f"{spent:.0%} of the epochs", fontsize=10)
        axes.set_xlim(0.5, max_epochs + 0.5)
        axes.set_ylim(0, 1.02)
        axes.set_xlabel("epoch")
        axes.grid(True, alpha=0.3)
        axes.legend(fontsize=7, loc="lower right")
    panels[0].set_ylabel("validation accuracy")
    return figure


def cost_quality(costs: Mapping[str, Sequence[float]], taus: Mapping[str, Sequence[float]],
                 regrets: Mapping[str, Sequence[float]]) -> Figure:
    """Cost against quality for several strategies: ranking quality (Kendall tau, left) and
    the regret of the chosen architecture (right), both against the share of full training
    spent.

    Each mapping: strategy name -> values, the same names in all three and the same number of
    values per name; a strategy with several values (e.g. "train everything k epochs" for
    k = 1..12) is drawn as a line, one with a single value as a large marker. Costs are
    fractions of training every architecture fully. Raises ValueError on empty input, names
    that differ between the mappings, or rows of different lengths.
    """
    if not costs:
        raise ValueError("costs must name at least one strategy, but got none")
    if not set(costs) == set(taus) == set(regrets):
        raise ValueError(f"costs, taus and regrets must name the same strategies, but got "
                         f"{sorted(costs)}, {sorted(taus)} and {sorted(regrets)}")
    for name in costs:
        if not len(costs[name]) == len(taus[name]) == len(regrets[name]) > 0:
            raise ValueError(f"strategy {name!r} needs as many taus and regrets as costs (at "
                             f"least one), but got {len(costs[name])}, {len(taus[name])} and "
                             f"{len(regrets[name])}")

    figure = Figure(figsize=(10, 4.2), layout="constrained")
    left, right = figure.subplots(1, 2, sharex=True)
    for index, name in enumerate(costs):
        x = 100 * np.asarray(costs[name], dtype=float)
        style = dict(color=_color(index), label=name)
        if len(x) > 1:
            left.plot(x, taus[name], "o-", markersize=4, **style)
            right.plot(x, regrets[name], "o-", markersize=4, **style)
        else:
            left.plot(x, taus[name], "D", markersize=10, **style)
            right.plot(x, regrets[name], "D", markersize=10, **style)
    left.set_ylabel("Kendall tau against the unread seeds")
    right.set_ylabel("regret (accuracy points below the best)")
    for axes in (left, right):
        axes.set_xlabel("epochs spent (% of full training)")
        axes.grid(True, alpha=0.3)
    right.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return figure
