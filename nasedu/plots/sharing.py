"""Figures for lesson 2, weight sharing: which supernet weights a path inherits, how well the
inherited-weight estimates rank architectures against the ground truth, and a picker that puts
one architecture's estimate beside its truth, both ranked by ``ranks`` (ties share a rank).
The bars that hold rankings against the noise ceiling are ``nasedu.plots.compare``'s.

Every function returns a matplotlib ``Figure`` built without pyplot state, so it serves as a
widget callback (``nasedu.widgets.View``) and is tested by calling it directly. True accuracies
go in as fractions in [0, 1] and are drawn in percent; estimates are scores on any scale,
higher is better (``evaluate_all`` gives the negated validation loss or the accuracy).

>>> from nasedu.space import get_space
>>> fig = inherited_weights(get_space("convpool"), "conv -> pool -> conv")
>>> fig.axes[0].get_title()
"conv -> pool -> conv inherits 5,018 of the supernet's 7,354 weights"
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ..metrics import kendall_tau, top_k_indices
from ..models import DEFAULT_CHANNELS, count_parameters, head, stem
from ..sharing import SCORES
from ..space import OPS, Architecture, SearchSpace

if TYPE_CHECKING:
    from ..bench import Bench

PATH_COLOR, SHARED_COLOR, IDLE_COLOR = "tab:orange", "tab:blue", "0.92"
TOP_COLOR, REST_COLOR = "tab:red", "0.6"
BOX_WIDTH, BOX_HEIGHT = 0.82, 0.72


def ranks(values: Sequence[float]) -> np.ndarray:
    """Each value's rank, highest first, ties sharing the best rank (competition ranking):
    1 + how many values are strictly higher. The one tie rule of the lessons' ranks.

    >>> ranks([0.5, 0.9, 0.7, 0.9]).tolist()
    [4, 1, 3, 1]
    """
    values = np.asarray(values, dtype=float)
    ascending = np.sort(values)
    return 1 + len(values) - np.searchsorted(ascending, values, side="right")


def _check_values(name: str, values: Sequence[float], accuracies: bool = False) -> np.ndarray:
    """``values`` as a 1-d array of at least 2 finite numbers, in [0, 1] for ``accuracies``."""
    values = np.asarray(values, dtype=float)
    kind = "accuracies" if accuracies else "scores"
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"{name} must be a list of at least 2 {kind}, but got shape "
                         f"{values.shape}")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must be finite numbers, but it holds NaN or inf")
    if accuracies and (values.min() < 0 or values.max() > 1):
        raise ValueError(f"{name} must hold accuracies in [0, 1], but got values from "
                         f"{values.min()!r} to {values.max()!r}")
    return values


def _check_aligned(true: np.ndarray, **estimates: np.ndarray) -> None:
    for name, values in estimates.items():
        if len(values) != len(true):
            raise ValueError(f"{name} has {len(values)} values but true has {len(true)}; "
                             f"they must describe the same architectures in the same order")


def _weight_counts(space: SearchSpace, channels: int, in_channels: int,
                   num_classes: int) -> tuple[int, dict[str, int], int]:
    """(stem, op -> weights of that op in one layer, head): what a SuperNet of ``space``
    instantiates, counted from the same factories."""
    for name, value in (("channels", channels), ("in_channels", in_channels),
                        ("num_classes", num_classes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, but got {name}={value!r}")
    per_op = {op: count_parameters(OPS[op].build(channels)) for op in space.ops}
    return (count_parameters(stem(in_channels, channels)), per_op,
            count_parameters(head(channels, num_classes)))


def _box(axes: Axes, x: float, y: float, height: float, color: str, text: str,
         gid: str) -> None:
    patch = FancyBboxPatch((x - BOX_WIDTH / 2, y - height / 2), BOX_WIDTH, height,
                           boxstyle="round,pad=0.02", facecolor=color, edgecolor="0.3",
                           linewidth=0.8)
    patch.set_gid(gid)
    axes.add_patch(patch)
    dark = color in (PATH_COLOR, SHARED_COLOR)
    axes.text(x, y, text, ha="center", va="center", fontsize=8,
              color="white" if dark else "0.2")


def _weights_label(count: int) -> str:
    return f"{count:,} weights" if count else "no weights"


def _draw_path(axes: Axes, space: SearchSpace, arch: Architecture, channels: int,
               in_channels: int, num_classes: int) -> tuple[int, int]:
    """The supernet as a grid (one column per layer, one row per op) with ``arch``'s path
    highlighted; returns (weights the path inherits, weights of the whole supernet)."""
    stem_weights, per_op, head_weights = _weight_counts(space, channels, in_channels,
                                                        num_classes)
    rows, columns = len(space.ops), space.num_layers
    middle = (rows - 1) / 2
    _box(axes, 0, middle, rows - 1 + BOX_HEIGHT, SHARED_COLOR,
         f"stem\n(every path)\n{_weights_label(stem_weights)}", "shared")
    _box(axes, columns + 1, middle, rows - 1 + BOX_HEIGHT, SHARED_COLOR,
         f"head\n(every path)\n{_weights_label(head_weights)}", "shared")
    for layer in range(columns):
        for row, op in enumerate(space.ops):
            chosen = arch.ops[layer] == op
            _box(axes, layer + 1, row, BOX_HEIGHT, PATH_COLOR if chosen else IDLE_COLOR,
                 f"{op}\n{_weights_label(per_op[op])}", "path" if chosen else "idle")
    # Arrows along the path: stem -> chosen op of each layer -> head.
    rows_on_path = [space.ops.index(op) for op in arch.ops]
    stops = [(0, rows_on_path[0])] + [(layer + 1, row) for layer, row in
                                     enumerate(rows_on_path)] + [(columns + 1, rows_on_path[-1])]
    for (x0, y0), (x1, y1) in zip(stops, stops[1:]):
        axes.annotate("", xy=(x1 - BOX_WIDTH / 2, y1), xytext=(x0 + BOX_WIDTH / 2, y0),
                      arrowprops={"arrowstyle": "->", "color": PATH_COLOR, "linewidth": 2})
    axes.set_xlim(-0.6, columns + 1.6)
    axes.set_ylim(rows - 0.4, -0.6)  # first op at the top
    axes.set_xticks(range(columns + 2), ["", *(f"layer {i + 1}" for i in range(columns)), ""])
    axes.set_yticks([])
    axes.tick_params(length=0)
    for side in axes.spines.values():
        side.set_visible(False)
    inherited = stem_weights + head_weights + sum(per_op[op] for op in arch.ops)
    total = stem_weights + head_weights + columns * sum(per_op.values())
    return inherited, total


def inherited_weights(space: SearchSpace, arch: Architecture | str, *,
                      channels: int = DEFAULT_CHANNELS, in_channels: int = 1,
                      num_classes: int = 10) -> Figure:
    """The supernet of ``space`` as a grid, one column per layer and one box per op, with the
    path of ``arch`` in orange: the weights it inherits. The stem and the head (blue) are shared
    by every path. Each box gives the weights that op holds in that layer, counted from the
    same factories ``SuperNet`` uses; the title gives the path's share of all of them.

    Raises ValueError for an architecture outside ``space`` (naming the op or the layer count)
    or a non-positive size.
    """
    arch = space.validate(arch)
    figure = Figure(figsize=(1.25 * (space.num_layers + 2) + 0.4, 0.75 * len(space.ops) + 1.0),
                    layout="constrained")
    axes = figure.add_subplot()
    inherited, total = _draw_path(axes, space, arch, channels, in_channels, num_classes)
    axes.set_title(f"{arch.arrow()} inherits {inherited:,} of the supernet's {total:,} weights",
                   fontsize=10)
    return figure


def _scatter(axes: Axes, estimated: np.ndarray, true: np.ndarray, top: set[int],
             xlabel: str) -> None:
    """Estimated score (x, as given) against true accuracy (y, percent), the true top in red."""
    is_top = np.isin(np.arange(len(true)), sorted(top))
    axes.scatter(estimated[~is_top], 100 * true[~is_top], s=10, color=REST_COLOR,
                 alpha=0.6, label="the rest")
    axes.scatter(estimated[is_top], 100 * true[is_top], s=14, color=TOP_COLOR,
                 label="true top 10%" if len(top) else None)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("true accuracy (%), stand-alone training")
    axes.grid(True, alpha=0.3)


def estimate_vs_truth(estimated: Sequence[float], true: Sequence[float], *,
                      top_fraction: float = 0.1,
                      xlabel: str = "supernet score (higher is better)") -> Figure:
    """Two scatters of estimated score against true accuracy, one point per architecture: on
    the left every architecture with the true top ``top_fraction`` in red, on the right only
    that top. Each title gives the Kendall tau of the points it shows.

    ``estimated``: scores on any scale; ``true``: accuracies in [0, 1] of the same
    architectures in the same order. Raises ValueError when they differ in length, a score is
    not finite, an accuracy leaves [0, 1], or the top holds fewer than 2 architectures (no tau).
    """
    true = _check_values("true", true, accuracies=True)
    estimated = _check_values("estimated", estimated)
    _check_aligned(true, estimated=estimated)
    if not 0 < top_fraction <= 1:
        raise ValueError(f"top_fraction must be in (0, 1], but got {top_fraction=}")
    top = top_k_indices(true, top_fraction)
    if len(top) < 2:
        raise ValueError(f"top_fraction={top_fraction} keeps {len(top)} of {len(true)} "
                         f"architectures; a rank correlation needs at least 2")
    chosen = sorted(top)
    figure = Figure(figsize=(10, 4.3), layout="constrained")
    figure.suptitle("Estimated score against true accuracy, one point per architecture",
                    fontsize=11)
    whole, zoom = figure.subplots(1, 2)
    _scatter(whole, estimated, true, top, xlabel)
    whole.set_title(f"all {len(true)} architectures: Kendall tau "
                    f"{kendall_tau(estimated, true):.2f}", fontsize=10)
    whole.legend(fontsize=8, loc="lower right")
    zoom.scatter(estimated[chosen], 100 * true[chosen], s=16, color=TOP_COLOR)
    zoom.set_xlabel(xlabel)
    zoom.set_ylabel("true accuracy (%)")
    zoom.grid(True, alpha=0.3)
    zoom.set_title(f"only the true top {top_fraction:.0%} ({len(top)}): Kendall tau "
                   f"{kendall_tau(estimated[chosen], true[chosen]):.2f}", fontsize=10)
    return figure


def compare_estimates(true: Sequence[float], estimates: Mapping[str, Sequence[float]]) -> Figure:
    """One scatter per named estimate (name -> scores on any scale, aligned with the
    accuracies ``true`` in [0, 1]) against true accuracy, side by side on a shared
    true-accuracy axis, each titled with its name and Kendall tau. Raises ValueError when
    ``estimates`` is empty or an estimate is misaligned or not finite.
    """
    if not estimates:
        raise ValueError("estimates must name at least one estimate, but got none")
    true = _check_values("true", true, accuracies=True)
    checked = {name: _check_values(f"estimates[{name!r}]", values)
               for name, values in estimates.items()}
    _check_aligned(true, **{f"estimates[{name!r}]": v for name, v in checked.items()})
    figure = Figure(figsize=(4.6 * len(checked), 4.3), layout="constrained")
    plural = "s" if len(checked) > 1 else ""
    figure.suptitle(f"{len(checked)} estimate{plural} of the same {len(true)} architectures "
                    f"against their true accuracy", fontsize=11)
    panels = figure.subplots(1, len(checked), sharey=True, squeeze=False)[0]
    top = top_k_indices(true, 0.1)
    for axes, (name, values) in zip(panels, checked.items()):
        _scatter(axes, values, true, top, name)
        axes.set_title(f"{name}\nKendall tau {kendall_tau(values, true):.2f}", fontsize=10)
    panels[0].legend(fontsize=8, loc="lower right")
    return figure


# How each kind of supernet score reads: (axis label, one value as text).
_SCORE_WORDING = {
    "loss": ("supernet score: minus the validation loss of the inherited weights",
             lambda value: f"validation loss {-value:.3f}"),
    "accuracy": ("supernet score: validation accuracy of the inherited weights",
                 lambda value: f"validation accuracy {value:.1%}"),
}


def pick_architecture(estimates: Mapping[Architecture, float], bench: Bench, *,
                      score: str = "loss", **layers: str) -> Figure:
    """One architecture, chosen op by op (``layer_1="conv3x3", layer_2=...``, one keyword per
    layer of ``bench.space``): on the left its path through the supernet, on the right every
    architecture's inherited-weight score against its true accuracy (``bench.finals()``), the
    chosen one starred, its score, its truth and both ranks in the title.

    ``estimates`` maps every architecture of the space to its score, as ``evaluate_all``
    returns them; ``score`` says which kind (``SupernetConfig.score``: ``"loss"`` for the
    negated validation loss, ``"accuracy"``). Weights are counted for the shipped tables' input
    (one channel, ten classes). Raises ValueError when the keywords are not exactly
    ``layer_1`` .. ``layer_L``, an op is not in the space, ``score`` is unknown, or
    ``estimates`` lacks an architecture of the space.
    """
    if score not in SCORES:
        raise ValueError(f"unknown score {score!r}; choose from {list(SCORES)}")
    space = bench.space
    expected = [f"layer_{i + 1}" for i in range(space.num_layers)]
    if sorted(layers) != sorted(expected):
        raise ValueError(f"expected one op per layer as keywords {expected}, but got "
                         f"{sorted(layers)}")
    arch = space.validate(Architecture(tuple(layers[name] for name in expected)))
    archs = bench.archs
    missing = [a for a in archs if a not in estimates]
    if missing:
        raise ValueError(f"estimates lacks {len(missing)} of the {len(archs)} architectures of "
                         f"{space.name!r}, e.g. {missing[0].arrow()!r}; estimate all of them")
    estimated = _check_values("estimates", [estimates[a] for a in archs])
    true = bench.finals()
    index = archs.index(arch)
    estimate_rank, true_rank = ranks(estimated)[index], ranks(true)[index]
    axis_label, describe = _SCORE_WORDING[score]

    figure = Figure(figsize=(12, 4.2), layout="constrained")
    grid_axes, scatter_axes = figure.subplots(1, 2, width_ratios=[1.35, 1])
    _draw_path(grid_axes, space, arch, bench.protocol.train.channels,
               in_channels=1, num_classes=10)
    grid_axes.set_title(f"{arch.arrow()}: its path through the supernet", fontsize=10)
    _scatter(scatter_axes, estimated, true, top_k_indices(true, 0.1), axis_label)
    scatter_axes.xaxis.label.set_fontsize(9)
    scatter_axes.scatter([estimated[index]], [100 * true[index]], s=260, marker="*",
                         color=PATH_COLOR, edgecolor="black", zorder=3, label=arch.arrow())
    scatter_axes.legend(fontsize=8, loc="lower right")
    scatter_axes.set_title(f"supernet: {describe(estimated[index])} (rank {estimate_rank} of "
                           f"{len(archs)})\ntruth: accuracy {true[index]:.1%} (rank {true_rank} "
                           f"of {len(archs)}; ties share a rank)", fontsize=10)
    return figure
