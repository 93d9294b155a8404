
import pytest
import torch
from torch import nn

from nasedu.estimators import WeightSharing
from nasedu.few_shot import FewShot, split_paths
from nasedu.sharing import SupernetConfig, evaluate_all
from nasedu.space import Architecture, SearchSpace, get_space

SMALL = SearchSpace(("conv3x3", "conv5x5", "maxpool3x3"), 2, name="small")
CONFIG = SupernetConfig(budget=0.005)  # 0.9 epoch-equivalents on SMALL's 9 archs


def vector(module):
    return nn.utils.parameters_to_vector(module.parameters()).detach().clone()


@pytest.fixture(scope="module")
def few_shot(digits):
    estimator = FewShot(SMALL, digits, CONFIG, seed=0)
    return estimator, estimator.estimate(SMALL.enumerate())


def test_split_paths_keep_the_op_of_the_split_layer():
    paths = split_paths(get_space("five-op"), 2, "skip", torch.Generator().manual_seed(0))
    drawn = [path for _, (path,) in zip(range(200), paths)]
    assert all(arch.ops[2] == "skip" for arch in drawn)
    assert {arch.ops[0] for arch in drawn} == set(get_space("five-op").ops)


def test_each_sub_supernet_only_trains_architectures_with_its_op_at_the_split_layer(few_shot):
    estimator, _ = few_shot
    warmup = estimator.warmup_
    for op, supernet in estimator.supernets_.items():
        for other in SMALL.ops:
            if other == "maxpool3x3":  # no weights to move
                continue
            moved = not torch.equal(vector(warmup.layers[0][other]),
                                    vector(supernet.layers[0][other]))
            assert moved == (other == op), (op, other)
        assert not torch.equal(vector(warmup.stem), vector(supernet.stem))


def test_every_architecture_is_scored_by_its_own_sub_supernet(few_shot, digits):
    estimator, estimates = few_shot
    for arch in SMALL.enumerate():
        own = estimator.supernets_[arch.ops[0]]
        assert estimates.scores[arch] == pytest.approx(
            evaluate_all(own, [arch], digits, CONFIG, seed=0)[arch], abs=1e-6)


def test_the_parts_add_up_to_one_shots_training_budget_plus_evaluation(few_shot, digits):
    estimator, estimates = few_shot
    costs = estimator.costs_
    assert sum(c.epochs for c in costs.values()) == pytest.approx(estimates.cost.epochs)
    training = CONFIG.training_epochs(SMALL.enumerate(), digits)
    share = training / (2 + len(SMALL.ops))  # the warm-up takes two shares
    batch = CONFIG.batch_size / len(digits.x_train)  # a phase overruns by less than a batch
    assert 2 * share <= costs["warm-up"].epochs < 2 * share + batch
    assert all(share <= costs[op].epochs < share + batch for op in SMALL.ops)
    spent = sum(costs[part].epochs for part in ("warm-up", *SMALL.ops))
    assert training <= spent < training + 4 * batch
    # Evaluation: at least one-shot's prefix tree over the whole space (few-shot walks one
    # tree per sub-supernet), at most every architecture's passes one by one.
    one_shot = WeightSharing(SMALL, digits, CONFIG, seed=0).estimate(SMALL.enumerate())
    shared_tree = one_shot.cost.epochs - training - batch
    one_by_one = 9 * (CONFIG.recalibration_size + len(digits.x_val)) / 3 / len(digits.x_train)
    assert shared_tree <= costs["evaluation"].epochs <= one_by_one
    assert estimates.seeds_read == frozenset()


def test_only_the_ops_asked_about_get_a_sub_supernet(digits):
    archs = [a for a in SMALL.enumerate() if a.ops[0] != "conv5x5"]
    estimator = FewShot(SMALL, digits, CONFIG, seed=0)
    estimates = estimator.estimate(archs)
    assert set(estimator.supernets_) == {"conv3x3", "maxpool3x3"}
    assert list(estimates.scores) == archs


@pytest.mark.parametrize("bad", [{"split_layer": 2}, {"split_layer": -1},
                                 {"warmup_ratio": 0}, {"warmup_ratio": True}])
def test_bad_settings_are_refused_before_any_work(bad, digits):
    with pytest.raises(ValueError, match=next(iter(bad))):
        FewShot(SMALL, digits, CONFIG, **bad)


def test_empty_or_foreign_architectures_are_refused(digits):
    with pytest.raises(ValueError, match="empty"):
        FewShot(SMALL, digits, CONFIG).estimate([])
    with pytest.raises(ValueError, match="skip"):
        FewShot(SMALL, digits, CONFIG).estimate([Architecture(("skip", "conv3x3"))])
