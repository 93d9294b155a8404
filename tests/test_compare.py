import csv
import dataclasses
import json

import pytest

from nasedu.__main__ import main
from nasedu.baselines import FullTraining
from nasedu.bench import load
from nasedu.build import build
from nasedu.compare import (DEFAULT_STRATEGIES, EQUAL_BUDGET, LITERATURE, STRATEGIES,
                            CompareConfig, compare)
from nasedu.cost import Cost
from nasedu.estimates import Estimates
from nasedu.estimators import COMBINED_TOP_FRACTION, Combined, EarlyStopping, WeightSharing
from nasedu.protocol import Protocol, protocol_data
from nasedu.pruning import SuccessiveHalving
from nasedu.report import format_table, write_outputs
from nasedu.sharing import SupernetConfig
from nasedu.space import SearchSpace
from nasedu.timing import seconds_here
from nasedu.train import TrainConfig
from nasedu.trainers import LiveTrainer, ReplayTrainer

QUICK = CompareConfig(table="convpool", supernet_budget=0.0125, sample=3, timing_runs=1)


def brief_supernet(bench):
    """Weight sharing on ``bench`` with a briefly trained supernet (0.625% of exhaustive, about
    one epoch on convpool)."""
    return WeightSharing(bench.space, protocol_data(bench.protocol),
                         SupernetConfig(budget=0.00625))


def halving(bench, seed):
    """Successive halving (1, 2) replayed from ``seed`` of ``bench``."""
    return EarlyStopping(SuccessiveHalving(min_epochs=1, reduction=2), ReplayTrainer(bench, seed))


@pytest.fixture(scope="module")
def rows():
    return compare(QUICK, STRATEGIES)


def test_by_default_compare_leaves_out_the_equal_budget_reruns_and_lesson_5():
    assert STRATEGIES == (*DEFAULT_STRATEGIES, *EQUAL_BUDGET, *LITERATURE)
    assert len(EQUAL_BUDGET) == 2 and not set(EQUAL_BUDGET) & set(DEFAULT_STRATEGIES)


def test_every_strategy_gets_a_row_and_the_ceiling_closes_the_table(rows):
    assert [row.strategy for row in rows[:-1]] == list(STRATEGIES)
    assert rows[-1].strategy.startswith("noise ceiling") and rows[-1].fraction_epochs == 1.0
    by_name = {row.strategy: row for row in rows}
    assert by_name["parameter count"].epochs == 0 and by_name["random search"].epochs == 0
    assert by_name["full training (sample)"].num_archs == 3
    assert by_name["weight sharing"].epochs > 2  # 1.25% of 8 x 20 epochs, plus evaluation
    assert all(-1 <= row.kendall_tau <= 1 for row in rows if row.num_archs > 2)


def test_options_that_do_not_fit_the_table_fail_before_any_work():
    with pytest.raises(ValueError, match=r"sample must be at most the space's 8"):
        compare(CompareConfig(table="convpool", sample=20, timing_runs=1))
    with pytest.raises(ValueError, match=r"seed must be one of the table's seeds \[0, 1, 2\]"):
        compare(CompareConfig(table="convpool", seed=5))


def test_the_default_sample_fits_a_small_space():
    assert CompareConfig().sample_size(load("convpool")) == 8
    assert CompareConfig().sample_size(load("five-op")) == 16


def test_every_row_and_the_ceiling_are_scored_on_one_truth_that_no_row_read(rows):
    # Replayed strategies and live full training (the table's protocol and seed) read the
    # search seed 0; the ceiling reads it too; the rest of the seeds are the one truth.
    assert {row.truth_seeds for row in rows if not row.note} == {"1 2"}


@pytest.mark.parametrize("seed", [0, 1])
def test_live_full_training_is_never_scored_against_its_own_seed(seed):
    bench = load("convpool")
    archs = bench.space.sample(3, seed=0)
    estimates = FullTraining(protocol_data(bench.protocol), bench, seed=seed).estimate(archs)
    assert estimates.seeds_read == {seed}
    # Its runs reproduce the table's runs of that seed: scoring it there would flatter it.
    for arch in archs:
        assert estimates.scores[arch] == pytest.approx(bench.final(arch, [seed]), abs=0.02)
    assert seed not in bench.score(estimates).seeds
    with pytest.raises(ValueError, match=f"truth seeds \\[{seed}\\] were read"):
        bench.score(estimates, truth=[seed])


def test_replayed_seconds_are_rescaled_to_this_machine():
    estimates = Estimates({}, Cost(epochs=3, seconds=10.0), replayed_seconds=8.0)
    assert seconds_here(estimates, speed=0.5) == pytest.approx(2.0 + 4.0)
    assert seconds_here(Estimates({}, Cost(1, 5.0)), speed=3.0) == 5.0


def test_rows_say_which_seconds_are_rescaled(rows):
    by_name = {row.strategy: row for row in rows}
    assert by_name["early stopping"].scaled_seconds and by_name["combined"].scaled_seconds
    assert not by_name["weight sharing"].scaled_seconds
    assert not by_name["full training (sample)"].scaled_seconds
    assert "*: includes seconds replayed from the table" in format_table(rows)


def test_compare_reads_a_table_file(tmp_path):
    path = build(SearchSpace(("conv3x3", "avgpool3x3"), 2, name="tiny"), tmp_path / "t.json.gz",
                 seeds=(0, 1), protocol=Protocol(train=TrainConfig(epochs=2)))
    rows = compare(CompareConfig(table=str(path), supernet_budget=0.1, timing_runs=1),
                   ["parameter count", "early stopping"])
    assert [row.strategy for row in rows[:2]] == ["parameter count", "early stopping"]
    assert rows[0].num_archs == 4 and rows[-1].truth_seeds == "1"


def test_unknown_strategy_is_named():
    with pytest.raises(ValueError, match="unknown strategy 'grid search'"):
        compare(QUICK, ["grid search"])


def test_outputs_are_written_whole(rows, tmp_path):
    csv_path, json_path, png_path = write_outputs(rows, tmp_path / "out")
    with open(csv_path) as handle:
        table = list(csv.DictReader(handle))
    assert [r["strategy"] for r in table] == [row.strategy for row in rows]
    assert json.loads(json_path.read_text())[0]["strategy"] == rows[0].strategy
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_cli_writes_the_table_and_rejects_an_unwritable_folder(tmp_path, capsys):
    out = tmp_path / "results"
    assert main(["compare", "--table", "convpool", "--strategies", "parameter count",
                 "random search", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "parameter count" in printed and "noise ceiling" in printed
    assert sorted(p.name for p in out.iterdir()) == ["cost_vs_quality.png", "table.csv",
                                                     "table.json"]
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "--table", "convpool", "--strategies", "parameter count",
              "--quiet", "--out", str(blocker / "sub")])
    assert exit_info.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_combined_gives_the_same_estimates_from_its_first_stage_or_from_its_results():
    bench = load("convpool")
    computed = brief_supernet(bench).estimate(bench.archs)
    from_results = Combined(computed, halving(bench, seed=1), top_fraction=0.5)
    running = Combined(brief_supernet(bench), halving(bench, seed=1), top_fraction=0.5)
    estimates, ran = from_results.estimate(bench.archs), running.estimate(bench.archs)
    assert ran.scores == estimates.scores and ran.seeds_read == estimates.seeds_read
    assert ran.cost.epochs == estimates.cost.epochs  # the seconds, measured twice, differ
    assert running.shortlist_ == from_results.shortlist_
    # Both stages are paid for and the replayed seed counts as read.
    assert estimates.cost.epochs > computed.cost.epochs and estimates.seeds_read == {1}


def test_combined_ranks_the_shortlist_above_the_rest_and_the_rest_by_the_supernet():
    bench = load("convpool")
    supernet = Estimates({arch: 0.1 * index for index, arch in enumerate(bench.archs)})
    combined = Combined(supernet, halving(bench, seed=0), top_fraction=0.5)
    estimates = combined.estimate(bench.archs)
    ranked = sorted(estimates.scores, key=estimates.scores.get, reverse=True)
    assert combined.shortlist_ == bench.archs[:3:-1]  # the supernet's best half, best first
    assert set(ranked[:4]) == set(combined.shortlist_)
    assert ranked[4:] == bench.archs[3::-1]  # the rest keep the supernet's order


def test_combined_asks_its_first_stage_about_every_architecture():
    bench = load("convpool")
    partial = Estimates({arch: 1.0 for arch in bench.archs[:4]})
    with pytest.raises(ValueError, match="the first stage has no score for"):
        Combined(partial, halving(bench, seed=0)).estimate(bench.archs)
    whole = Estimates({arch: float(i) for i, arch in enumerate(bench.archs)})
    subset = Combined(whole, halving(bench, seed=0), top_fraction=0.5).estimate(bench.archs[:4])
    assert set(subset.scores) == set(bench.archs[:4])


@pytest.mark.parametrize("top_fraction", [0, -0.1, 1.5, True, "0.3"])
def test_combined_names_a_bad_top_fraction(top_fraction):
    with pytest.raises(ValueError, match="top_fraction must be a number in"):
        Combined(Estimates({}), halving(load("convpool"), seed=0), top_fraction)


def test_combined_from_inherited_weights_trains_live():
    bench = load("convpool")
    data = protocol_data(bench.protocol)
    stage_one = brief_supernet(bench)
    supernet = stage_one.estimate(bench.archs)
    trainer = LiveTrainer(data, Protocol(train=TrainConfig(epochs=2)),
                          start=stage_one.supernet_.inherit)
    second = EarlyStopping(SuccessiveHalving(min_epochs=1, reduction=2), trainer)
    combined = Combined(supernet, second, top_fraction=0.25)
    estimates = combined.estimate(bench.archs)
    # Inherited weights are no table's runs: nothing is read, every seed stays truth.
    assert estimates.seeds_read == frozenset() and len(combined.shortlist_) == 2
    assert set(second.observed_) == set(combined.shortlist_)
    assert estimates.cost.epochs > supernet.cost.epochs


def test_equal_budget_rows_spend_what_the_combined_search_spent(rows):
    by_name = {row.strategy: row for row in rows}
    budget = by_name["combined"].epochs
    sharing = by_name["weight sharing (combined's budget)"]
    stopping = by_name["early stopping (combined's budget)"]
    assert sharing.epochs == pytest.approx(budget, rel=0.05)
    assert 0 < stopping.epochs <= budget
    assert stopping.num_archs < 8  # a random sample of the space, not all of it


def test_compare_runs_the_library_defaults():
    config = CompareConfig()
    assert config.supernet_budget == SupernetConfig().budget
    assert config.top_fraction == COMBINED_TOP_FRACTION
    default = SuccessiveHalving()
    assert (config.min_epochs, config.reduction) == (default.min_epochs, default.reduction)
    for table in ("convpool", "five-op", "three-op"):  # the shipped protocols are the defaults
        assert config.supernet(load(table)) == SupernetConfig()


def test_the_supernet_trains_at_the_tables_learning_rate_width_and_epochs():
    five_op = load("five-op")  # a fresh Bench: changing its protocol changes no other test's
    five_op.protocol = dataclasses.replace(
        five_op.protocol, train=TrainConfig(epochs=7, learning_rate=0.03, channels=8))
    supernet = CompareConfig().supernet(five_op)
    assert (supernet.learning_rate, supernet.channels, supernet.reference_epochs) == (0.03, 8, 7)


@pytest.mark.parametrize("budget", [0, -0.1, 1.5, True, "0.01"])
def test_a_bad_supernet_budget_is_named(budget):
    with pytest.raises(ValueError, match=f"supernet_budget=.*{budget}"):
        CompareConfig(supernet_budget=budget)


def test_the_combined_pick_is_trained_to_the_end_whatever_its_supernet_rank():
    bench = load("convpool")
    combined = Combined(brief_supernet(bench), halving(bench, seed=0), top_fraction=1.0)
    estimates = combined.estimate(bench.archs)
    observed = combined.second.observed_
    assert len(observed[estimates.best()]) == bench.protocol.train.epochs
    # Longer-trained runs rank above shorter ones; the supernet's order no longer decides.
    ranked = sorted(estimates.scores, key=estimates.scores.get, reverse=True)
    assert [len(observed[arch]) for arch in ranked] == sorted(
        (len(curve) for curve in observed.values()), reverse=True)


def test_lesson_5_estimators_are_opt_in_rows_scored_on_the_same_truth():
    names = ("parameter count", "synflow", "naswot", "few-shot weight sharing")
    rows = compare(QUICK, names)
    assert [row.strategy for row in rows[:-1]] == list(names)
    assert len({row.truth_seeds for row in rows}) == 1  # one truth, the ceiling's too
    assert all(-1 <= row.kendall_tau <= 1 and row.epochs >= 0 for row in rows)
    assert rows[1].epochs < rows[3].epochs  # a proxy costs less than training a supernet
    assert not set(LITERATURE) & set(DEFAULT_STRATEGIES)
