import csv
import json

import pytest

from nasedu.__main__ import main
from nasedu.bench import load
from nasedu.build import build
from nasedu.protocol import Protocol, protocol_data
from nasedu.compare import (DEFAULT_STRATEGIES, STRATEGIES, CompareConfig, FullTraining, compare,
                            format_table, seconds_here, write_outputs)
from nasedu.cost import Cost
from nasedu.estimates import Estimates
from nasedu.estimators import Combined, EarlyStopping, WeightSharing
from nasedu.pruning import SuccessiveHalving
from nasedu.sharing import SupernetConfig
from nasedu.space import SearchSpace
from nasedu.train import TrainConfig

QUICK = CompareConfig(table="convpool", supernet_budget=0.0125, sample=3, timing_runs=1)


def replayed_combined(bench, top_fraction, seed):
    """A combined search on ``bench`` with a briefly trained supernet (0.625% of exhaustive,
    about one epoch on convpool) and successive halving (1, 2) replayed from ``seed``."""
    data = protocol_data(bench.protocol)
    return Combined(WeightSharing(bench.space, data, SupernetConfig(budget=0.00625)),
                    SuccessiveHalving(min_epochs=1, reduction=2), top_fraction=top_fraction,
                    mode="replay", bench=bench, seed=seed)


@pytest.fixture(scope="module")
def rows():
    return compare(QUICK, STRATEGIES)


def test_by_default_compare_leaves_out_the_equal_budget_reruns():
    assert STRATEGIES[:len(DEFAULT_STRATEGIES)] == DEFAULT_STRATEGIES
    assert len(STRATEGIES) == len(DEFAULT_STRATEGIES) + 2


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


def test_combined_is_composed_of_its_parts(monkeypatch):
    """The combined estimator calls the WeightSharing and EarlyStopping code, nothing else."""
    calls = []
    for cls in (WeightSharing, EarlyStopping):
        original = cls.estimate

        def spy(self, archs, original=original, cls=cls):
            calls.append((cls.__name__, len(archs)))
            return original(self, archs)
        monkeypatch.setattr(cls, "estimate", spy)
    bench = load("convpool")
    combined = replayed_combined(bench, top_fraction=0.5, seed=1)
    estimates = combined.estimate(bench.archs)
    assert calls == [("WeightSharing", 8), ("EarlyStopping", 4)]
    # The shortlist outranks the rest, and the replayed seed counts as read.
    ranked = sorted(estimates.scores, key=estimates.scores.get, reverse=True)
    assert set(ranked[:4]) == set(combined.shortlist_)
    assert estimates.seeds_read == {1}


def test_combined_from_inherited_weights_trains_live(digits):
    bench = load("convpool")
    data = protocol_data(bench.protocol)
    with pytest.raises(ValueError, match="use mode='live'"):
        Combined(WeightSharing(bench.space, data), SuccessiveHalving(), start="inherited",
                 mode="replay", bench=bench)
    with pytest.raises(ValueError, match="inherited weights differ between such paths"):
        Combined(WeightSharing(bench.space, data), SuccessiveHalving(), start="inherited",
                 distinct=True)
    combined = Combined(WeightSharing(bench.space, data, SupernetConfig(budget=0.00625)),
                        SuccessiveHalving(min_epochs=1, reduction=2), top_fraction=0.25,
                        start="inherited", protocol=Protocol(train=TrainConfig(epochs=2)))
    estimates = combined.estimate(bench.archs)
    assert estimates.seeds_read == frozenset() and len(combined.shortlist_) == 2
    trained = combined.early_stopping.observed_
    assert set(trained) == set(combined.shortlist_)


def test_equal_budget_rows_spend_what_the_combined_search_spent(rows):
    by_name = {row.strategy: row for row in rows}
    budget = by_name["combined"].epochs
    sharing = by_name["weight sharing (combined's budget)"]
    stopping = by_name["early stopping (combined's budget)"]
    assert sharing.epochs == pytest.approx(budget, rel=0.05)
    assert 0 < stopping.epochs <= budget
    assert stopping.num_archs < 8  # a random sample of the space, not all of it


def test_compare_runs_the_library_defaults():
    config, combined = CompareConfig(), Combined(WeightSharing(load("convpool").space, None))
    assert config.supernet_budget == SupernetConfig().budget
    assert config.top_fraction == combined.top_fraction
    halving = SuccessiveHalving()
    assert (config.min_epochs, config.reduction) == (halving.min_epochs, halving.reduction)
    assert config.supernet(load("five-op")).reference_epochs == 12


@pytest.mark.parametrize("budget", [0, -0.1, 1.5, True, "0.01"])
def test_a_bad_supernet_budget_is_named(budget):
    with pytest.raises(ValueError, match=f"supernet_budget=.*{budget}"):
        CompareConfig(supernet_budget=budget)


def test_the_combined_pick_is_trained_to_the_end_whatever_its_supernet_rank():
    bench = load("convpool")
    combined = replayed_combined(bench, top_fraction=1.0, seed=0)
    estimates = combined.estimate(bench.archs)
    observed = combined.early_stopping.observed_
    assert len(observed[estimates.best()]) == bench.protocol.train.epochs
    # Longer-trained runs rank above shorter ones; the supernet's order no longer decides.
    ranked = sorted(estimates.scores, key=estimates.scores.get, reverse=True)
    assert [len(observed[arch]) for arch in ranked] == sorted(
        (len(curve) for curve in observed.values()), reverse=True)
