"""Lesson 1's figures: the widget callback and the charts, called directly."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from nasedu.plots.cost import (PUBLISHED_SEARCH_COSTS, candidate_times, format_duration,
                               search_costs, space_growth)


def marker_position(figure: Figure) -> tuple[float, float]:
    """The (layers, count) of space_growth's highlighted point."""
    marker = figure.axes[0].lines[1]
    return float(marker.get_xdata()[0]), float(marker.get_ydata()[0])


def test_space_growth_marks_ops_to_the_power_layers():
    figure = space_growth(layers=4, ops=5, seconds_per_epoch=0.25, epochs=12)
    assert isinstance(figure, Figure)
    assert marker_position(figure) == (4.0, 625.0)
    line = figure.axes[0].lines[0]
    np.testing.assert_allclose(line.get_ydata(), 5.0 ** np.arange(1, 21))
    assert figure.axes[0].get_yscale() == "log"


def test_space_growth_follows_the_sliders():
    before = space_growth(layers=4, ops=5, seconds_per_epoch=0.25, epochs=12)
    deeper = space_growth(layers=6, ops=5, seconds_per_epoch=0.25, epochs=12)
    wider = space_growth(layers=4, ops=7, seconds_per_epoch=0.25, epochs=12)
    assert marker_position(deeper) == (6.0, 5.0 ** 6)
    assert marker_position(wider) == (4.0, 7.0 ** 4)
    assert "15,625 architectures" in deeper.axes[0].get_title()
    assert before.axes[0].get_title() != wider.axes[0].get_title()


def test_space_growth_projects_count_times_epochs_times_seconds():
    title = space_growth(layers=4, ops=5, seconds_per_epoch=0.5, epochs=12).axes[0].get_title()
    assert format_duration(625 * 12 * 0.5) in title  # 3,750 s
    assert "1.0 hours" in title


def test_space_growth_handles_counts_beyond_64_bit_integers():
    title = space_growth(layers=20, ops=10, seconds_per_epoch=0.1, epochs=12).axes[0].get_title()
    assert f"{10 ** 20:,} architectures" in title


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


def test_candidate_times_draws_one_line_per_timed_candidate():
    recorded = np.linspace(0.5, 9.0, 625)
    measured = {"conv -> pool -> conv -> skip": 3.0, "skip -> skip -> skip -> skip": 0.5}
    figure = candidate_times(recorded, measured)
    axes = figure.axes[0]
    assert len(figure.axes) == 1
    assert len(axes.lines) == 1 + len(measured)  # the recorded mean, then one per candidate
    assert axes.lines[0].get_xdata()[0] == pytest.approx(recorded.mean())
    assert [line.get_xdata()[0] for line in axes.lines[1:]] == [3.0, 0.5]
    assert sum(patch.get_height() for patch in axes.patches) == len(recorded)


@pytest.mark.parametrize("recorded, measured, named", [
    ([], {"a": 1.0}, "recorded_seconds"),
    ([1.0, 2.0], {}, "measured"),
    ([1.0, 0.0], {"a": 1.0}, "recorded_seconds"),
    ([1.0, 2.0], {"conv": -3.0}, "measured\\['conv'\\]"),
])
def test_candidate_times_rejects_empty_or_non_positive_input(recorded, measured, named):
    with pytest.raises(ValueError, match=named):
        candidate_times(recorded, measured)


def test_search_costs_draws_ours_beside_every_published_figure_on_a_log_axis():
    ours = {"ours: five-op": 0.024, "ours: deeper": 12.8}
    figure = search_costs(ours)
    axes = figure.axes[0]
    widths = sorted(bar.get_width() for bar in axes.patches)
    expected = sorted([*ours.values(), *(entry.gpu_days for entry in PUBLISHED_SEARCH_COSTS)])
    assert widths == pytest.approx(expected)
    assert axes.get_xscale() == "log"
    labels = [tick.get_text() for tick in axes.get_yticklabels()]
    assert labels[0] == "ours: five-op" and labels[-1] == PUBLISHED_SEARCH_COSTS[0].method


def test_search_costs_changes_with_ours():
    one = search_costs({"ours": 1.0}, published=[])
    two = search_costs({"ours": 1.0, "ours, bigger": 100.0}, published=[])
    assert len(one.axes[0].patches) == 1 and len(two.axes[0].patches) == 2


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
