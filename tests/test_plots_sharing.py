"""Lesson 2's figures as a reader sees them (the words on them, the colours drawn), the one tie
rule of its ranks, and its widget driven headless."""
import functools

import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.figure import Figure

from nasedu.bench import load
from nasedu.metrics import kendall_tau
from nasedu.models import SuperNet, count_parameters
from nasedu.plots.sharing import (PATH_COLOR, compare_estimates, estimate_vs_truth,
                                  inherited_weights, pick_architecture, ranks)
from nasedu.plots.style import drawn_shares, label_problems, renderer, visible_texts
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


def words(figure: Figure) -> list[str]:
    return [text.get_text() for text in visible_texts(figure)]


def highlighted(figure: Figure) -> list[str]:
    """The boxes a reader sees in the path's colour, as (op, layer) read left to right."""
    measure = renderer(figure)
    boxes = [text for text in visible_texts(figure) if "weights" in text.get_text()]
    shares = drawn_shares(figure, [text.get_window_extent(measure) for text in boxes],
                          PATH_COLOR)
    on_path = [text for text, share in zip(boxes, shares) if share > 0.5]
    return [text.get_text().splitlines()[0] for text in
            sorted(on_path, key=lambda text: text.get_window_extent(measure).x0)]


def test_ranks_share_the_best_rank_between_ties():
    values = np.array([0.5, 0.9, 0.7, 0.9, 0.5])
    assert ranks(values).tolist() == [4, 1, 3, 1, 4]
    shuffled = np.random.default_rng(3).integers(0, 20, 200).astype(float)  # many ties
    expected = [1 + int((shuffled > value).sum()) for value in shuffled]
    assert ranks(shuffled).tolist() == expected


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


@pytest.mark.parametrize("arch, path", [
    ("conv -> pool -> conv", ["conv3x3", "maxpool3x3", "conv3x3"]),
    ("pool -> pool -> conv", ["maxpool3x3", "maxpool3x3", "conv3x3"]),
])
def test_inherited_weights_colours_the_path_one_op_per_layer(arch, path):
    figure = inherited_weights(get_space("convpool"), arch)
    assert highlighted(figure) == path
    assert {"layer 1", "layer 2", "layer 3"} <= set(words(figure))
    assert label_problems(figure) == []


@pytest.mark.parametrize("arch, arguments, named", [
    ("conv -> conv5x5 -> conv", {}, "'conv5x5'"),
    ("conv -> pool", {}, "2 layers"),
    ("conv -> pool -> conv", {"channels": 0}, "channels=0"),
    ("conv -> pool -> conv", {"num_classes": 2.5}, "num_classes=2.5"),
])
def test_inherited_weights_rejects_bad_arguments_by_name(arch, arguments, named):
    with pytest.raises(ValueError, match=named):
        inherited_weights(get_space("convpool"), arch, **arguments)


def test_estimate_vs_truth_gives_the_tau_of_every_architecture_and_of_the_top():
    true = np.linspace(0.3, 0.99, 40)
    estimated = -np.linspace(2.0, 0.5, 40) + np.random.default_rng(1).normal(0, 0.3, 40)
    figure = estimate_vs_truth(estimated, true)
    whole, zoom = figure.axes
    assert f"Kendall tau {kendall_tau(estimated, true):.2f}" in whole.get_title()
    top = np.argsort(-true)[:4]
    assert f"only the true top 10% (4): Kendall tau " \
           f"{kendall_tau(estimated[top], true[top]):.2f}" in zoom.get_title()
    assert figure.get_suptitle() and "true accuracy (%)" in whole.get_ylabel()
    low, high = whole.get_ylim()
    assert low <= 30 and high >= 99  # accuracies drawn in percent, all of them
    assert label_problems(figure) == []


def test_estimate_vs_truth_title_follows_the_order_of_the_estimates():
    true = np.linspace(0.5, 0.95, 20)
    assert "tau 1.00" in estimate_vs_truth(true * 3 - 7, true).axes[0].get_title()
    assert "tau -1.00" in estimate_vs_truth(-true, true).axes[0].get_title()
    assert "top 50% (10)" in estimate_vs_truth(-true, true, top_fraction=0.5).axes[1].get_title()


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


def test_compare_estimates_titles_each_panel_with_its_name_and_tau():
    true = np.linspace(0.4, 0.98, 30)
    noisy = true + np.random.default_rng(2).normal(0, 0.2, 30)
    figure = compare_estimates(true, {"noisy": noisy, "reversed": -true, "exact": true})
    titles = [axes.get_title() for axes in figure.axes]
    assert titles[0] == f"noisy\nKendall tau {kendall_tau(noisy, true):.2f}"
    assert "tau -1.00" in titles[1] and "tau 1.00" in titles[2]
    assert "3 estimates of the same 30 architectures" in figure.get_suptitle()
    assert label_problems(figure) == []


@pytest.mark.parametrize("estimates, named", [
    ({}, "at least one estimate"),
    ({"short": [0.1, 0.2]}, r"estimates\['short'\] has 2 values"),
    ({"broken": [0.1, np.inf, 0.3]}, r"estimates\['broken'\]"),
])
def test_compare_estimates_rejects_bad_estimates_by_name(estimates, named):
    with pytest.raises(ValueError, match=named):
        compare_estimates([0.5, 0.6, 0.7], estimates)


def test_pick_architecture_puts_the_estimate_beside_the_truth(convpool_bench, estimates):
    arch = Architecture.parse("conv -> pool -> conv")
    figure = pick_architecture(estimates, convpool_bench, layer_1="conv3x3",
                               layer_2="maxpool3x3", layer_3="conv3x3")
    assert highlighted(figure) == ["conv3x3", "maxpool3x3", "conv3x3"]
    index = convpool_bench.archs.index(arch)
    rank = ranks([estimates[a] for a in convpool_bench.archs])[index]
    true_rank = ranks(convpool_bench.finals())[index]
    title = figure.axes[1].get_title()
    assert f"validation loss {-estimates[arch]:.3f} (rank {rank} of 8)" in title
    assert f"accuracy {convpool_bench.final(arch):.1%} (rank {true_rank} of 8;" in title
    assert "conv -> pool -> conv" in words(figure)  # the star's legend entry
    assert label_problems(figure) == []


def test_pick_architecture_ranks_ties_as_the_lesson_does(convpool_bench):
    tied = {arch: 0.5 if arch.ops[0] == "conv3x3" else 0.1 for arch in convpool_bench.archs}
    title = pick_architecture(tied, convpool_bench, score="accuracy", layer_1="conv",
                              layer_2="pool", layer_3="pool").axes[1].get_title()
    assert "validation accuracy 50.0% (rank 1 of 8)" in title  # four share the first place
    title = pick_architecture(tied, convpool_bench, score="accuracy", layer_1="pool",
                              layer_2="pool", layer_3="pool").axes[1].get_title()
    assert "validation accuracy 10.0% (rank 5 of 8)" in title


def test_pick_architecture_widget_redraws_when_a_dropdown_changes(convpool_bench, estimates):
    dropdowns = {f"layer_{i + 1}": widgets.Dropdown(options=list(convpool_bench.space.ops),
                                                    value="conv3x3") for i in range(3)}
    view = View(functools.partial(pick_architecture, estimates, convpool_bench), **dropdowns)
    before = view.result.axes[1].get_title()
    assert highlighted(view.result) == ["conv3x3"] * 3
    view.controls["layer_2"].value = "maxpool3x3"
    assert highlighted(view.result) == ["conv3x3", "maxpool3x3", "conv3x3"]
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
