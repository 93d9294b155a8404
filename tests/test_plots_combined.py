"""Lesson 4's figures and the shortlist replay behind its widget, called directly."""
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

from nasedu.bench import load
from nasedu.compare import Row
from nasedu.cost import Cost
from nasedu.estimates import Estimates
from nasedu.plots.combined import (METRICS, cost_quality, search_shortlist, shortlist_figure,
                                   shortlist_view)


def row(strategy, fraction, tau, regret, note=""):
    return Row(strategy, 100 * fraction, 10 * fraction, fraction, fraction / 2, tau, tau + 0.1,
               tau / 2, regret, 625, note)


ROWS = [row("random search", 0.0, -0.05, 4.0), row("parameter count", 0.0, 0.6, 0.7),
        row("weight sharing", 0.01, 0.7, 0.3), row("early stopping", 0.2, 0.65, 0.1),
        row("combined", 0.03, 0.72, 0.2), row("noise ceiling", 1.0, 0.8, 0.75)]


def labelled(figure, label):
    return [line for line in figure.axes[0].lines if line.get_label().split(":")[0] == label]


def test_cost_quality_draws_a_marker_per_trained_strategy_and_lines_for_the_free_ones():
    figure = cost_quality(ROWS)
    assert isinstance(figure, Figure) and len(figure.axes) == 1
    axes = figure.axes[0]
    for name, fraction, tau in (("weight sharing", 0.01, 0.7), ("early stopping", 0.2, 0.65),
                                ("combined", 0.03, 0.72)):
        (marker,) = labelled(figure, name)
        assert marker.get_xdata()[0] == pytest.approx(100 * fraction)
        assert marker.get_ydata()[0] == pytest.approx(tau)
    free = [line for line in axes.lines if "(no training)" in line.get_label()]
    assert sorted(line.get_ydata()[0] for line in free) == pytest.approx([-0.05, 0.6])
    ceiling = [line for line in axes.lines if line.get_label().startswith("noise ceiling")]
    assert ceiling[0].get_linestyle() == "--" and ceiling[0].get_ydata()[0] == pytest.approx(0.8)
    assert axes.get_xscale() == "log"


@pytest.mark.parametrize("metric", list(METRICS))
def test_cost_quality_plots_the_chosen_metric(metric):
    figure = cost_quality(ROWS, metric=metric)
    (marker,) = labelled(figure, "combined")
    assert marker.get_ydata()[0] == pytest.approx(getattr(ROWS[4], metric))
    assert METRICS[metric][0] in figure.axes[0].get_ylabel()


def test_cost_quality_switches_the_cost_unit():
    epochs = labelled(cost_quality(ROWS, unit="epochs"), "early stopping")[0].get_xdata()[0]
    seconds = labelled(cost_quality(ROWS, unit="seconds"), "early stopping")[0].get_xdata()[0]
    assert epochs == pytest.approx(20.0) and seconds == pytest.approx(10.0)


def test_cost_quality_names_skipped_strategies_and_draws_nothing_for_them():
    rows = [*ROWS[:-1], row("full training (sample)", math.nan, math.nan, math.nan,
                            note="budget too small"), ROWS[-1]]
    figure = cost_quality(rows)
    assert "full training (sample)" in figure.axes[0].get_title()
    assert not labelled(figure, "full training (sample)")


@pytest.mark.parametrize("arguments, named", [({"metric": "accuracy"}, "'accuracy'"),
                                              ({"unit": "hours"}, "'hours'"),
                                              ({"rows": ROWS[-1:]}, "1 row")])
def test_cost_quality_rejects_bad_arguments_by_name(arguments, named):
    with pytest.raises(ValueError, match=named):
        cost_quality(**{"rows": ROWS, **arguments})


@pytest.fixture(scope="module")
def bench():
    return load("convpool")


@pytest.fixture(scope="module")
def supernet(bench):
    # A made-up supernet ranking: reverse space order, so the shortlist is the last archs.
    count = len(bench.archs)
    return Estimates({arch: -float(count - i) for i, arch in enumerate(bench.archs)},
                     Cost(epochs=5.0, seconds=1.0))


def search(bench, supernet, top_fraction, seed=0):
    return search_shortlist(supernet, bench, top_fraction, min_epochs=1, reduction=2, seed=seed,
                            exhaustive=bench.exhaustive_cost())


def test_search_shortlist_keeps_the_best_scores_and_halves_them(bench, supernet):
    result = search(bench, supernet, 0.5)  # 4 of 8
    assert result.shortlist == tuple(bench.archs[:3:-1])
    # rungs 1, 2, 4, 8, 12 with reduction 2: 4 runs, then 2, then 1, 1, 1
    assert sorted(result.reached.values()) == [1, 1, 2, 12]
    assert result.reached[result.pick] == 12


def test_search_shortlist_scores_its_pick_on_the_unread_seeds(bench, supernet):
    result = search(bench, supernet, 0.5, seed=1)
    unread = [0, 2]
    assert result.truth[result.pick] == pytest.approx(bench.final(result.pick, unread))
    assert result.best_truth == pytest.approx(bench.finals(unread).max())
    assert result.regret == pytest.approx(100 * (result.best_truth - result.truth[result.pick]))
    assert result.regret >= 0


def test_search_shortlist_counts_both_stages_cost(bench, supernet):
    small, large = search(bench, supernet, 0.25), search(bench, supernet, 1.0)
    exhaustive = bench.exhaustive_cost()
    assert small.cost.epochs > supernet.cost.epochs
    assert small.fraction == pytest.approx(small.cost.epochs / exhaustive.epochs)
    assert small.fraction < large.fraction


def test_search_shortlist_keeps_at_least_one(bench, supernet):
    result = search(bench, supernet, 0.01)
    assert len(result.shortlist) == 1 and result.pick == result.shortlist[0]


def test_search_shortlist_picks_the_run_trained_furthest(bench, supernet):
    for fraction in (0.25, 0.5, 1.0):
        result = search(bench, supernet, fraction)
        assert result.reached[result.pick] == max(result.reached.values())
        assert result.pick in result.shortlist


@pytest.mark.parametrize("top_fraction", [0.0, -0.1, 1.5, True])
def test_search_shortlist_rejects_a_bad_top_fraction(bench, supernet, top_fraction):
    with pytest.raises(ValueError, match="top_fraction"):
        search(bench, supernet, top_fraction)


def test_shortlist_figure_draws_the_sweep_the_choice_and_the_shortlist(bench, supernet):
    sweep = [search(bench, supernet, fraction) for fraction in (0.25, 0.5, 1.0)]
    chosen = search(bench, supernet, 0.5)
    figure = shortlist_figure(chosen, sweep, {"early stopping": (0.2, 0.1)})
    left, right = figure.axes
    (line,) = [line for line in left.lines if line.get_label().startswith("combined, other")]
    assert list(line.get_xdata()) == pytest.approx([100 * s.fraction for s in sweep])
    (star,) = [line for line in left.lines if line.get_label() == "combined, top 50%"]
    assert (star.get_xdata()[0], star.get_ydata()[0]) == pytest.approx(
        (100 * chosen.fraction, chosen.regret))
    assert any(text.get_text() == "early stopping" for text in left.texts)
    drawn = sum(len(points.get_offsets()) for points in right.collections)
    assert drawn == len(chosen.shortlist)
    assert len(right.collections) == len(set(chosen.reached.values()))


def test_shortlist_figure_rejects_a_reference_without_cost(bench, supernet):
    with pytest.raises(ValueError, match="'random search'"):
        shortlist_figure(search(bench, supernet, 0.5), references={"random search": (0.0, 4.0)})


def test_shortlist_view_follows_the_slider(bench, supernet):
    settings = dict(supernet=supernet, bench=bench, min_epochs=1, reduction=2, seed=0,
                    exhaustive=bench.exhaustive_cost())
    quarter, whole = shortlist_view(0.25, **settings), shortlist_view(1.0, **settings)
    assert isinstance(quarter, Figure)
    for figure, expected in ((quarter, 2), (whole, len(bench.archs))):
        right = figure.axes[1]
        assert sum(len(points.get_offsets()) for points in right.collections) == expected
    assert "top 25%" in quarter.axes[1].get_title()
    assert np.isfinite(whole.axes[0].lines[-1].get_ydata()).all()
