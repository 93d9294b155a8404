"""Lesson 2's figures and its widget callback, called directly."""
import functools
import math

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.figure import Figure

from nasedu.bench import load
from nasedu.metrics import kendall_tau
from nasedu.models import SuperNet, count_parameters
from nasedu.plots.sharing import (compare_estimates, estimate_vs_truth, inherited_weights,
                                  pick_architecture, ranking_quality)
from nasedu.space import Architecture, get_space
from nasedu.widgets import View


@pytest.fixture(scope="module")
def convpool_bench():
    return load("convpool")


@pytest.fixture(scope="module")
def estimates(convpool_bench):
    """A score per convpool architecture: minus a made-up validation loss."""
    losses = np.random.default_rng(0).uniform(0.2, 2.0, len(convpool_bench.archs))
    return {arch: -float(loss) for arch, loss in zip(convpool_bench.archs, losses)}


def boxes(figure: Figure, gid: str, axes_index: int = 0) -> list:
    return [p for p in figure.axes[axes_index].patches if p.get_gid() == gid]


def box_centres(figure: Figure, gid: str, axes_index: int = 0) -> set[tuple[float, float]]:
    """(column, row) of each box: column 1 is layer 1, row i is the space's i-th op."""
    return {(round(b.get_x() + b.get_width() / 2, 3), round(b.get_y() + b.get_height() / 2, 3))
            for b in boxes(figure, gid, axes_index)}


def scatter_points(axes) -> int:
    return sum(len(collection.get_offsets()) for collection in axes.collections)


@pytest.mark.parametrize("space_name, arch", [
    ("convpool", "conv -> pool -> conv"),
    ("five-op", "conv5x5 -> skip -> avgpool3x3 -> conv3x3"),
])
def test_inherited_weights_counts_what_the_supernet_holds(space_name, arch):
    space = get_space(space_name)
    supernet = SuperNet(space)
    title = inherited_weights(space, arch).axes[0].get_title()
    inherited = count_parameters(supernet.inherit(arch))
    assert f"inherits {inherited:,} of the supernet's {count_parameters(supernet):,}" in title


def test_inherited_weights_highlights_one_op_per_layer_on_the_path():
    space = get_space("five-op")
    figure = inherited_weights(space, "conv5x5 -> skip -> avgpool3x3 -> conv3x3")
    assert box_centres(figure, "path") == {(1, 1), (2, 4), (3, 3), (4, 0)}
    assert len(boxes(figure, "idle")) == space.num_layers * (len(space.ops) - 1)
    assert len(boxes(figure, "shared")) == 2  # the stem and the head


def test_inherited_weights_follows_the_architecture():
    space = get_space("convpool")
    first = inherited_weights(space, "conv -> pool -> conv")
    second = inherited_weights(space, "pool -> pool -> conv")
    assert box_centres(first, "path") == {(1, 0), (2, 1), (3, 0)}
    assert box_centres(second, "path") == {(1, 1), (2, 1), (3, 0)}
    assert first.axes[0].get_title() != second.axes[0].get_title()


@pytest.mark.parametrize("arch, arguments, named", [
    ("conv -> conv5x5 -> conv", {}, "'conv5x5'"),
    ("conv -> pool", {}, "2 layers"),
    ("conv -> pool -> conv", {"channels": 0}, "channels=0"),
    ("conv -> pool -> conv", {"num_classes": 2.5}, "num_classes=2.5"),
])
def test_inherited_weights_rejects_bad_arguments_by_name(arch, arguments, named):
    with pytest.raises(ValueError, match=named):
        inherited_weights(get_space("convpool"), arch, **arguments)


def test_estimate_vs_truth_draws_every_architecture_and_zooms_on_the_top():
    true = np.linspace(0.3, 0.99, 40)
    estimated = -np.linspace(2.0, 0.5, 40) + np.random.default_rng(1).normal(0, 0.3, 40)
    figure = estimate_vs_truth(estimated, true)
    whole, zoom = figure.axes
    assert scatter_points(whole) == 40
    assert scatter_points(zoom) == math.ceil(0.1 * 40)
    assert f"Kendall tau {kendall_tau(estimated, true):.2f}" in whole.get_title()
    top = np.argsort(-true)[:4]
    assert f"Kendall tau {kendall_tau(estimated[top], true[top]):.2f}" in zoom.get_title()


def test_estimate_vs_truth_title_follows_the_order_of_the_estimates():
    true = np.linspace(0.5, 0.95, 20)
    assert "tau 1.00" in estimate_vs_truth(true * 3 - 7, true).axes[0].get_title()
    assert "tau -1.00" in estimate_vs_truth(-true, true).axes[0].get_title()
    assert scatter_points(estimate_vs_truth(-true, true, top_fraction=0.5).axes[1]) == 10


@pytest.mark.parametrize("estimated, true, arguments, named", [
    ([0.1, 0.2, 0.3], [0.5, 0.6], {}, "3 values but true has 2"),
    ([0.1, 0.2, np.nan], [0.5, 0.6, 0.7], {}, "NaN"),
    ([0.1, 0.2, 0.3], [50.0, 60.0, 70.0], {}, r"accuracies in \[0, 1\]"),
    ([0.1, 0.2, 0.3], [0.5, 0.6, 0.7], {"top_fraction": 0.0}, "top_fraction=0.0"),
    ([0.1, 0.2, 0.3], [0.5, 0.6, 0.7], {"top_fraction": 0.1}, "keeps 1 of 3"),
])
def test_estimate_vs_truth_rejects_bad_arguments(estimated, true, arguments, named):
    with pytest.raises(ValueError, match=named):
        estimate_vs_truth(estimated, true, **arguments)


def test_compare_estimates_draws_one_panel_per_estimate_with_its_tau():
    true = np.linspace(0.4, 0.98, 30)
    noisy = true + np.random.default_rng(2).normal(0, 0.2, 30)
    figure = compare_estimates(true, {"noisy": noisy, "reversed": -true, "exact": true})
    assert len(figure.axes) == 3
    titles = [axes.get_title() for axes in figure.axes]
    assert titles[0].startswith("noisy") and f"tau {kendall_tau(noisy, true):.2f}" in titles[0]
    assert "tau -1.00" in titles[1] and "tau 1.00" in titles[2]
    assert all(scatter_points(axes) == 30 for axes in figure.axes)


@pytest.mark.parametrize("estimates, named", [
    ({}, "at least one estimate"),
    ({"short": [0.1, 0.2]}, r"estimates\['short'\] has 2 values"),
    ({"broken": [0.1, np.inf, 0.3]}, r"estimates\['broken'\]"),
])
def test_compare_estimates_rejects_bad_estimates_by_name(estimates, named):
    with pytest.raises(ValueError, match=named):
        compare_estimates([0.5, 0.6, 0.7], estimates)


def test_ranking_quality_draws_one_bar_per_ranking_and_the_ceiling():
    rows = {"weight sharing": (0.76, 0.41), "parameter count": (0.64, -0.01),
            "random": (0.0, -0.2)}
    figure = ranking_quality(rows, (0.82, 0.27))
    for column, axes in enumerate(figure.axes):
        widths = sorted(bar.get_width() for bar in axes.patches)
        assert widths == pytest.approx(sorted(values[column] for values in rows.values()))
        ceiling_lines = [line for line in axes.lines if line.get_linestyle() == "--"]
        assert [line.get_xdata()[0] for line in ceiling_lines] == [(0.82, 0.27)[column]]
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert sorted(labels) == sorted(rows)


@pytest.mark.parametrize("rows, ceiling, named", [
    ({}, (0.8, 0.3), "at least one ranking"),
    ({"too good": (1.5, 0.2)}, (0.8, 0.3), "'too good'"),
    ({"undefined": (0.5, float("nan"))}, (0.8, 0.3), "'undefined'"),
    ({"fine": (0.5, 0.2)}, (0.8,), "'ceiling'"),
])
def test_ranking_quality_rejects_bad_taus_by_name(rows, ceiling, named):
    with pytest.raises(ValueError, match=named):
        ranking_quality(rows, ceiling)


def test_pick_architecture_puts_the_estimate_beside_the_truth(convpool_bench, estimates):
    arch = Architecture.parse("conv -> pool -> conv")
    figure = pick_architecture(estimates, convpool_bench, layer_1="conv3x3",
                               layer_2="maxpool3x3", layer_3="conv3x3")
    grid, scatter = figure.axes
    assert box_centres(figure, "path") == {(1, 0), (2, 1), (3, 0)}
    assert scatter_points(scatter) == len(convpool_bench.archs) + 1  # every one, plus the star
    star = scatter.collections[-1].get_offsets()[0]
    assert tuple(star) == pytest.approx((estimates[arch], 100 * convpool_bench.final(arch)))
    rank = 1 + sum(value > estimates[arch] for value in estimates.values())
    true_rank = 1 + int((convpool_bench.finals() > convpool_bench.final(arch)).sum())
    title = scatter.get_title()
    assert f"validation loss {-estimates[arch]:.3f} (rank {rank} of 8)" in title
    assert f"accuracy {convpool_bench.final(arch):.1%} (rank {true_rank} of 8)" in title


def test_pick_architecture_reads_accuracy_scores_as_accuracies(convpool_bench):
    accuracies = {arch: 0.1 * (i + 1) for i, arch in enumerate(convpool_bench.archs)}
    title = pick_architecture(accuracies, convpool_bench, score="accuracy", layer_1="pool",
                              layer_2="pool", layer_3="pool").axes[1].get_title()
    assert "validation accuracy 80.0% (rank 1 of 8)" in title  # pool-pool-pool is last


def test_pick_architecture_widget_redraws_when_a_dropdown_changes(convpool_bench, estimates):
    dropdowns = {f"layer_{i + 1}": widgets.Dropdown(options=list(convpool_bench.space.ops),
                                                    value="conv3x3") for i in range(3)}
    view = View(functools.partial(pick_architecture, estimates, convpool_bench), **dropdowns)
    before = view.result.axes[1].get_title()
    assert box_centres(view.result, "path") == {(1, 0), (2, 0), (3, 0)}
    view.controls["layer_2"].value = "maxpool3x3"
    assert box_centres(view.result, "path") == {(1, 0), (2, 1), (3, 0)}
    assert view.result.axes[1].get_title() != before


@pytest.mark.parametrize("arguments, named", [
    ({"layer_1": "conv", "layer_2": "conv"}, r"\['layer_1', 'layer_2', 'layer_3'\]"),
    ({"layer_1": "conv", "layer_2": "conv", "layer_3": "conv", "layer_4": "conv"}, "layer_4"),
    ({"layer_1": "conv", "layer_2": "skip", "layer_3": "conv"}, "'skip'"),
    ({"layer_1": "conv", "layer_2": "conv", "layer_3": "conv", "score": "top-1"}, "'top-1'"),
])
def test_pick_architecture_rejects_bad_choices_by_name(convpool_bench, estimates, arguments,
                                                       named):
    with pytest.raises(ValueError, match=named):
        pick_architecture(estimates, convpool_bench, **arguments)


def test_pick_architecture_needs_an_estimate_for_every_architecture(convpool_bench, estimates):
    partial = dict(list(estimates.items())[:5])
    with pytest.raises(ValueError, match="lacks 3 of the 8"):
        pick_architecture(partial, convpool_bench, layer_1="conv", layer_2="conv",
                          layer_3="conv")
