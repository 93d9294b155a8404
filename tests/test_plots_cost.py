"""Lesson 1's figures as a reader sees them: the words on them, what they show, the colours
drawn; the growth widget driven headless."""
import ipywidgets as widgets
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from nasedu.plots.cost import (PUBLISHED_COLOR, PUBLISHED_SEARCH_COSTS, candidate_times,
                               format_duration, search_costs, space_growth)
from nasedu.plots.style import drawn_shares, label_problems, visible_texts
from nasedu.widgets import View

MEASURED = {"conv -> pool -> conv -> skip": 3.0, "skip -> skip -> skip -> skip": 0.5}


def words(figure: Figure) -> list[str]:
    return [text.get_text() for text in visible_texts(figure)]


def blue_at(figure: Figure, *points: tuple[int, float]) -> list[float]:
    """How much of a small box around each (layers, count) the highlighted curve paints."""
    centres = figure.axes[0].transData.transform(points)
    return drawn_shares(figure, [Bbox.from_extents(x - 3, y - 3, x + 3, y + 3)
                                 for x, y in centres], PUBLISHED_COLOR, tolerance=0.15)


def test_space_growth_states_the_count_and_the_time_in_its_title():
    title = space_growth(layers=4, ops=5, seconds_per_epoch=0.5, epochs=12).axes[0].get_title()
    assert "5 ops, 4 layers: 625 architectures" in title
    assert format_duration(625 * 12 * 0.5) == "1.0 hours" and "1.0 hours" in title
    deep = space_growth(layers=20, ops=10, seconds_per_epoch=0.1, epochs=12)
    assert f"{10 ** 20:,} architectures" in deep.axes[0].get_title()  # beyond 64-bit integers


@pytest.mark.parametrize("ops", [7, 9])  # 9 ops ends just below the 10-op curve
def test_space_growth_labels_its_axes_and_curves_without_collisions(ops):
    figure = space_growth(layers=4, ops=ops, seconds_per_epoch=0.25, epochs=12)
    shown = words(figure)
    assert "layers (one op chosen per layer)" in shown
    assert "architectures in the space (log scale)" in shown
    assert "days to train each once (log scale)" in shown
    assert {"2 ops", "5 ops", f"{ops} ops", "10 ops"} <= set(shown)
    assert label_problems(figure) == []


def test_moving_ops_tilts_the_curve_on_axes_that_stay_put():
    few, many = (space_growth(layers=4, ops=ops, seconds_per_epoch=0.25, epochs=12)
                 for ops in (3, 8))
    assert few.axes[0].get_ylim() == many.axes[0].get_ylim()
    low, high = few.axes[0].get_ylim()
    assert low <= 1 and 8.0 ** 20 < high  # every curve fits
    ends = (20, 3.0 ** 20), (20, 8.0 ** 20)  # where a curve of 3 ops, of 8 ops ends
    few_end, many_end = blue_at(few, *ends)
    assert few_end > 0.05 and many_end == 0
    few_end, many_end = blue_at(many, *ends)
    assert few_end == 0 and many_end > 0.05


def test_the_growth_widget_redraws_the_curve_when_ops_moves():
    view = View(lambda layers, ops: space_growth(layers, ops, 0.25, 12),
                layers=widgets.IntSlider(value=4, min=1, max=20),
                ops=widgets.IntSlider(value=5, min=2, max=10))
    ends = (20, 5.0 ** 20), (20, 9.0 ** 20)
    assert blue_at(view.result, *ends)[0] > 0.05
    view.controls["ops"].value = 9
    five_end, nine_end = blue_at(view.result, *ends)
    assert five_end == 0 and nine_end > 0.05
    assert "9 ops, 4 layers: 6,561 architectures" in view.result.axes[0].get_title()


@pytest.mark.parametrize("arguments, named", [
    ({"layers": 0}, "layers=0"),
    ({"layers": 21}, "layers=21"),
    ({"ops": 0}, "ops=0"),
    ({"seconds_per_epoch": -1.0}, "seconds_per_epoch=-1.0"),
    ({"epochs": 2.5}, "epochs=2.5"),
])
def test_space_growth_rejects_bad_arguments_by_name(arguments, named):
    values = {"layers": 4, "ops": 5, "seconds_per_epoch": 0.25, "epochs": 12, **arguments}
    with pytest.raises(ValueError, match=named):
        space_growth(**values)


def test_candidate_times_names_each_timed_candidate_and_the_recorded_mean():
    recorded = np.linspace(0.5, 9.0, 625)
    figure = candidate_times(recorded, MEASURED)
    shown = words(figure)
    assert "timed here: conv -> pool -> conv -> skip (3.00 s)" in shown
    assert "timed here: skip -> skip -> skip -> skip (0.50 s)" in shown
    assert f"recorded mean {recorded.mean():.2f} s" in shown
    assert "recorded, all 625 architectures" in shown
    assert label_problems(figure) == []


def test_candidate_times_has_a_title_units_and_shows_every_time():
    recorded = np.linspace(0.8, 9.0, 625)
    axes = candidate_times(recorded, MEASURED).axes[0]
    assert axes.get_title()
    assert "seconds" in axes.get_xlabel() and "architectures" in axes.get_ylabel()
    left, right = axes.get_xlim()
    assert left <= min(0.5, recorded.min()) and right >= recorded.max()


@pytest.mark.parametrize("recorded, measured, named", [
    ([], {"a": 1.0}, "recorded_seconds"),
    ([1.0, 2.0], {}, "measured"),
    ([1.0, 0.0], {"a": 1.0}, "recorded_seconds"),
    ([1.0, 2.0], {"conv": -3.0}, "measured\\['conv'\\]"),
])
def test_candidate_times_rejects_empty_or_non_positive_input(recorded, measured, named):
    with pytest.raises(ValueError, match=named):
        candidate_times(recorded, measured)


def test_search_costs_names_every_search_with_its_cost():
    ours = {"ours: five-op": 0.024, "ours: deeper": 12.8}
    figure = search_costs(ours)
    shown = words(figure)
    assert set(ours) | {entry.method for entry in PUBLISHED_SEARCH_COSTS} <= set(shown)
    assert {"0.024", "12.8", "22,400", "3,150", "0.5"} <= set(shown)
    assert label_problems(figure) == []


def test_search_costs_reads_plain_numbers_on_a_log_axis_that_covers_every_cost():
    figure = search_costs({"ours": 0.02})
    axes = figure.axes[0]
    assert figure.get_suptitle() and "days" in axes.get_xlabel()
    assert {"0.1", "1", "10", "100", "1,000", "10,000"} <= set(words(figure))
    left, right = axes.get_xlim()
    assert left < 0.02 and right > 800 * 28


def test_search_costs_draws_only_what_it_is_given():
    shown = words(search_costs({"ours, alone": 1.0}, published=[]))
    assert "ours, alone" in shown
    assert not any(entry.method in shown for entry in PUBLISHED_SEARCH_COSTS)


@pytest.mark.parametrize("ours, named", [({"ours: broken": 0.0}, "ours: broken"),
                                         ({"ours: negative": -2.0}, "ours: negative")])
def test_search_costs_rejects_non_positive_costs_by_label(ours, named):
    with pytest.raises(ValueError, match=named):
        search_costs(ours)


def test_search_costs_rejects_nothing_to_draw():
    with pytest.raises(ValueError, match="empty"):
        search_costs({}, published=[])


def test_published_costs_match_the_references():
    by_method = {entry.method.split(" (")[0]: entry for entry in PUBLISHED_SEARCH_COSTS}
    assert by_method["NAS with RL"].gpu_days == 800 * 28 == 22_400
    assert by_method["NASNet-A"].gpu_days == 2000
    assert by_method["AmoebaNet"].gpu_days == 3150
    assert by_method["ENAS"].gpu_days == 0.5
    assert {by_method["DARTS, first order"].gpu_days,
            by_method["DARTS, second order"].gpu_days} == {1.5, 4}
    assert all(entry.source for entry in PUBLISHED_SEARCH_COSTS)


@pytest.mark.parametrize("seconds, text", [(0, "0 s"), (0.25, "0.25 s"), (45, "45.0 s"),
                                           (90, "1.5 min"), (5400, "1.5 hours"),
                                           (3 * 86_400, "3.0 days"),
                                           (2000 * 365 * 86_400, "2,000 years")])
def test_format_duration_picks_the_largest_fitting_unit(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize("seconds", [-1.0, float("nan"), float("inf")])
def test_format_duration_rejects_impossible_durations(seconds):
    with pytest.raises(ValueError, match="seconds"):
        format_duration(seconds)
