import math

import pytest
import torch
from torch import nn

from nasedu.models import ChildNet
from nasedu.space import Architecture, SearchSpace, get_space
from nasedu.train import seeded
from nasedu.zero_cost import (INITIALISATION_PROXIES, GradNorm, Naswot, Snip, Synflow,
                              grad_norm_score, naswot_score, snip_score, synflow_score)

TWINS = SearchSpace(("conv3x3", "maxpool3x3", "skip"), 2, name="twins")


def network(text, seed=0):
    with seeded(seed):
        return ChildNet(Architecture.parse(text))


def reference_gradients(net, images, labels):
    """Weights of every conv and linear layer with their cross-entropy gradients, by autograd."""
    layers = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    net.train()
    loss = nn.functional.cross_entropy(net(images), labels)
    return [(layer.weight, grad) for layer, grad in
            zip(layers, torch.autograd.grad(loss, [layer.weight for layer in layers]))]


def test_synflow_of_a_network_with_a_dead_layer_is_lower():
    net = network("conv -> conv -> conv")
    alive = synflow_score(net, (1, 8, 8))
    with torch.no_grad():
        net.layers[1][0].weight.zero_()
    assert alive > 0 and synflow_score(net, (1, 8, 8)) < alive


@pytest.mark.parametrize("score", [
    lambda net, x, y: synflow_score(net, (1, 8, 8)), snip_score, grad_norm_score,
    lambda net, x, y: naswot_score(net, x)], ids=["synflow", "snip", "grad_norm", "naswot"])
def test_every_score_leaves_the_network_it_scores_untouched(score, digits):
    net = network("conv -> pool -> conv").eval()
    before = {name: value.clone() for name, value in net.state_dict().items()}
    score(net, digits.x_train[:16], digits.y_train[:16])
    assert all(torch.equal(before[name], value) for name, value in net.state_dict().items())
    assert all(p.grad is None for p in net.parameters()) and not net.training


def test_synflow_grows_with_the_weighted_layers_a_network_has():
    flows = [synflow_score(network(text), (1, 8, 8))
             for text in ("pool -> pool -> pool", "conv -> pool -> pool", "conv -> conv -> conv")]
    assert flows == sorted(flows) and len(set(flows)) == 3


def test_snip_and_grad_norm_match_autograd(digits):
    images, labels = digits.x_train[:32], digits.y_train[:32]
    net = network("conv -> conv5x5 -> pool")
    pairs = reference_gradients(network("conv -> conv5x5 -> pool"), images, labels)
    assert snip_score(net, images, labels) == pytest.approx(
        float(sum((w.detach() * g).abs().sum() for w, g in pairs)), rel=1e-5)
    assert grad_norm_score(net, images, labels) == pytest.approx(
        float(sum(g.norm() for _, g in pairs)), rel=1e-5)


def test_naswot_cannot_tell_identical_images_apart(digits):
    net = network("conv -> conv -> pool")
    distinct = digits.x_train[:16]
    repeated = torch.cat([distinct[:15], distinct[:1]])  # image 0 twice: K is singular
    assert math.isfinite(naswot_score(net, distinct))
    assert naswot_score(net, repeated) == -math.inf


def test_naswot_rewards_more_relu_units_that_separate_images(digits):
    images = digits.x_train[:32]
    assert naswot_score(network("conv -> conv -> conv"), images) > \
        naswot_score(network("pool -> pool -> pool"), images)


@pytest.mark.parametrize("proxy", INITIALISATION_PROXIES, ids=lambda p: p.name)
def test_skip_twins_get_one_score_and_are_charged_once(proxy, digits):
    estimator = proxy(digits, batch_size=16, init_seeds=2, seed=1)
    archs = TWINS.enumerate()
    estimates = estimator.estimate(archs)
    twins = [Architecture(("conv3x3", "skip")), Architecture(("skip", "conv3x3"))]
    assert estimates.scores[twins[0]] == estimates.scores[twins[1]]
    networks = len({arch.network() for arch in archs})
    per_pass = 1 if proxy is Synflow else 16
    weight = 1 / 3 if proxy is Naswot else 1.0
    assert estimates.cost.epochs == pytest.approx(
        weight * networks * 2 * per_pass / len(digits.x_train))
    assert estimates.seeds_read == frozenset()


@pytest.mark.parametrize("proxy", (Snip, GradNorm, Naswot), ids=lambda p: p.name)
def test_a_seed_fixes_the_scores_and_another_seed_changes_them(proxy, digits):
    archs = get_space("convpool").enumerate()
    first = proxy(digits, batch_size=16, init_seeds=1, seed=0).estimate(archs).scores
    again = proxy(digits, batch_size=16, init_seeds=1, seed=0).estimate(archs).scores
    other = proxy(digits, batch_size=16, init_seeds=1, seed=1).estimate(archs).scores
    assert first == again and first != other


def test_more_initialisations_average_more_draws(digits):
    arch = Architecture.parse("conv -> pool -> conv")
    one = [Synflow(digits, init_seeds=1, seed=s).estimate([arch]).scores[arch] for s in (0, 1)]
    # seed 0 with two initialisations draws seeds 0 and 1; seed 1 with one draws seed 1
    both = Synflow(digits, init_seeds=2, seed=0).estimate([arch]).scores[arch]
    assert both == pytest.approx((one[0] + one[1]) / 2) and one[0] != one[1]


@pytest.mark.parametrize("bad", [{"batch_size": 1}, {"init_seeds": 0}, {"seed": -1},
                                 {"channels": 0}])
def test_bad_settings_are_refused_before_any_work(bad, digits):
    with pytest.raises(ValueError, match=next(iter(bad))):
        Snip(digits, **bad)


def test_a_proxy_needs_a_dataset_and_architectures(digits):
    with pytest.raises(TypeError, match="Dataset"):
        Naswot(digits.x_train)
    with pytest.raises(ValueError, match="empty"):
        GradNorm(digits).estimate([])
