import csv
import json

import pytest

from nasedu.__main__ import main
from nasedu.bench import load, protocol_data
from nasedu.compare import DEFAULT_STRATEGIES, STRATEGIES, CompareConfig, compare, write_outputs
from nasedu.estimators import Combined, EarlyStopping, WeightSharing
from nasedu.pruning import SuccessiveHalving
from nasedu.sharing import SupernetConfig

QUICK = CompareConfig(space="convpool", supernet_epochs=2, sample=3, timing_runs=1)


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
    assert by_name["weight sharing"].epochs > 2  # training plus evaluation
    assert all(-1 <= row.kendall_tau <= 1 for row in rows if row.num_archs > 2)


def test_a_strategy_that_cannot_run_is_reported_not_fatal():
    rows = compare(CompareConfig(space="convpool", sample=20, timing_runs=1),
                   ["full training (sample)", "parameter count"])
    assert "n must be an integer in [0, 8]" in rows[0].note
    assert rows[1].note == "" and rows[1].num_archs == 8


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
    assert main(["compare", "--space", "convpool", "--strategies", "parameter count",
                 "random search", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "parameter count" in printed and "noise ceiling" in printed
    assert sorted(p.name for p in out.iterdir()) == ["cost_vs_quality.png", "table.csv",
                                                     "table.json"]
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "--space", "convpool", "--strategies", "parameter count",
              "--quiet", "--out", str(blocker / "sub")])
    assert exit_info.value.code == 2
    assert "cannot write results" in capsys.readouterr().err


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
    data = protocol_data(bench.protocol)
    combined = Combined(WeightSharing(bench.space, data, SupernetConfig(epochs=1)),
                        SuccessiveHalving(min_epochs=1, reduction=2), top_fraction=0.5,
                        mode="replay", bench=bench, seed=1)
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
    from nasedu.train import TrainConfig
    combined = Combined(WeightSharing(bench.space, data, SupernetConfig(epochs=1)),
                        SuccessiveHalving(min_epochs=1, reduction=2), top_fraction=0.25,
                        start="inherited", config=TrainConfig(epochs=2))
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
