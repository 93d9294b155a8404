"""Lesson 5's figures, the callbacks of its widgets, called directly."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from nasedu.plots.families import architecture_weights, latency_front
from nasedu.space import Architecture, get_space

CONVPOOL = get_space("convpool")
# Three steps of a made-up run: pooling takes over layer 1, conv holds layers 2 and 3.
HISTORY = [(0.0, np.full((3, 2), 0.5)),
           (0.5, np.array([[0.4, 0.6], [0.6, 0.4], [0.7, 0.3]])),
           (1.0, np.array([[0.2, 0.8], [0.7, 0.3], [0.9, 0.1]]))]


def test_each_layer_draws_every_op_up_to_the_chosen_step_and_names_its_heaviest():
    figure = architecture_weights(HISTORY, CONVPOOL, step=1)
    assert isinstance(figure, Figure) and len(figure.axes) == 3
    first = figure.axes[0]
    pool = [line for line in first.lines if line.get_label() == "maxpool3x3"][0]
    assert list(pool.get_xdata()) == [0.0, 0.5] and list(pool.get_ydata()) == [0.5, 0.6]
    assert pool.get_linestyle() == "--"  # no weights: dashed
    assert [ax.get_title() for ax in figure.axes] == [
        "layer 1: maxpool3x3 0.60", "layer 2: conv3x3 0.60", "layer 3: conv3x3 0.70"]
    assert "43%" in figure.get_suptitle()  # (0.6 + 0.4 + 0.3) / 3 on ops without weights


def test_the_last_step_shows_the_whole_run():
    figure = architecture_weights(HISTORY, CONVPOOL, step=2)
    conv = [line for line in figure.axes[2].lines if line.get_label() == "conv3x3"][0]
    assert list(conv.get_ydata()) == [0.5, 0.7, 0.9]


@pytest.mark.parametrize("step", [-1, 3, True])
def test_a_step_outside_the_history_is_refused(step):
    with pytest.raises(ValueError, match="step"):
        architecture_weights(HISTORY, CONVPOOL, step=step)


def test_a_history_of_another_space_is_refused():
    with pytest.raises(ValueError, match="3 layers of 2 ops"):
        architecture_weights([(0.0, np.full((2, 2), 0.5))], CONVPOOL, step=0)


ARCHS = CONVPOOL.enumerate()[:4]
ACCURACY = dict(zip(ARCHS, [0.90, 0.95, 0.97, 0.80]))
LATENCY = dict(zip(ARCHS, [0.001, 0.002, 0.004, 0.0015]))
SCORES = dict(zip(ARCHS, [0.1, 0.2, 0.9, 0.5]))  # an estimator that likes the slow one


def points(figure, label):
    found = [c for c in figure.axes[0].collections if c.get_label() == label]
    return found[0].get_offsets().tolist() if found else []


def test_the_search_picks_the_best_score_within_the_budget_and_reports_its_regret():
    figure = latency_front(ACCURACY, LATENCY, SCORES, budget=0.0025, estimator="proxy")
    # within 2.5 ms the proxy's favourite is arch 3 (0.5), the truly best is arch 1 (95%)
    assert points(figure, "proxy's pick") == [[1.5, 80.0]]
    assert points(figure, "best within budget") == [[2.0, 95.0]]
    assert "regret 15.00 points" in figure.axes[0].get_title()


def test_the_front_holds_the_undominated_fastest_first():
    figure = latency_front(ACCURACY, LATENCY, SCORES, budget=0.01)
    front = [line for line in figure.axes[0].lines if line.get_label() == "Pareto front"][0]
    assert list(front.get_xdata()) == [1.0, 2.0, 4.0]
    assert "regret 0.00 points" in figure.axes[0].get_title()


def test_a_budget_nothing_fits_says_so():
    figure = latency_front(ACCURACY, LATENCY, SCORES, budget=0.0001)
    assert figure.axes[0].get_title().startswith("no architecture runs within")
    assert points(figure, "estimator's pick") == []


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="same architectures"):
        latency_front(ACCURACY, {ARCHS[0]: 0.001}, SCORES, budget=0.01)
    with pytest.raises(ValueError, match="same architectures"):
        latency_front(ACCURACY, LATENCY, {Architecture(("conv3x3",)): 1.0}, budget=0.01)
