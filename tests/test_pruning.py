import math

import numpy as np
import pytest

from nasedu.bench import load
from nasedu.build import build
from nasedu.curves import LastValue, Prediction
from nasedu.estimators import EarlyStopping
from nasedu.protocol import Protocol, protocol_data
from nasedu.pruning import (Hyperband, MedianStopping, PredictiveStopping, SuccessiveHalving,
                            median_stops, probability_of_improvement, promote, rungs)
from nasedu.ranking import predicted_from_ops, zscore_sum
from nasedu.train import TrainConfig
from nasedu.trainers import LiveTrainer, ReplayTrainer


class Replay:
    """A trainer over hand-made curves."""

    def __init__(self, curves):
        self.curves = curves
        self.max_epochs = len(next(iter(curves.values())))

    def advance(self, key, epoch):
        return self.curves[key][:epoch]


CURVES = {
    "good": [0.5, 0.7, 0.80, 0.85, 0.88, 0.90, 0.91, 0.92, 0.92],
    "slow": [0.1, 0.2, 0.40, 0.60, 0.80, 0.90, 0.93, 0.94, 0.95],
    "fair": [0.4, 0.6, 0.70, 0.75, 0.78, 0.80, 0.81, 0.81, 0.82],
    "poor": [0.2, 0.3, 0.35, 0.40, 0.42, 0.44, 0.45, 0.45, 0.46],
    "bad":  [0.1, 0.1, 0.12, 0.15, 0.15, 0.16, 0.16, 0.17, 0.17],
}


def lengths(observed):
    return {key: len(curve) for key, curve in observed.items()}


def test_median_stops_below_the_median_only():
    assert median_stops(0.4, [0.3, 0.5, 0.6])
    assert not median_stops(0.5, [0.3, 0.5, 0.6])
    assert not median_stops(0.1, [])


def test_promote_keeps_the_best_first_and_breaks_ties_by_order():
    assert promote({"a": 0.5, "b": 0.9, "c": 0.5}, 2) == ["b", "a"]


def test_probability_of_improvement_is_a_normal_tail():
    assert probability_of_improvement(Prediction(0.8, 0.1), 0.8) == pytest.approx(0.5)
    assert probability_of_improvement(Prediction(0.6, 0.1), 0.8) == pytest.approx(0.02275,
                                                                                  abs=1e-4)
    assert probability_of_improvement(Prediction(0.9, 0.0), 0.8) == 1.0
    assert probability_of_improvement(Prediction(float("nan"), 0.1), 0.8) == 1.0


def test_rungs_multiply_by_the_reduction_factor_up_to_full_training():
    assert rungs(1, 3, 12) == [1, 3, 9, 12]
    assert rungs(2, 2, 8) == [2, 4, 8]


def test_median_stopping_decisions():
    observed = MedianStopping(warmup_epochs=2, min_runs=2).run(list(CURVES), Replay(CURVES))
    # good, slow: fewer than two earlier runs, so they run to the end. fair keeps up with the
    # median of good and slow until epoch 5, where its best, 0.78, falls below (0.88 + 0.80)/2.
    # poor at epoch 2: 0.3 < median(0.7, 0.2, 0.6); bad at epoch 2: 0.1 < 0.45.
    assert lengths(observed) == {"good": 9, "slow": 9, "fair": 5, "poor": 2, "bad": 2}


def test_successive_halving_decisions():
    trainer = Replay(CURVES)
    observed = SuccessiveHalving(min_epochs=1, reduction=2).run(list(CURVES), trainer)
    # Rungs 1, 2, 4, 8, 9. Epoch 1 keeps 3 of 5 (good 0.5, fair 0.4, poor 0.2); epoch 2
    # keeps 2 (good, fair); epoch 4 keeps good; it alone trains to 8 and 9.
    assert lengths(observed) == {"good": 9, "slow": 1, "fair": 4, "poor": 2, "bad": 1}


@pytest.mark.parametrize("rule", [SuccessiveHalving(min_epochs=1, reduction=2),
                                  Hyperband(min_epochs=1, reduction=2)])
def test_halving_promotes_by_a_given_ranking(rule):
    # A ranking that favours "slow" (say, a large model that starts slowly) keeps it alive
    # where its first accuracies alone would stop it at once.
    def ranking(curves):
        return {key: curve[-1] + (1.0 if key == "slow" else 0.0) for key, curve in curves.items()}
    assert lengths(rule.run(list(CURVES), Replay(CURVES)))["slow"] < 9
    assert lengths(rule.run(list(CURVES), Replay(CURVES), ranking))["slow"] == 9


def test_early_stopping_promotes_by_what_it_ranks_by():
    bench = load("three-op")
    search = EarlyStopping(SuccessiveHalving(1, 3), ReplayTrainer(bench, seed=0))
    search.estimate(bench.archs)
    # Every promotion, from the first rung on, followed the ranking's sum of accuracy, log
    # size and what the ops predict: among the first rung's runs, the promoted have the larger.
    first = {arch: curve[0] for arch, curve in search.observed_.items()}
    size = {arch: math.log(bench.parameters(arch)) for arch in first}
    pooled = predicted_from_ops({arch: [accuracy] for arch, accuracy in first.items()})
    archs = list(first)
    together = dict(zip(archs, zscore_sum([first[a] for a in archs], [size[a] for a in archs],
                                          [pooled[a] for a in archs])))
    promoted = [a for a in archs if len(search.observed_[a]) > 1]
    stopped = [a for a in archs if len(search.observed_[a]) == 1]
    assert min(together[a] for a in promoted) >= max(together[a] for a in stopped)
    # by accuracy alone, some promoted run would have been stopped
    assert min(first[a] for a in promoted) < max(first[a] for a in stopped)


def test_hyperband_decisions():
    observed = Hyperband(min_epochs=3, reduction=3).run(list(CURVES), Replay(CURVES))
    # Brackets start at epochs 3 and 9 and get 3 and 2 runs (sizes 2*3 : 1*1, rounded):
    # bracket 1 (good, slow, fair) keeps good after epoch 3; bracket 2 trains poor and bad.
    assert lengths(observed) == {"good": 9, "slow": 3, "fair": 3, "poor": 9, "bad": 9}


def test_predictive_stopping_decisions():
    rule = PredictiveStopping(LastValue(epochs=9, final_epochs=3), delta=0.05, min_epochs=3)
    observed = rule.run(list(CURVES), Replay(CURVES))
    # good finishes with best 0.917; slow's last value at epoch 3 (0.4) with its noise is far
    # below, stopped; fair (0.70, 3 epochs) too; poor and bad also.
    assert lengths(observed) == {"good": 9, "slow": 3, "fair": 3, "poor": 3, "bad": 3}


@pytest.mark.parametrize("make, message", [
    (lambda: SuccessiveHalving(reduction=1), "reduction factor must be an integer of at least 2"),
    (lambda: Hyperband(min_epochs=0), "min_epochs must be an integer >= 1"),
    (lambda: MedianStopping(min_runs=0), "min_runs must be an integer >= 1"),
    (lambda: PredictiveStopping(LastValue(9, 3), delta=1.5), "delta must be in"),
    (lambda: rungs(20, 3, 12), "smaller than one rung"),
])
def test_bad_rule_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_predictive_stopping_needs_a_predictor_set_up_for_the_protocol():
    with pytest.raises(TypeError, match="predictor must be a nasedu.curves.Predictor"):
        PredictiveStopping(None)


def test_predictive_stopping_reads_final_as_the_predictor_s_protocol_defines_it():
    # peak runs first, to the end: its final is 0.9 over its last epoch, 0.7 over its last 3.
    curves = {"peak": [0.1, 0.2, 0.3, 0.5, 0.6, 0.7, 0.5, 0.7, 0.9],
              "late": [0.6, 0.7, 0.75, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]}
    last_three = PredictiveStopping(LastValue(9, 3), delta=0.05, min_epochs=3)
    last_one = PredictiveStopping(LastValue(9, 1), delta=0.05, min_epochs=3)
    # "late" at epoch 3 predicts 0.75 with little noise: below 0.9 (stopped), above 0.7 (kept).
    assert lengths(last_one.run(list(curves), Replay(curves)))["late"] == 3
    assert lengths(last_three.run(list(curves), Replay(curves)))["late"] == 9


@pytest.fixture(scope="module")
def small_table(tmp_path_factory):
    path = tmp_path_factory.mktemp("es") / "convpool.json.gz"
    return load(build("convpool", path, seeds=(0, 1), protocol=Protocol(
        train=TrainConfig(epochs=4))))


@pytest.mark.slow
@pytest.mark.parametrize("rule", [SuccessiveHalving(min_epochs=1, reduction=2),
                                  MedianStopping(warmup_epochs=1, min_runs=2)])
def test_live_and_replay_make_the_same_decisions(small_table, rule):
    archs = small_table.archs
    # Live runs follow the table's protocol in full, thread count included, whatever torch
    # would pick on this machine: then they reproduce the table bit for bit.
    live = EarlyStopping(rule, LiveTrainer(protocol_data(small_table.protocol),
                                           small_table.protocol, seed=1))
    replay = EarlyStopping(rule, ReplayTrainer(small_table, seed=1))
    live_estimates, replay_estimates = live.estimate(archs), replay.estimate(archs)
    assert live.observed_ == replay.observed_
    assert live_estimates.scores == replay_estimates.scores
    # A live run from scratch with the table's protocol and seed 1 reproduces seed 1: a read,
    # so the live search is never scored against its own seed.
    assert replay_estimates.seeds_read == live_estimates.seeds_read == {1}
    assert list(small_table.score(live_estimates).seeds) == [0]
    assert live_estimates.cost.epochs == pytest.approx(replay_estimates.cost.epochs)


@pytest.mark.slow
def test_replay_charges_only_the_epochs_it_read(small_table):
    trainer = ReplayTrainer(small_table, 0)
    arch = small_table.archs[0]
    trainer.advance(arch, 2)
    assert trainer.cost.epochs == pytest.approx(small_table.training_cost(arch, 0).epochs / 2)
    assert trainer.fresh().cost.epochs == 0  # a fresh trainer has replayed nothing


def test_a_live_run_reads_its_seed_unless_it_starts_from_given_weights(digits):
    protocol = Protocol(train=TrainConfig(epochs=2))
    assert LiveTrainer(digits, protocol, seed=2).seeds_read == {2}
    inherited = LiveTrainer(digits, protocol, seed=2, start=lambda arch: None)
    assert inherited.seeds_read == frozenset()
    with pytest.raises(ValueError, match="differ between such twins"):
        LiveTrainer(digits, protocol, start=lambda arch: None, distinct=True)


def test_early_stopping_names_a_part_that_does_not_fit():
    bench = load("convpool")
    with pytest.raises(TypeError, match="rule must be a nasedu.pruning.Rule"):
        EarlyStopping("successive halving", ReplayTrainer(bench, 0))
    with pytest.raises(TypeError, match=r"trainer must be a ReplayTrainer\(bench, seed\)"):
        EarlyStopping(SuccessiveHalving(), bench)
    with pytest.raises(TypeError, match="bench must be a ground-truth table"):
        ReplayTrainer("five-op", 0)


def test_estimating_twice_pays_twice_the_same():
    bench = load("convpool")
    search = EarlyStopping(SuccessiveHalving(1, 2), ReplayTrainer(bench, seed=0))
    first, second = search.estimate(bench.archs), search.estimate(bench.archs)
    assert first == second


def test_the_shipped_table_records_twins_identically():
    bench = load("five-op")
    first = {}
    for arch in bench.archs:
        twin = first.setdefault(arch.network(), arch)
        for seed in bench.seeds:
            assert bench.curve(arch, seed).val_accuracy == bench.curve(twin, seed).val_accuracy
    assert len(first) < len(bench.archs)


def test_distinct_trains_each_stand_alone_network_once():
    bench = load("five-op")
    archs = bench.space.sample(120, seed=0)
    networks = {arch.network() for arch in archs}
    assert len(networks) < len(archs)  # the sample holds twins
    full = SuccessiveHalving(min_epochs=12)  # one rung: trains every run it is given fully
    every = EarlyStopping(full, ReplayTrainer(bench, seed=0)).estimate(archs)
    once = EarlyStopping(full, ReplayTrainer(bench, seed=0, distinct=True))
    estimates = once.estimate(archs)
    assert estimates.cost.epochs == pytest.approx(every.cost.epochs * len(networks) / len(archs))
    assert set(estimates.scores) == set(once.observed_) == set(archs)
    for arch in archs:
        twin = next(a for a in archs if a.network() == arch.network())
        assert estimates.scores[arch] == estimates.scores[twin]
    halving = EarlyStopping(SuccessiveHalving(1, 3), ReplayTrainer(bench, seed=0, distinct=True))
    alone = EarlyStopping(SuccessiveHalving(1, 3), ReplayTrainer(bench, seed=0))
    assert halving.estimate(archs).cost.epochs < alone.estimate(archs).cost.epochs


@pytest.mark.slow
def test_live_runs_follow_the_protocols_thread_count(small_table, monkeypatch):
    import torch
    seen = []
    original = torch.nn.functional.cross_entropy

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(*args, **kwargs)
    monkeypatch.setattr(torch.nn.functional, "cross_entropy", spy)
    before = torch.get_num_threads()
    EarlyStopping(SuccessiveHalving(1, 2), LiveTrainer(protocol_data(small_table.protocol),
                                                       small_table.protocol)
                  ).estimate(small_table.archs[:2])
    assert seen and set(seen) == {small_table.protocol.threads}
    assert torch.get_num_threads() == before


def test_estimating_nothing_is_a_clear_error():
    with pytest.raises(ValueError, match="archs is empty"):
        EarlyStopping(SuccessiveHalving(), ReplayTrainer(load("convpool"), 0)).estimate([])


def test_early_stopping_ranks_what_it_observed_with_the_parameter_count_and_the_ops():
    bench = load("five-op")
    archs = bench.space.sample(60, seed=1)
    estimator = EarlyStopping(SuccessiveHalving(1, 3), ReplayTrainer(bench, seed=0))
    estimates = estimator.estimate(archs)
    first_rung = [arch for arch in archs if len(estimator.observed_[arch]) == 1]
    pooled = predicted_from_ops(estimator.observed_)  # fitted on every run of the search
    expected = zscore_sum([estimator.observed_[arch][0] for arch in first_rung],
                          [math.log(bench.parameters(arch)) for arch in first_rung],
                          [pooled[arch] for arch in first_rung])
    assert np.argsort([estimates.scores[arch] for arch in first_rung]).tolist() == \
        np.argsort(expected).tolist()
    assert len(estimator.observed_[estimates.best()]) == bench.protocol.train.epochs
