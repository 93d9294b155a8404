"""Figures for lesson 1, the cost of full training: how a search space grows, what training its
candidates costs, and how that compares with published NAS search costs.

Every function returns a matplotlib ``Figure`` built without pyplot state, so it serves as a
widget callback (``nasedu.widgets.View``) and is tested by calling it directly.

>>> fig = space_growth(layers=4, ops=5, seconds_per_epoch=0.25, epochs=12)
>>> fig.axes[0].get_title().splitlines()[0]
'5 ops, 4 layers: 625 architectures'
>>> format_duration(2 * 86400)
'2.0 days'
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from .style import direct_labels

SECONDS_PER_DAY = 86_400
# (unit name, seconds in one unit), largest first: format_duration picks the first that fits.
_DURATION_UNITS = (("years", 365 * SECONDS_PER_DAY), ("days", SECONDS_PER_DAY),
                   ("hours", 3_600), ("min", 60), ("s", 1))

OURS_COLOR, PUBLISHED_COLOR = "tab:orange", "tab:blue"
REFERENCE_OPS = (2, 5, 10)  # op counts space_growth always draws, for comparison


@dataclass(frozen=True)
class SearchCost:
    """A published NAS search cost, worded and sourced as in the course's REFERENCES.md."""

    method: str      # the method and its paper
    cost: str        # the cost as the source states it
    gpu_days: float  # the same cost as one number, for the chart
    source: str      # where the figure comes from


PUBLISHED_SEARCH_COSTS: tuple[SearchCost, ...] = (
    SearchCost("NAS with RL (Zoph & Le, ICLR 2017)",
               "800 GPUs for 28 days (about 22,400 GPU-days)", 800 * 28,
               "Zoph et al. 2018 (NASNet) section 3; DARTS (Liu et al. 2019) Table 2 lists the "
               "RL search as about 1e4 CPU-days for PTB"),
    SearchCost("AmoebaNet (Real et al., AAAI 2019)", "about 3,150 GPU-days", 3150,
               "DARTS Tables 1 and 3"),
    SearchCost("NASNet-A (Zoph et al., CVPR 2018)", "about 2,000 GPU-days (500 GPUs, 4 days)",
               2000, "DARTS Tables 1 and 3"),
    SearchCost("DARTS, second order (Liu et al., ICLR 2019)", "4 GPU-days (second order)", 4,
               "DARTS Tables 1-2"),
    SearchCost("DARTS, first order (Liu et al., ICLR 2019)", "1.5 GPU-days (first order)", 1.5,
               "DARTS Tables 1-2"),
    SearchCost("ENAS (Pham et al., ICML 2018)",
               'about 0.5 GPU-days; "1000x less expensive than standard NAS"', 0.5,
               "DARTS Table 1; ENAS abstract"),
)


def format_duration(seconds: float) -> str:
    """``seconds`` in the largest unit that keeps the number at least 1: ``'3.5 hours'``.

    >>> format_duration(90), format_duration(0.25), format_duration(3e20)
    ('1.5 min', '0.25 s', '9.5e+12 years')
    """
    if not np.isfinite(seconds) or seconds < 0:
        raise ValueError(f"seconds must be a finite non-negative number, but got {seconds=}")
    for unit, size in _DURATION_UNITS:
        if seconds >= size:
            return f"{_readable(seconds / size)} {unit}"
    return f"{seconds:.2g} s"


def _readable(value: float) -> str:
    """A positive number for a label: ``0.024``, ``3.5``, ``2,000``, ``7.6e+12``."""
    if value >= 1e6:
        return f"{value:.1e}"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2g}" if value < 1 else f"{value:.1f}"


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a positive number, but got {name}={value!r}")


def _check_count(minimum: int, **values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"{name} must be an integer of at least {minimum}, "
                             f"but got {name}={value!r}")


def space_growth(layers: int, ops: int, seconds_per_epoch: float, epochs: int,
                 max_layers: int = 20) -> Figure:
    """How many architectures a chain of ``layers`` layers with ``ops`` choices each holds
    (``ops ** layers``), and how long training every one of them once would take.

    The count for 1 to ``max_layers`` layers with ``ops`` ops (log scale), a marker at
    ``layers``, beside grey curves for the ``REFERENCE_OPS`` counts, every curve labelled with
    its number of ops. The axes do not move with ``ops``: more ops make a visibly steeper
    curve. The right-hand axis reads the same curves as days of training at
    ``seconds_per_epoch`` x ``epochs`` per architecture; the title states the count and the
    projected time. Deeper networks train more slowly per epoch, so for a space deeper than the
    one timed the projection is a lower bound. Raises ValueError for ``layers`` outside
    [1, max_layers], ``ops`` < 1, or a non-positive time.
    """
    _check_count(1, ops=ops, epochs=epochs, max_layers=max_layers)
    _check_count(1, layers=layers)
    if layers > max_layers:
        raise ValueError(f"layers must be at most {max_layers=}, but got {layers=}")
    _check_positive(seconds_per_epoch=seconds_per_epoch)
    seconds_per_arch = seconds_per_epoch * epochs
    depths = np.arange(1, max_layers + 1)
    count = ops ** layers  # exact Python integer for the title

    figure = Figure(figsize=(7.5, 4.4), layout="constrained")
    axes = figure.add_subplot()
    curves = sorted({*REFERENCE_OPS, ops})
    for number in curves:  # floats: 10 ** 20 overflows int64
        axes.plot(depths, float(number) ** depths, color=PUBLISHED_COLOR if number == ops
                  else "0.75", linewidth=2.2 if number == ops else 1, zorder=3 if number == ops
                  else 2)
    axes.plot([layers], [float(count)], "o", color=OURS_COLOR, markersize=10, zorder=4)
    axes.set_yscale("log")
    axes.set_ylim(0.5, 10 * float(max(curves)) ** max_layers)  # the same for every ops
    axes.set_xlim(0.5, max_layers + 0.2 * max_layers)           # room for the labels
    axes.set_xlabel("layers (one op chosen per layer)")
    axes.set_ylabel("architectures in the space (log scale)")
    axes.set_xticks(depths[::2] if max_layers > 10 else depths)
    days = axes.secondary_yaxis(
        "right", functions=(lambda n: n * seconds_per_arch / SECONDS_PER_DAY,
                            lambda d: d * SECONDS_PER_DAY / seconds_per_arch))
    days.set_ylabel("days to train each once (log scale)")
    axes.grid(True, which="major", alpha=0.3)
    axes.set_title(f"{ops} ops, {layers} layers: {count:,} architectures\n"
                   f"training each once ({epochs} epochs at {seconds_per_epoch:.2g} s): "
                   f"{format_duration(count * seconds_per_arch)}", fontsize=10)
    direct_labels(axes, [(max_layers, float(number) ** max_layers) for number in curves],
                  [f"{number} ops" for number in curves],
                  [PUBLISHED_COLOR if number == ops else "0.45" for number in curves])
    return figure


def candidate_times(recorded_seconds: Sequence[float], measured: Mapping[str, float]) -> Figure:
    """Where the candidates timed here fall among the training times the table recorded.

    ``recorded_seconds``: seconds to train each architecture of the space once (e.g. the 625 of
    ``Bench.training_cost(arch).seconds``), drawn as a histogram with its mean dashed;
    ``measured``: architecture name -> seconds measured here for the same protocol, one solid
    vertical line each. Raises ValueError on an empty or non-positive input.
    """
    recorded = np.asarray(recorded_seconds, dtype=float)
    if recorded.ndim != 1 or len(recorded) == 0:
        raise ValueError(f"recorded_seconds must be a non-empty list of seconds, "
                         f"but got shape {recorded.shape}")
    if not measured:
        raise ValueError("measured must name at least one timed candidate, but got none")
    _check_positive(**{"recorded_seconds (smallest)": float(recorded.min())})
    for name, seconds in measured.items():
        _check_positive(**{f"measured[{name!r}]": seconds})

    figure = Figure(figsize=(7, 3.8), layout="constrained")
    axes = figure.add_subplot()
    heights, _, _ = axes.hist(recorded, bins=30, color=PUBLISHED_COLOR, alpha=0.6,
                              label=f"recorded, all {len(recorded)} architectures")
    axes.set_ylim(0, (1.25 + 0.08 * len(measured)) * heights.max())  # room for the legend
    axes.axvline(recorded.mean(), color=PUBLISHED_COLOR, linestyle="--",
                 label=f"recorded mean {recorded.mean():.2f} s")
    colors = ("tab:orange", "tab:red", "tab:green", "tab:purple", "tab:brown", "tab:olive")
    for i, (name, seconds) in enumerate(measured.items()):
        axes.axvline(seconds, color=colors[i % len(colors)], linewidth=2,
                     label=f"timed here: {name} ({seconds:.2f} s)")
    axes.set_xlabel("seconds to train one architecture once")
    axes.set_ylabel("architectures (count per bin)")
    axes.set_title("Training time per architecture: the table's record and the candidates "
                   "timed here", fontsize=10)
    axes.legend(fontsize=8, loc="upper right")
    return figure


def search_costs(ours: Mapping[str, float],
                 published: Sequence[SearchCost] = PUBLISHED_SEARCH_COSTS) -> Figure:
    """Search costs on one log-scale axis: ``ours`` (label -> days of one CPU core) in orange,
    the ``published`` GPU-day figures in blue, largest at the top, each bar labelled with its
    value. Raises ValueError on a non-positive cost or when both inputs are empty.
    """
    rows = [(label, float(days), OURS_COLOR) for label, days in ours.items()]
    rows += [(entry.method, float(entry.gpu_days), PUBLISHED_COLOR) for entry in published]
    if not rows:
        raise ValueError("nothing to draw: ours and published are both empty")
    for label, days, _ in rows:
        _check_positive(**{f"cost of {label!r}": days})
    rows.sort(key=lambda row: row[1])

    figure = Figure(figsize=(8, 0.45 * len(rows) + 1.4), layout="constrained")
    axes = figure.add_subplot()
    positions = np.arange(len(rows))
    axes.barh(positions, [days for _, days, _ in rows], color=[color for *_, color in rows])
    for position, (_, days, _) in zip(positions, rows):
        axes.annotate(_readable(days), (days, position), xytext=(3, 0),
                      textcoords="offset points", va="center", fontsize=8)
    axes.set_yticks(positions, [label for label, _, _ in rows], fontsize=8)
    axes.set_xscale("log")
    axes.set_xlim(right=10 * max(days for _, days, _ in rows))  # room for the labels
    axes.xaxis.set_major_formatter(FuncFormatter(lambda days, _: f"{days:,g}"))
    axes.set_xlabel("days of compute\n(published: GPU-days on CIFAR-10; ours: one CPU core, "
                    "8x8 digits)", fontsize=9)
    axes.grid(True, axis="x", which="major", alpha=0.3)
    figure.suptitle("Search costs: published NAS methods and ours (log scale)", fontsize=10)
    axes.legend(handles=[Patch(color=OURS_COLOR, label="ours: measured or extrapolated here"),
                         Patch(color=PUBLISHED_COLOR, label="published (source in the table)")],
                fontsize=8, loc="lower right")
    return figure
