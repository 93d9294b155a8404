import numpy as np
import pytest
import torch

from nasedu.darts import (Darts, DartsConfig, MixedSuperNet, mixed_cost_ratio, rank_by_weights,
                          search)
from nasedu.models import SuperNet
from nasedu.sharing import SupernetConfig
from nasedu.space import Architecture, SearchSpace, get_space

CONVPOOL = get_space("convpool")
SMALL = SearchSpace(("conv3x3", "maxpool3x3", "skip"), 2, name="small")


def one_step(data, config=DartsConfig()):
    """Epoch-equivalents of exactly one architecture step and one weight step."""
    ratio = mixed_cost_ratio(SMALL, 1, (8, 8), config.channels)
    return 2 * config.batch_size * ratio / len(data.x_train)


def test_a_mixed_op_with_one_hot_weights_runs_one_path(digits):
    torch.manual_seed(0)
    supernet = SuperNet(SMALL).eval()
    arch = Architecture(("maxpool3x3", "conv3x3"))
    alphas = torch.full((2, 3), -1e4)
    alphas[0, SMALL.ops.index("maxpool3x3")] = alphas[1, SMALL.ops.index("conv3x3")] = 0.0
    images = digits.x_val[:8]
    with torch.no_grad():
        assert torch.allclose(MixedSuperNet(supernet, alphas)(images), supernet(images, arch),
                              atol=1e-6)


def test_uniform_weights_average_the_ops_of_a_layer(digits):
    supernet = SuperNet(SearchSpace(("maxpool3x3", "skip"), 1)).eval()
    images = digits.x_val[:4]
    with torch.no_grad():
        stem = supernet.stem(images)
        expected = supernet.head((supernet.layers[0]["maxpool3x3"](stem) + stem) / 2)
        assert torch.allclose(MixedSuperNet(supernet, torch.zeros(1, 2))(images), expected,
                              atol=1e-6)


def test_architecture_weights_change_after_one_step_and_the_history_records_them(digits):
    model, history, cost = search(SMALL, digits, one_step(digits), seed=0)
    assert len(history) == 2 and history[0][0] == 0.0
    assert history[1][0] == pytest.approx(cost.epochs)
    assert not np.allclose(history[0][1], history[1][1])
    assert np.allclose(history[1][1].sum(axis=1), 1.0)
    assert np.allclose(history[1][1], torch.softmax(model.alphas.detach(), 1).numpy())


def test_the_ranking_is_the_sum_of_log_softmax_weights_and_its_best_is_the_argmax(digits):
    supernet = SuperNet(SMALL)
    alphas = torch.tensor([[2.0, 0.5, -1.0], [0.0, 1.0, 3.0]])
    model = MixedSuperNet(supernet, alphas)
    scores = rank_by_weights(model, SMALL.enumerate())
    log_weights = torch.log_softmax(alphas, dim=1)
    for arch, value in scores.items():
        i, j = (SMALL.ops.index(op) for op in arch.ops)
        assert value == pytest.approx(float(log_weights[0, i] + log_weights[1, j]))
    assert max(scores, key=scores.get) == Architecture(("conv3x3", "skip"))


def test_the_estimator_ranks_by_the_weights_it_learnt_and_reads_no_seed(digits):
    darts = Darts(SMALL, digits, DartsConfig(budget=0.002), seed=1)
    estimates = darts.estimate(SMALL.enumerate())
    assert estimates.scores == rank_by_weights(darts.model_, SMALL.enumerate())
    assert estimates.best() == darts.argmax_
    assert estimates.seeds_read == frozenset()
    steps = len(darts.history_) - 1
    assert estimates.cost.epochs == pytest.approx(steps * one_step(digits))


def test_by_default_darts_spends_one_shots_training_budget(digits):
    # No op with weights keeps it cheap; 64 candidates, so that the default's floor of 10
    # epochs per op fits within its cap (a smaller space trains less, in smaller batches).
    tiny = SearchSpace(("maxpool3x3", "skip"), 6)
    config = DartsConfig(batch_size=512)  # the default budget in fewer, larger steps
    estimates = Darts(tiny, digits, config, seed=0).estimate(tiny.enumerate())
    one_shot = SupernetConfig().training_epochs(tiny.enumerate(), digits)
    one_step = 2 * config.batch_size / len(digits.x_train)  # no op has MACs: ratio 1
    assert mixed_cost_ratio(tiny, 1, (8, 8), 16) == 1.0
    assert abs(estimates.cost.epochs - one_shot) <= one_step / 2


def test_each_pass_is_charged_for_every_op_it_computes():
    conv_only = SearchSpace(("conv3x3",), 3)
    assert mixed_cost_ratio(conv_only, 1, (8, 8), 16) == pytest.approx(1.0)
    ratio = mixed_cost_ratio(get_space("three-op"), 1, (8, 8), 16)
    assert 2 < ratio < 3  # two of three ops have weights: about their number, less the ends
    assert mixed_cost_ratio(CONVPOOL, 1, (8, 8), 16) < mixed_cost_ratio(
        SearchSpace(("conv3x3", "conv5x5"), 3), 1, (8, 8), 16)


def test_the_same_seed_learns_the_same_weights(digits):
    first = search(SMALL, digits, 2 * one_step(digits), seed=3)[1]
    again = search(SMALL, digits, 2 * one_step(digits), seed=3)[1]
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again))


def test_the_architecture_learning_rate_keeps_darts_travel(digits):
    config = DartsConfig()
    _, history, _ = search(SMALL, digits, 3 * one_step(digits), config, seed=0)
    rate = config.arch_travel / 3  # three steps
    # Adam's first step moves every alpha by the learning rate, against its gradient's sign;
    # a layer's gradients sum to zero (softmax), so of three ops one moves one way, two the
    # other, and the largest move relative to the layer's mean is 4/3 of the rate.
    before, after = (np.log(weights) for _, weights in history[:2])
    moved = (after - after.mean(1, keepdims=True)) - (before - before.mean(1, keepdims=True))
    assert np.allclose(np.abs(moved).max(axis=1), 4 / 3 * rate, rtol=0.02)


@pytest.mark.parametrize("bad", [{"budget": 0}, {"budget": 2.0}, {"arch_travel": -1.0},
                                 {"batch_size": 0}, {"gradient_clip": "5"}])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        DartsConfig(**bad)


def test_bad_calls_are_refused(digits):
    with pytest.raises(TypeError, match="SearchSpace"):
        Darts("convpool", digits)
    with pytest.raises(ValueError, match="empty"):
        Darts(SMALL, digits).estimate([])
    with pytest.raises(ValueError, match="positive"):
        search(SMALL, digits, 0.0)
