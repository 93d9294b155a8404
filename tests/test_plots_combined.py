"""Lesson 4's shortlist replay and its figure, as a reader sees it."""
import pytest
from matplotlib.figure import Figure

from nasedu.bench import load
from nasedu.cost import Cost
from nasedu.estimates import Estimates
from nasedu.estimators import EarlyStopping
from nasedu.plots.combined import search_shortlist, shortlist_figure
from nasedu.plots.style import label_problems, visible_texts
from nasedu.pruning import SuccessiveHalving
from nasedu.trainers import LiveTrainer, ReplayTrainer


def words(figure: Figure) -> list[str]:
    return [text.get_text() for text in visible_texts(figure)]


@pytest.fixture(scope="module")
def bench():
    return load("convpool")


@pytest.fixture(scope="module")
def supernet(bench):
    # A made-up supernet ranking: reverse space order, so the shortlist is the last archs.
    count = len(bench.archs)
    return Estimates({arch: -float(count - i) for i, arch in enumerate(bench.archs)},
                     Cost(epochs=5.0, seconds=1.0))


def halving(bench, seed=0):
    return EarlyStopping(SuccessiveHalving(1, 2), ReplayTrainer(bench, seed))


def search(bench, supernet, top_fraction, seed=0):
    return search_shortlist(supernet, halving(bench, seed), top_fraction)


def test_search_shortlist_keeps_the_best_scores_and_halves_them(bench, supernet):
    result = search(bench, supernet, 0.5)  # 4 of 8
    assert result.shortlist == tuple(bench.archs[:3:-1])
    # rungs 1, 2, 4, 8, 12 with reduction 2: 4 runs, then 2, then 1, 1, 1
    assert sorted(result.reached.values()) == [1, 1, 2, 12]
    assert result.reached[result.pick] == 12
    assert (result.space, result.seed, result.top_fraction) == ("convpool", 0, 0.5)


def test_search_shortlist_scores_its_pick_on_the_unread_seeds(bench, supernet):
    result = search(bench, supernet, 0.5, seed=1)
    unread = [0, 2]
    assert result.truth[result.pick] == pytest.approx(bench.final(result.pick, unread))
    assert result.best_truth == pytest.approx(bench.finals(unread).max())
    assert result.regret == pytest.approx(100 * (result.best_truth - result.truth[result.pick]))
    assert result.regret >= 0


def test_search_shortlist_counts_both_stages_cost(bench, supernet):
    small, large = search(bench, supernet, 0.25), search(bench, supernet, 1.0)
    assert small.cost.epochs > supernet.cost.epochs
    assert small.fraction == pytest.approx(small.cost.epochs / bench.exhaustive_cost().epochs)
    assert small.fraction < large.fraction


def test_search_shortlist_keeps_at_least_one_and_picks_a_run_trained_furthest(bench, supernet):
    only = search(bench, supernet, 0.01)
    assert len(only.shortlist) == 1 and only.pick == only.shortlist[0]
    for fraction in (0.25, 0.5, 1.0):
        result = search(bench, supernet, fraction)
        assert result.reached[result.pick] == max(result.reached.values())


@pytest.mark.parametrize("top_fraction", [0.0, -0.1, 1.5, True])
def test_search_shortlist_rejects_a_bad_top_fraction(bench, supernet, top_fraction):
    with pytest.raises(ValueError, match="top_fraction"):
        search(bench, supernet, top_fraction)


def test_search_shortlist_needs_a_second_stage_that_replays_a_table(bench, supernet):
    from nasedu.protocol import protocol_data
    live = EarlyStopping(SuccessiveHalving(1, 2),
                         LiveTrainer(protocol_data(bench.protocol), bench.protocol))
    with pytest.raises(TypeError, match="ReplayTrainer"):
        search_shortlist(supernet, live, 0.5)


def replays(bench, supernet, fraction):
    return [search(bench, supernet, fraction, seed) for seed in bench.seeds]


@pytest.fixture(scope="module")
def drawn(bench, supernet):
    """The figure as lesson 4 draws it: one size per seed, a sweep, the strategies alone."""
    chosen = replays(bench, supernet, 0.5)
    sweep = [replays(bench, supernet, fraction) for fraction in (0.1, 0.25, 0.75, 1.0)]
    references = {"weight sharing": (0.14, [0.0, 0.0, 0.0]),
                  "early stopping": (0.24, [0.57, 0.0, 0.0])}
    return chosen, sweep, shortlist_figure(chosen, sweep, references, [0.05, 0.56, 1.65])


def test_shortlist_figure_names_the_space_the_size_and_every_regret(drawn):
    chosen, _, figure = drawn
    title = figure.get_suptitle()
    assert "convpool" in title and "top 50%" in title and "(4 architectures)" in title
    assert " / ".join(f"{search.regret:.2f}" for search in chosen) in title
    shown = words(figure)
    assert {"combined, top 50%", "weight sharing alone", "early stopping alone",
            "combined, top 10% (left) to 100% (right)"} <= set(shown)
    assert any(text.startswith("noise ceiling") and "0.05 to 1.65" in text for text in shown)
    assert label_problems(figure) == []


def test_shortlist_figure_labels_its_axes_with_units_and_shows_every_regret(drawn):
    chosen, sweep, figure = drawn
    left, right = figure.axes
    assert "share of training every architecture once" in left.get_xlabel()
    assert "regret, accuracy points" in left.get_ylabel()
    assert "rank by supernet score" in right.get_xlabel() and "%" in right.get_ylabel()
    regrets = [search.regret for searches in [chosen, *sweep] for search in searches]
    low, high = left.get_ylim()
    assert low <= 0 and max(regrets) <= high <= 1.2 * max([*regrets, 0.57]) + 0.06
    shown = words(figure)
    runs = [text for text in shown if text.startswith("trained ")]
    assert sum(int(text.split(": ")[1].split()[0]) for text in runs) == len(chosen[0].shortlist)
    assert any(text.startswith("the pick: ") for text in shown)


def test_shortlist_figure_reads_cleanly_for_every_size(bench, supernet):
    sweep = [replays(bench, supernet, fraction) for fraction in (0.1, 0.5, 1.0)]
    for fraction in (0.01, 0.3, 1.0):
        figure = shortlist_figure(replays(bench, supernet, fraction), sweep)
        assert label_problems(figure) == [], fraction


def test_shortlist_figure_rejects_mixed_sizes_and_a_reference_without_cost(bench, supernet):
    mixed = [search(bench, supernet, 0.5), search(bench, supernet, 0.25, seed=1)]
    with pytest.raises(ValueError, match="one top fraction"):
        shortlist_figure(mixed)
    with pytest.raises(ValueError, match="'random search'"):
        shortlist_figure(replays(bench, supernet, 0.5), references={"random search": (0.0, [4])})
    with pytest.raises(ValueError, match="one top fraction"):
        shortlist_figure([])
