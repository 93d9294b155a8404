"""The figures of lesson 3 (early stopping), called directly as the widgets call them."""
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from nasedu.curves import Ensemble, LastValue, Parametric, Prediction, Predictor
from nasedu.plots.curves import (cost_quality, extrapolation, learning_curves, minimum_epochs,
                                 pruned_curves, rank_correlations)

EPOCHS, FINAL = 12, 6


def rising(start: float, level: float, rate: float = 0.5) -> list[float]:
    """A smooth learning curve from ``start`` towards ``level`` over EPOCHS epochs."""
    t = np.arange(EPOCHS)
    return list(level - (level - start) * np.exp(-rate * t))


CURVES = {"good": rising(0.4, 0.97), "poor": rising(0.1, 0.6, 0.2)}


def predictors() -> list[Predictor]:
    return [LastValue(EPOCHS, FINAL), Parametric("pow3", EPOCHS, FINAL),
            Parametric("mmf", EPOCHS, FINAL), Ensemble(EPOCHS, FINAL)]


class Overshoot(Predictor):
    """Predicts an impossible accuracy, as an unbounded curve family can."""

    name = "overshoot"

    def predict(self, curve):
        return Prediction(1.5, 0.01)


def test_learning_curves_draws_one_line_per_seed():
    figure = learning_curves({"a": [CURVES["good"]] * 3, "b": [CURVES["poor"]] * 2}, FINAL)
    assert isinstance(figure, Figure)
    (axes,) = figure.axes
    assert len(axes.lines) == 5
    assert [text.get_text() for text in axes.get_legend().get_texts()][1:] == ["a", "b"]


def test_learning_curves_rejects_bad_input():
    with pytest.raises(ValueError, match="final_epochs=13"):
        learning_curves({"a": [CURVES["good"]]}, 13)
    with pytest.raises(ValueError, match="same number of epochs"):
        learning_curves({"a": [CURVES["good"]], "b": [CURVES["poor"][:5]]}, FINAL)
    with pytest.raises(ValueError, match="at least one"):
        learning_curves({}, FINAL)


def test_extrapolation_shows_the_observed_epochs_and_the_unseen_rest():
    for observed in (3, 8):
        left, right = extrapolation(CURVES, "good", observed, predictors()).axes
        seen, unseen = left.lines[0], left.lines[1]
        assert len(seen.get_xdata()) == observed
        assert len(unseen.get_xdata()) == EPOCHS - observed
        assert left.get_title() == f"good: {observed} of {EPOCHS} epochs observed"


def test_extrapolation_draws_a_prediction_per_usable_predictor():
    # From 3 epochs: last value, pow3 and the ensemble predict; mmf needs 4 points.
    left, right = extrapolation(CURVES, "poor", 3, predictors()).axes
    assert len(right.containers) == 3  # one error bar each
    assert "mmf: needs 4 epochs" in right.texts[0].get_text()
    fits = [line.get_label() for line in left.lines if line.get_label().endswith(" fit")]
    assert fits == ["pow3 fit"]
    left, right = extrapolation(CURVES, "poor", 4, predictors()).axes
    assert len(right.containers) == 4 and not right.texts


def test_extrapolation_marks_a_prediction_off_the_axis_with_its_value():
    left, right = extrapolation(CURVES, "good", 5, [LastValue(EPOCHS, FINAL),
                                                    Overshoot(EPOCHS, FINAL)]).axes
    assert len(right.containers) == 1
    assert [text.get_text() for text in right.texts] == ["1.50"]
    assert left.get_ylim()[1] <= 1.05


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


def test_rank_correlations_draws_predictors_and_references_with_gaps():
    taus = {"last value": [0.6, 0.7, 0.72], "pow3": [np.nan, np.nan, 0.65]}
    (axes,) = rank_correlations(taus, [1, 2, 3], {"parameter count": 0.5}).axes
    assert len(axes.lines) == 3
    assert np.isnan(axes.lines[1].get_ydata()[:2]).all()
    assert "parameter count (0.50)" in [t.get_text() for t in axes.get_legend().get_texts()]


def test_rank_correlations_rejects_a_row_of_the_wrong_length():
    with pytest.raises(ValueError, match="taus\\['pow3'\\] has 2 values for 3"):
        rank_correlations({"pow3": [0.1, 0.2]}, [1, 2, 3], {})


def test_pruned_curves_draws_each_run_up_to_its_stop():
    runs = {"a": CURVES["good"], "b": CURVES["poor"][:3], "c": CURVES["poor"][:1]}
    figure = pruned_curves({"rule one": runs, "rule two": {"a": CURVES["good"][:2],
                                                          "b": CURVES["poor"]}},
                           EPOCHS, highlight="a")
    first, second = figure.axes
    (collection,) = [c for c in first.collections if isinstance(c, LineCollection)]
    assert [len(path.vertices) for path in collection.get_paths()] == [12, 3, 1]
    assert "1 of 3 runs trained fully; 44% of the epochs" in first.get_title()
    highlighted = [line for line in second.lines if line.get_label().startswith("a (")]
    assert len(highlighted[0].get_xdata()) == 2


def test_pruned_curves_rejects_bad_input():
    with pytest.raises(ValueError, match="max_epochs=5"):
        pruned_curves({"rule": {"a": CURVES["good"]}}, 5)
    with pytest.raises(ValueError, match="'rule' observed no runs"):
        pruned_curves({"rule": {}}, EPOCHS)


def test_cost_quality_draws_lines_and_single_points():
    costs = {"baseline": [0.25, 0.5, 1.0], "halving": [0.2]}
    taus = {"baseline": [0.6, 0.7, 0.8], "halving": [0.65]}
    regrets = {"baseline": [0.5, 0.3, 0.2], "halving": [0.4]}
    left, right = cost_quality(costs, taus, regrets).axes
    assert [len(line.get_xdata()) for line in left.lines] == [3, 1]
    assert list(right.lines[1].get_ydata()) == [0.4]
    assert list(left.lines[0].get_xdata()) == [25, 50, 100]  # percent of full training


def test_cost_quality_rejects_mismatched_strategies():
    with pytest.raises(ValueError, match="same strategies"):
        cost_quality({"a": [0.1]}, {"b": [0.5]}, {"a": [0.1]})
    with pytest.raises(ValueError, match="strategy 'a'"):
        cost_quality({"a": [0.1, 0.2]}, {"a": [0.5]}, {"a": [0.1, 0.2]})
