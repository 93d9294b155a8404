"""Lesson 3's figures as a reader sees them: titles, axis labels, legends, the values written
on them, the colours drawn, and text that reads cleanly (``label_problems``)."""
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from nasedu.curves import Ensemble, LastValue, Parametric, Prediction, Predictor
from nasedu.plots.curves import (extrapolation, learning_curves, minimum_epochs, pruned_curves,
                                 rank_correlations, stopping_cost_quality)
from nasedu.plots.style import (drawn_shares, label_problems, renderer, strategy_style,
                                visible_texts)

EPOCHS, FINAL = 12, 6
CEILING = "noise ceiling (full training, one seed)"


def rising(start: float, level: float, rate: float = 0.5) -> list[float]:
    """A smooth learning curve from ``start`` towards ``level`` over EPOCHS epochs."""
    t = np.arange(EPOCHS)
    return list(level - (level - start) * np.exp(-rate * t))


CURVES = {"good": rising(0.4, 0.97), "poor": rising(0.1, 0.6, 0.2)}


def words(figure: Figure) -> list[str]:
    return [text.get_text() for text in visible_texts(figure)]


def predictors() -> list[Predictor]:
    return [LastValue(EPOCHS, FINAL), Parametric("pow3", EPOCHS, FINAL),
            Parametric("mmf", EPOCHS, FINAL), Ensemble(EPOCHS, FINAL)]


class Overshoot(Predictor):
    """Predicts an impossible accuracy, as an unbounded curve family can."""

    name = "overshoot"

    def predict(self, curve):
        return Prediction(1.17, 0.01)


def test_learning_curves_name_every_architecture_and_the_final_epochs():
    figure = learning_curves({"a": [CURVES["good"]] * 3, "b": [CURVES["poor"]] * 2}, FINAL)
    shown = words(figure)
    assert {"a", "b", '"final": mean of the last 6 epochs'} <= set(shown)
    (axes,) = figure.axes
    assert axes.get_title() and axes.get_xlabel() == "epoch"
    assert "validation accuracy" in axes.get_ylabel()
    low, high = axes.get_ylim()
    assert low <= min(CURVES["poor"]) and high >= max(CURVES["good"])
    assert label_problems(figure) == []


def test_learning_curves_rejects_bad_input():
    with pytest.raises(ValueError, match="final_epochs=13"):
        learning_curves({"a": [CURVES["good"]]}, 13)
    with pytest.raises(ValueError, match="same number of epochs"):
        learning_curves({"a": [CURVES["good"]], "b": [CURVES["poor"][:5]]}, FINAL)
    with pytest.raises(ValueError, match="at least one"):
        learning_curves({}, FINAL)


@pytest.mark.parametrize("arch, observed", [("good", 3), ("good", 8), ("poor", 4), ("poor", 1)])
def test_extrapolation_says_what_was_observed_and_reads_cleanly(arch, observed):
    figure = extrapolation(CURVES, arch, observed, predictors())
    shown = words(figure)
    assert f"{arch}: {observed} of {EPOCHS} epochs observed" in shown
    assert f"observed ({observed} epochs)" in shown and "not seen yet (the truth)" in shown
    assert {"last value", "pow3", "mmf", "ensemble"} <= set(shown)  # one tick per predictor
    left, _ = figure.axes
    low, high = left.get_ylim()
    assert low <= min(CURVES[arch]) and max(CURVES[arch]) <= high <= 1.05
    assert label_problems(figure) == []


def test_extrapolation_names_the_predictors_that_need_more_epochs():
    shown = " ".join(words(extrapolation(CURVES, "poor", 3, predictors())))
    assert "mmf: needs 4 epochs" in shown  # four parameters, three points
    assert "needs" not in " ".join(words(extrapolation(CURVES, "poor", 4, predictors())))


def test_extrapolation_explains_a_prediction_above_one_instead_of_hiding_it():
    figure = extrapolation(CURVES, "good", 5, [LastValue(EPOCHS, FINAL), Overshoot(EPOCHS, FINAL)])
    note = " ".join(words(figure))
    assert "overshoot: 1.17" in note and "above 1" in note
    assert figure.axes[0].get_ylim()[1] <= 1.05
    assert label_problems(figure) == []


def test_extrapolation_rejects_bad_arguments():
    with pytest.raises(ValueError, match="'missing'"):
        extrapolation(CURVES, "missing", 3, predictors())
    with pytest.raises(ValueError, match=f"observed={EPOCHS}"):
        extrapolation(CURVES, "good", EPOCHS, predictors())
    with pytest.raises(ValueError, match="observed=0"):
        extrapolation(CURVES, "good", 0, predictors())
    with pytest.raises(ValueError, match="set up for the curve's 12 epochs"):
        extrapolation(CURVES, "good", 3, [LastValue(20, FINAL)])
    with pytest.raises(ValueError, match="at least one Predictor"):
        extrapolation(CURVES, "good", 3, [])


def test_minimum_epochs_follows_the_parameter_count():
    assert minimum_epochs(LastValue(EPOCHS, FINAL)) == 1
    assert minimum_epochs(Parametric("janoschek", EPOCHS, FINAL)) == 4
    assert minimum_epochs(Ensemble(EPOCHS, FINAL, families=("mmf", "janoschek"))) == 4


def test_rank_correlations_names_predictors_and_references_with_their_values():
    taus = {"last value": [0.6, 0.7, 0.72], "pow3": [np.nan, np.nan, 0.65]}
    figure = rank_correlations(taus, [1, 2, 3], {"parameter count": 0.5, CEILING: 0.82})
    shown = words(figure)
    assert {"last value", "pow3", "parameter count (0.50)", f"{CEILING} (0.82)"} <= set(shown)
    (axes,) = figure.axes
    assert axes.get_title() and "Kendall tau" in axes.get_ylabel()
    low, high = axes.get_ylim()
    assert low <= 0.5 and high >= 0.82
    assert label_problems(figure) == []


def test_rank_correlations_rejects_a_row_of_the_wrong_length():
    with pytest.raises(ValueError, match="taus\\['pow3'\\] has 2 values for 3"):
        rank_correlations({"pow3": [0.1, 0.2]}, [1, 2, 3], {})


RUNS = {"a": CURVES["good"], "b": CURVES["poor"][:3], "c": CURVES["poor"][:1]}


def test_pruned_curves_count_stopped_and_finished_runs_and_the_epochs_spent():
    figure = pruned_curves({"median stopping": RUNS,
                            "successive halving": {"a": CURVES["good"][:2], "b": CURVES["poor"]}},
                           EPOCHS, highlight="a")
    shown = words(figure)
    assert "median stopping: 44% of the epochs of full training" in shown  # 16 of 36
    assert {"stopped early: 2 runs", "trained all 12 epochs: 1 runs",
            "a: 12 of 12 epochs", "a: 2 of 12 epochs", "stopped early: 1 runs"} <= set(shown)
    assert figure.get_suptitle() and "validation accuracy" in figure.axes[0].get_ylabel()
    assert label_problems(figure) == []


def test_pruned_curves_draw_the_runs_trained_fully_in_the_rule_colour():
    figure = pruned_curves({"successive halving": RUNS}, EPOCHS)
    renderer(figure)  # lay the figure out as drawn, so data positions are final
    (axes,) = figure.axes
    x, y = axes.transData.transform((EPOCHS - 0.5, np.mean(CURVES["good"][-2:])))
    box = Bbox.from_extents(x - 2, y - 2, x + 2, y + 2)
    [share] = drawn_shares(figure, [box], strategy_style("successive halving").color, 0.15)
    assert share > 0.1


def test_pruned_curves_rejects_bad_input():
    with pytest.raises(ValueError, match="max_epochs=5"):
        pruned_curves({"rule": {"a": CURVES["good"]}}, 5)
    with pytest.raises(ValueError, match="'rule' observed no runs"):
        pruned_curves({"rule": {}}, EPOCHS)
    with pytest.raises(ValueError, match="at least one rule"):
        pruned_curves({}, EPOCHS)


BASELINE = "train all k epochs, ranked alike (k = 1..12)"
POINTS = {BASELINE: [(k / EPOCHS, 0.6 + 0.01 * k, 0.3) for k in range(1, EPOCHS + 1)],
          "median stopping": [(0.29, 0.74, 0.79)], "successive halving": [(0.2, 0.7, 0.5)],
          CEILING: [(1.0, 0.82, 0.75)]}


def test_stopping_cost_quality_names_every_strategy_and_the_noise_ceiling():
    figure = stopping_cost_quality(POINTS)
    shown = words(figure)
    assert set(POINTS) <= set(shown)
    assert {"ranking the whole space", "picking one architecture", "100%"} <= set(shown)
    tau, regret = figure.axes
    assert "higher is better" in tau.get_ylabel() and "lower is better" in regret.get_ylabel()
    assert "epoch-equivalents" in tau.get_xlabel() and figure.get_suptitle()
    assert label_problems(figure) == []


def test_stopping_cost_quality_shows_every_point():
    tau, regret = stopping_cost_quality(POINTS).axes
    left, right = tau.get_xlim()
    assert left <= 100 / EPOCHS and right >= 100  # percent of full training
    assert tau.get_ylim()[0] <= 0.61 and tau.get_ylim()[1] >= 0.82
    assert regret.get_ylim()[0] <= 0.3 and regret.get_ylim()[1] >= 0.79


def test_stopping_cost_quality_wears_the_strategy_colours():
    figure = stopping_cost_quality({"successive halving": [(0.2, 0.7, 0.5)],
                                    CEILING: [(1.0, 0.82, 0.75)]})
    renderer(figure)
    tau, _ = figure.axes
    x, y = tau.transData.transform((20, 0.7))
    [share] = drawn_shares(figure, [Bbox.from_extents(x - 2, y - 2, x + 2, y + 2)],
                           strategy_style("successive halving").color)
    assert share > 0.5


@pytest.mark.parametrize("points, named", [({}, "at least one strategy"),
                                           ({"a": []}, "'a'"),
                                           ({"a": [(0.1, 0.5)]}, "'a'")])
def test_stopping_cost_quality_rejects_bad_points_by_name(points, named):
    with pytest.raises(ValueError, match=named):
        stopping_cost_quality(points)
