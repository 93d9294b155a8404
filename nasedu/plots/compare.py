"""Strategies compared: the figure of ``python -m nasedu compare`` (every strategy's cost
against the quality of its ranking) and ``ranking_quality`` (rankings as bars), each with the
noise ceiling drawn and named.

The x axis is the share of exhaustive full training (training every architecture of the space
once) in epoch-equivalents, on a log scale with percent ticks; seconds, which replayed
strategies only estimate, stay in the table. A strategy that cost nothing (random search, a
zero-cost proxy) has no place on a log axis: it sits in a "free" column at the left, on the
same quality scale. Every strategy is labelled beside its marker, in its colour
(``nasedu.plots.style``), and no two labels overlap.

>>> from types import SimpleNamespace as Row
>>> rows = [Row(strategy="random search", fraction_epochs=0.0, kendall_tau=0.01, note=""),
...         Row(strategy="weight sharing", fraction_epochs=0.004, kendall_tau=0.7, note=""),
...         Row(strategy="noise ceiling (full training, one seed)", fraction_epochs=1.0,
...             kendall_tau=0.8, note="")]
>>> figure = comparison_figure(rows)
>>> figure.axes[1].get_xlabel()
'cost: share of training every architecture once (epoch-equivalents, log scale)'
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from .style import direct_labels, line_through, renderer, strategy_style

if TYPE_CHECKING:
    from ..compare import Row

# Row field -> (quality axis label, whether higher is better).
METRICS = {"kendall_tau": ("Kendall tau-b", True),
           "spearman": ("Spearman rho", True),
           "top_precision": ("top-10% precision", True),
           "regret": ("regret (accuracy points below the best)", False)}
CEILING = "noise ceiling"


def percent(share: float, _position: object = None) -> str:
    """A share as a tick label: ``0.001`` -> ``'0.1%'``, ``1.0`` -> ``'100%'``.

    >>> [percent(share) for share in (0.0001, 0.004, 0.25, 1.0)]
    ['0.01%', '0.4%', '25%', '100%']
    """
    return f"{100 * share:.{max(0, -math.floor(math.log10(100 * share)))}f}%"


def _check(rows: Sequence["Row"], metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose from {list(METRICS)}")
    if not rows:
        raise ValueError("rows must hold at least one strategy, but got none")
    for row in rows:
        if row.note:
            continue
        share, value = row.fraction_epochs, getattr(row, metric)
        if not (math.isfinite(share) and share >= 0):
            raise ValueError(f"row {row.strategy!r} has fraction_epochs={share!r}; a cost share "
                             f"must be a finite number of at least 0")
        if not math.isfinite(value):
            raise ValueError(f"row {row.strategy!r} has {metric}={value!r}; it must be finite "
                             f"(a row that did not run carries a note instead)")


def _share_limits(shares: Sequence[float]) -> tuple[float, float]:
    """x limits: room around the shares, from at most 0.1% to past 100% (four ticks or more)."""
    return min([*shares, 1e-3]) / 2, 2.0


def _value_limits(values: Sequence[float], metric: str) -> tuple[float, float]:
    """y limits: the values and 0 (the chance level of tau), with room for labels."""
    low, high = min([*values, 0.0]), max([*values, 0.0])
    pad = 0.12 * max(high - low, 0.1)
    return low - pad, high + pad


FREE_X = 0.12  # where free strategies sit in their column (axes from 0 to 1)


def _cost_axes(figure: Figure, values: Sequence[float], shares: Sequence[float], metric: str):
    """The free column and the cost axes (percent ticks on a log scale), sharing y."""
    free_axes, cost_axes = figure.subplots(1, 2, sharey=True, width_ratios=[1.2, 4])
    free_axes.set_ylim(*_value_limits(values, metric))
    free_axes.set_xlim(0, 1)
    free_axes.set_xticks([])
    free_axes.set_xlabel("free: no training")
    name, higher_is_better = METRICS[metric]
    free_axes.set_ylabel(f"{name} ({'higher' if higher_is_better else 'lower'} is better)")
    cost_axes.set_xscale("log")
    cost_axes.set_xlim(*_share_limits(shares))
    cost_axes.xaxis.set_major_locator(LogLocator(base=10, numticks=12))
    cost_axes.xaxis.set_major_formatter(FuncFormatter(percent))
    cost_axes.xaxis.set_minor_formatter(NullFormatter())
    cost_axes.set_xlabel("cost: share of training every architecture once "
                         "(epoch-equivalents, log scale)")
    for axes in (free_axes, cost_axes):
        axes.grid(True, which="major", alpha=0.3)
    return free_axes, cost_axes


def _mark(axes: Axes, rows: Sequence["Row"], x: Sequence[float], metric: str) -> None:
    """One marker per row at (x, its metric) in the row's style, each labelled beside it."""
    values = [getattr(row, metric) for row in rows]
    for row, position, value in zip(rows, x, values):
        style = strategy_style(row.strategy)
        axes.plot([position], [value], linestyle="none", marker=style.marker,
                  markersize=8 if row.strategy.lower().startswith(CEILING) else 9,
                  color=style.color, markerfacecolor=style.color if style.filled else "white")
    order = sorted(range(len(rows)), key=lambda index: -values[index])  # top down
    direct_labels(axes, [(x[index], values[index]) for index in order],
                  [rows[index].strategy for index in order],
                  [strategy_style(rows[index].strategy).color for index in order])


def comparison_figure(rows: Sequence["Row"], metric: str = "kendall_tau") -> Figure:
    """Cost (share of exhaustive training, log scale) against ``metric`` for every row.

    ``rows``: ``nasedu.compare.Row``s as ``compare`` returns them (any objects with
    ``strategy``, ``fraction_epochs``, ``note`` and the metric's field). The row named
    ``"noise ceiling ..."`` is drawn as a dashed line across both panels, named on the figure.
    Rows with a ``note`` did not run: the footnote names them. ``metric``: a key of
    ``METRICS``. Raises ValueError for an unknown metric, no rows, or a row that ran with a
    missing or negative cost or quality.
    """
    _check(rows, metric)
    ran = [row for row in rows if not row.note]
    ceiling = [row for row in ran if row.strategy.lower().startswith(CEILING)][:1]
    free = [row for row in ran if row.fraction_epochs == 0 and row not in ceiling]
    paid = ceiling + [row for row in ran if row.fraction_epochs > 0 and row not in ceiling]

    figure = Figure(figsize=(9, 5), layout="constrained")
    free_axes, cost_axes = _cost_axes(figure, [getattr(row, metric) for row in ran],
                                      [row.fraction_epochs for row in paid], metric)
    truth = next((row.truth_seeds for row in ran if getattr(row, "truth_seeds", "")), "")
    against = f", scored against table seed(s) {truth}" if truth else ""
    figure.suptitle(f"{METRICS[metric][0]} against cost, every strategy{against}", fontsize=11)
    skipped = [row.strategy for row in rows if row.note]
    if skipped:
        figure.text(0.01, 0.005, f"not run: {', '.join(skipped)} (the table says why)",
                    fontsize=8, color="0.3")
    for row in ceiling:
        for axes in (free_axes, cost_axes):
            axes.axhline(getattr(row, metric), color=strategy_style(CEILING).color,
                         linestyle="--", linewidth=1.2, label=CEILING)
    # Labels last, on the final layout; the ceiling's marker first, so a strategy on it shows.
    _mark(free_axes, free, [FREE_X] * len(free), metric)
    _mark(cost_axes, paid, [row.fraction_epochs for row in paid], metric)
    return figure


def _bar_label(axes: Axes, value: float, position: float, measure: RendererBase) -> None:
    """``value`` beside the end of its bar, or inside it (white) where a line would cross it."""
    label = axes.annotate(f"{value:.2f}", (value, position), xytext=(3 if value >= 0 else -3, 0),
                          textcoords="offset points", va="center",
                          ha="left" if value >= 0 else "right", fontsize=8)
    if line_through(label.get_window_extent(measure), axes) is not None:
        label.set_position((-3 if value >= 0 else 3, 0))
        label.set_horizontalalignment("right" if value >= 0 else "left")
        label.set_color("white")


def ranking_quality(rows: Mapping[str, tuple[float, float]],
                    ceiling: tuple[float, float]) -> Figure:
    """How well each ranking agrees with the truth: ``rows`` maps a name to (Kendall tau over
    the whole space, Kendall tau within the true top 10%), one bar each in two panels, the
    first row at the top, each in its strategy's colour (``nasedu.plots.style``); the noise
    ceiling ``ceiling`` (the same two numbers for training every architecture once) is a dashed
    line in each, named above the bars. Raises ValueError on an empty ``rows`` or a tau
    outside [-1, 1].
    """
    if not rows:
        raise ValueError("rows must name at least one ranking, but got none")
    for name, values in {**rows, "ceiling": ceiling}.items():
        if len(values) != 2 or not all(np.isfinite(v) and -1 <= v <= 1 for v in values):
            raise ValueError(f"{name!r} must be two Kendall taus in [-1, 1], but got {values!r}")
    names = list(rows)
    positions = np.arange(len(names))[::-1]  # first row at the top
    figure = Figure(figsize=(10, 0.5 * len(names) + 2), layout="constrained")
    panels = figure.subplots(1, 2, sharey=True)
    figure.suptitle("How well each ranking agrees with the truth (1: the same order, "
                    "0: chance)", fontsize=11)
    titles = ("over the whole space", "within the true top 10%")
    for column, (axes, title) in enumerate(zip(panels, titles)):
        values = [rows[name][column] for name in names]
        axes.barh(positions, values, color=[strategy_style(name).color for name in names])
        axes.axvline(ceiling[column], color=strategy_style("noise ceiling").color,
                     linestyle="--", label="noise ceiling")
        axes.axvline(0, color="0.5", linewidth=0.8)
        axes.set_xlim(min(-0.3, min(values) - 0.15), 1)
        axes.set_ylim(-0.6, len(names) - 0.1)  # room above the bars to name the ceiling
        axes.set_title(title, fontsize=10)
        axes.set_xlabel("Kendall tau against the true accuracies")
    panels[0].set_yticks(positions, names, fontsize=9)
    measure = renderer(figure)  # the layout is final: labels can be measured
    for column, axes in enumerate(panels):
        label = axes.annotate(f"noise ceiling {ceiling[column]:.2f}",
                              (ceiling[column], len(names) - 0.4), xytext=(-3, 0),
                              textcoords="offset points", ha="right", va="center", fontsize=8,
                              color=strategy_style("noise ceiling").color)
        if line_through(label.get_window_extent(measure), axes) is not None:
            label.set_position((3, 0))  # the zero line is in the way: name it on the right
            label.set_horizontalalignment("left")
        for position, name in zip(positions, names):
            _bar_label(axes, rows[name][column], position, measure)
    return figure
