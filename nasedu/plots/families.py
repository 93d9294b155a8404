"""Figures for lesson 5, the other estimator families: DARTS' architecture weights over
training, and the accuracy-latency front under a latency budget.

Every function returns a matplotlib ``Figure`` built without pyplot state, so it serves as a
widget callback (``nasedu.widgets.View``) and is tested by calling it directly.

>>> import numpy as np
>>> from nasedu.space import get_space
>>> history = [(0.0, np.full((3, 2), 0.5)), (1.0, np.array([[0.9, 0.1]] * 3))]
>>> architecture_weights(history, get_space("convpool"), step=1).axes[0].get_title()
'layer 1: conv3x3 0.90'
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from ..latency import best_under, pareto_front
from ..space import OPS, Architecture, SearchSpace

OP_COLORS = {"conv3x3": "tab:blue", "conv5x5": "tab:purple", "maxpool3x3": "tab:orange",
             "avgpool3x3": "tab:red", "skip": "tab:green"}
FRONT_COLOR, OTHER_COLOR, PICK_COLOR, BEST_COLOR = "black", "0.7", "tab:red", "tab:green"


def architecture_weights(history: Sequence[tuple[float, np.ndarray]], space: SearchSpace,
                         step: int) -> Figure:
    """DARTS' softmax weights of every op of every layer over training, up to ``step``.

    ``history``: ``[(epoch-equivalents spent, (num_layers, num_ops) softmax weights)]`` as
    ``nasedu.darts.search`` records it (entry 0 before the first step); ``step`` in
    ``[0, len(history) - 1]``. One panel per layer; ops without weights are dashed, the uniform
    weight ``1 / num_ops`` dotted grey, and each panel's title names its heaviest op at ``step``.
    """
    if not 0 <= step < len(history) or isinstance(step, bool):
        raise ValueError(f"step must be in [0, {len(history) - 1}], but got {step=}")
    spent = np.array([epochs for epochs, _ in history])
    weights = np.stack([w for _, w in history])  # (steps + 1, layers, ops)
    if weights.shape[1:] != (space.num_layers, len(space.ops)):
        raise ValueError(f"history holds weights of shape {weights.shape[1:]}, but space "
                         f"{space.name!r} has {space.num_layers} layers of {len(space.ops)} ops")
    figure = Figure(figsize=(3.2 * space.num_layers, 3.0), layout="constrained")
    axes = figure.subplots(1, space.num_layers, sharey=True, squeeze=False)[0]
    for layer, ax in enumerate(axes):
        for index, op in enumerate(space.ops):
            ax.plot(spent[:step + 1], weights[:step + 1, layer, index], label=op,
                    color=OP_COLORS.get(op), linestyle="-" if OPS[op].has_weights else "--")
        ax.axhline(1 / len(space.ops), color="0.6", linestyle=":", linewidth=1)
        heaviest = int(weights[step, layer].argmax())
        ax.set_title(f"layer {layer + 1}: {space.ops[heaviest]} "
                     f"{weights[step, layer, heaviest]:.2f}")
        ax.set_xlim(0, max(spent[-1], 1e-9))
        ax.set_ylim(0, 1)
        ax.set_xlabel("epoch-equivalents spent")
    axes[0].set_ylabel("softmax weight of the op")
    axes[-1].legend(fontsize=8, loc="upper left")
    free = sum(weights[step, :, i].sum() for i, op in enumerate(space.ops)
               if not OPS[op].has_weights) / space.num_layers
    figure.suptitle(f"step {step} of {len(history) - 1}: ops without weights hold "
                    f"{free:.0%} of the weight per layer")
    return figure


def latency_front(accuracy: Mapping[Architecture, float], latency: Mapping[Architecture, float],
                  scores: Mapping[Architecture, float], budget: float,
                  estimator: str = "estimator") -> Figure:
    """True accuracy (fractions, drawn in %) against latency (seconds, drawn in ms) of every
    architecture, the Pareto front, and a search under ``budget`` seconds: the architecture
    ``scores`` rank best among those that fit (red star) and the truly best that fits (green
    ring), with the regret in the title."""
    if not accuracy or set(accuracy) != set(latency) or not set(accuracy) <= set(scores):
        raise ValueError("accuracy, latency and scores must cover the same architectures")
    archs = list(accuracy)
    figure = Figure(figsize=(7, 4.2), layout="constrained")
    ax = figure.subplots()
    ax.scatter([1000 * latency[a] for a in archs], [100 * accuracy[a] for a in archs], s=12,
               color=OTHER_COLOR, label="architectures")
    front = pareto_front(accuracy, latency)
    ax.step([1000 * latency[a] for a in front], [100 * accuracy[a] for a in front],
            where="post", color=FRONT_COLOR, label="Pareto front")
    ax.axvspan(1000 * budget, 1000 * max(max(latency.values()), budget) * 1.05, color="0.9",
               label="over the budget")
    pick = best_under({a: scores[a] for a in archs}, latency, budget)
    best = best_under(accuracy, latency, budget)
    if pick is None:
        title = f"no architecture runs within {1000 * budget:.3f} ms"
    else:
        ax.scatter([1000 * latency[pick]], [100 * accuracy[pick]], marker="*", s=200,
                   color=PICK_COLOR, label=f"{estimator}'s pick", zorder=3)
        ax.scatter([1000 * latency[best]], [100 * accuracy[best]], s=160, facecolors="none",
                   edgecolors=BEST_COLOR, linewidths=2, label="best within budget", zorder=3)
        title = (f"within {1000 * budget:.3f} ms: {estimator} picks {pick.arrow()} "
                 f"({100 * accuracy[pick]:.1f}%), regret "
                 f"{100 * (accuracy[best] - accuracy[pick]):.2f} points")
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("latency, ms (median, one thread)")
    ax.set_ylabel("true accuracy, %")
    ax.legend(fontsize=8, loc="lower right")
    return figure
