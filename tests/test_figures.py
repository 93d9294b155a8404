"""What a reader sees in the figures that set strategies side by side (``compare``'s PNG and
the ranking bars), and the style they share: one colour per strategy, labels that do not
overlap, the noise ceiling named."""
import math
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from nasedu.plots.compare import comparison_figure, ranking_quality
from nasedu.plots.style import (STRATEGY_STYLES, direct_labels, drawn_shares, label_problems,
                                strategy_style, visible_texts)

CEILING = "noise ceiling (full training, one seed)"


def row(strategy, share, tau, regret=0.5, note=""):
    """A row of ``compare``'s table with the fields the figure reads."""
    return SimpleNamespace(strategy=strategy, fraction_epochs=share, kendall_tau=tau,
                           regret=regret, spearman=tau, top_precision=0.5, note=note,
                           truth_seeds="1 2")


# Shaped like the README's five-op table: a cluster of strategies near 5% and 0.75.
FIVE_OP = [row("random search", 0, 0.012, 3.1), row("parameter count", 0, 0.647, 0.85),
           row("full training (sample)", 16 / 625, 0.69), row("weight sharing", 0.01, 0.769),
           row("early stopping", 0.1115, 0.752), row("combined", 0.0562, 0.775),
           row("weight sharing (combined's budget)", 0.0562, 0.706),
           row("early stopping (combined's budget)", 0.0551, 0.754),
           row(CEILING, 1.0, 0.829, 0.05)]
# Like --space convpool: early stopping and the parameter count a hair apart, full training of
# the whole sample on the ceiling itself.
CONVPOOL = [row("random search", 0, -0.143), row("parameter count", 0, 0.403),
            row("full training (sample)", 1.0, 0.786), row("weight sharing", 0.0172, 0.071),
            row("early stopping", 0.2396, 0.41), row("combined", 0.1631, 0.071),
            row(CEILING, 1.0, 0.786)]


def words(figure: Figure) -> list[str]:
    return [text.get_text() for text in visible_texts(figure)]


def label_colours(figure: Figure) -> dict[str, str]:
    """Each text of ``figure`` -> the colour it is written in."""
    return {text.get_text(): text.get_color() for text in visible_texts(figure)}


def test_every_course_strategy_has_its_own_colour_and_reruns_share_it():
    base = [name for name in STRATEGY_STYLES if "(combined's budget)" not in name]
    assert len({STRATEGY_STYLES[name].color for name in base}) == len(base)
    rerun = strategy_style("weight sharing (combined's budget)")
    assert rerun.color == strategy_style("weight sharing").color and not rerun.filled


@pytest.mark.parametrize("name, known", [(CEILING, "noise ceiling"),
                                         ("parameter count (no training)", "parameter count"),
                                         ("Early stopping", "early stopping"),
                                         ("full training, one seed (same sample)",
                                          "full training")])
def test_a_name_that_extends_a_known_strategy_takes_its_style(name, known):
    assert strategy_style(name) == STRATEGY_STYLES[known]


def test_an_unknown_strategy_gets_the_same_colour_in_every_run():
    code = "from nasedu.plots.style import strategy_style; print(strategy_style('my idea').color)"
    other_run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True, env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert other_run.stdout.strip() == strategy_style("my idea").color
    assert strategy_style("my idea").color not in {s.color for s in STRATEGY_STYLES.values()}


@pytest.mark.parametrize("name", ["", "   ", None])
def test_a_strategy_needs_a_name(name):
    with pytest.raises(ValueError, match="non-empty string"):
        strategy_style(name)


def test_direct_labels_keep_crowded_labels_apart_and_off_lines():
    figure = Figure(figsize=(5, 3.5), layout="constrained")
    axes = figure.add_subplot()
    axes.set_xlim(0, 10)
    axes.set_ylim(0, 1)
    axes.axhline(0.52, linestyle="--")
    points = [(4 + 0.1 * i, 0.5 + 0.01 * i) for i in range(6)]  # six points on one spot
    direct_labels(axes, points, [f"strategy number {i}" for i in range(6)], ["k"] * 6)
    assert label_problems(figure) == []
    assert {f"strategy number {i}" for i in range(6)} <= set(words(figure))


def test_label_problems_sees_overlaps_strikes_and_cut_off_text():
    figure = Figure(figsize=(4, 3))
    axes = figure.add_subplot()
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.text(0.3, 0.5, "first label")
    axes.text(0.32, 0.5, "second label")
    axes.plot([0, 1], [0.2, 0.2], label="ceiling")
    axes.text(0.3, 0.19, "struck")
    figure.text(0.9, 0.9, "far too long to fit inside the figure")
    problems = label_problems(figure)
    assert "'first label' overlaps 'second label'" in problems
    assert "'struck' is struck through by a line (ceiling)" in problems
    assert any("cut off" in problem and "far too long" in problem for problem in problems)


def test_direct_labels_need_one_text_and_colour_per_point():
    axes = Figure().add_subplot()
    with pytest.raises(ValueError, match="same length, but got 2, 1 and 2"):
        direct_labels(axes, [(0, 0), (1, 1)], ["a"], ["k", "k"])


@pytest.mark.parametrize("rows", [FIVE_OP, CONVPOOL], ids=["five-op", "convpool"])
def test_the_comparison_names_every_strategy_and_the_ceiling_without_collisions(rows):
    figure = comparison_figure(rows)
    shown = words(figure)
    assert {r.strategy for r in rows} <= set(shown)
    assert any("noise ceiling" in text for text in shown)
    assert label_problems(figure) == []


def test_the_comparison_draws_rows_as_compare_returns_them():
    from nasedu.compare import Row
    rows = [Row(strategy=r.strategy, epochs=7500 * r.fraction_epochs, seconds=1.0,
                fraction_epochs=r.fraction_epochs, fraction_seconds=r.fraction_epochs,
                kendall_tau=r.kendall_tau, spearman=r.spearman, top_precision=r.top_precision,
                regret=r.regret, num_archs=625, truth_seeds="1 2") for r in CONVPOOL]
    figure = comparison_figure(rows)
    assert {r.strategy for r in rows} <= set(words(figure))
    assert label_problems(figure) == []


def test_the_comparison_has_a_title_axes_with_units_and_readable_percent_ticks():
    figure = comparison_figure(FIVE_OP)
    free, cost = figure.axes
    assert "Kendall tau" in figure.get_suptitle() and "seed(s) 1 2" in figure.get_suptitle()
    assert "Kendall tau-b" in free.get_ylabel() and "higher is better" in free.get_ylabel()
    assert "epoch-equivalents" in cost.get_xlabel() and "share" in cost.get_xlabel()
    assert "free" in free.get_xlabel()
    assert {"0.1%", "1%", "10%", "100%"} <= set(words(figure))
    assert not any("seconds" in text for text in words(figure))  # seconds stay in the table


@pytest.mark.parametrize("rows", [FIVE_OP, CONVPOOL], ids=["five-op", "convpool"])
def test_the_comparison_shows_every_value(rows):
    figure = comparison_figure(rows)
    free, cost = figure.axes
    low, high = free.get_ylim()
    assert all(low < r.kendall_tau < high for r in rows)
    left, right = cost.get_xlim()
    assert all(left < r.fraction_epochs < right for r in rows if r.fraction_epochs > 0)


def test_a_strategy_keeps_its_colour_whatever_else_is_drawn():
    one = label_colours(comparison_figure(FIVE_OP))
    other = label_colours(comparison_figure(CONVPOOL[::-1]))
    for name in ("weight sharing", "early stopping", "combined", "parameter count"):
        assert one[name] == other[name] == strategy_style(name).color


def test_the_comparison_can_show_regret_and_names_rows_that_did_not_run():
    rows = [*FIVE_OP[:4], row("early stopping", math.nan, math.nan, math.nan, note="too small"),
            FIVE_OP[-1]]
    figure = comparison_figure(rows, metric="regret")
    assert "lower is better" in figure.axes[0].get_ylabel()
    assert any(text.startswith("not run: early stopping") for text in words(figure))
    assert label_problems(figure) == []


@pytest.mark.parametrize("rows, metric, named", [
    (FIVE_OP, "accuracy", "unknown metric 'accuracy'"),
    ([], "kendall_tau", "at least one strategy"),
    ([row("broken", -0.1, 0.5)], "kendall_tau", "'broken' has fraction_epochs=-0.1"),
    ([row("undefined", 0.1, math.nan)], "kendall_tau", "'undefined' has kendall_tau=nan"),
])
def test_the_comparison_rejects_bad_rows_by_name(rows, metric, named):
    with pytest.raises(ValueError, match=named):
        comparison_figure(rows, metric=metric)


RANKINGS = {"weight sharing": (0.759, 0.42), "parameter count": (0.636, -0.006),
            "multiply-accumulates": (0.636, -0.006), "number of conv ops": (0.598, -0.058)}


def test_ranking_bars_show_every_value_and_name_the_ceiling_without_collisions():
    figure = ranking_quality(RANKINGS, (0.816, 0.267))
    shown = words(figure)
    assert {"0.76", "0.42", "0.64", "-0.01", "-0.06"} <= set(shown)
    assert {"noise ceiling 0.82", "noise ceiling 0.27"} <= set(shown)
    assert set(RANKINGS) <= set(shown)
    assert figure.get_suptitle() and all("Kendall tau" in a.get_xlabel() for a in figure.axes)
    assert label_problems(figure) == []


def test_ranking_bars_wear_the_strategy_colours():
    figure = ranking_quality(RANKINGS, (0.816, 0.267))
    axes = figure.axes[0]
    for position, name in zip(range(len(RANKINGS) - 1, -1, -1), RANKINGS):
        x, y = axes.transData.transform((0.3, position))  # the middle of the bar
        box = Bbox.from_extents(x - 3, y - 3, x + 3, y + 3)
        [share] = drawn_shares(figure, [box], strategy_style(name).color)
        assert share > 0.9, name


@pytest.mark.parametrize("rows, ceiling, named", [
    ({}, (0.8, 0.3), "at least one ranking"),
    ({"too good": (1.5, 0.2)}, (0.8, 0.3), "'too good'"),
    ({"undefined": (0.5, float("nan"))}, (0.8, 0.3), "'undefined'"),
    ({"fine": (0.5, 0.2)}, (0.8,), "'ceiling'"),
])
def test_ranking_bars_reject_bad_taus_by_name(rows, ceiling, named):
    with pytest.raises(ValueError, match=named):
        ranking_quality(rows, ceiling)
