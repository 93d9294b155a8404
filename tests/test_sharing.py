import dataclasses
import itertools
import math

import pytest
import torch
from torch import nn

from nasedu.estimators import WeightSharing
from nasedu.models import SuperNet
from nasedu.sharing import (MAX_DEFAULT_SHARE, MIN_BATCH_SIZE, MIN_EPOCHS_PER_OP, SUPERNET_BUDGET,
                            SupernetConfig, evaluate_all,
                            evaluate_one, exhaustive_epochs, recalibration_images, train_supernet,
                            training_batches, tree_work_fraction)
from nasedu.sharing_parts import SAMPLERS, SCHEDULES, SCORES, fair_paths, uniform_paths
from nasedu.space import Architecture, SearchSpace, get_space
from nasedu.train import TrainConfig, TrainingDiverged, recalibrate_bn, seeded, train

CONVPOOL = get_space("convpool")
SMALL = SearchSpace(("conv3x3", "conv5x5", "maxpool3x3", "skip"), 3, name="small")


@pytest.fixture(scope="module")
def trained(digits):
    supernet, cost = train_supernet(SMALL, digits, epochs=2, seed=0)
    return supernet


def test_inherited_child_computes_what_the_supernet_path_computes(trained, digits):
    images = digits.x_val[:16]
    trained.eval()
    for arch in SMALL.sample(6, seed=0):
        child = trained.inherit(arch).eval()
        assert torch.equal(child(images), trained(images, arch))
    trained.train()


def test_inherited_weights_are_copies_not_views(trained):
    arch = Architecture.parse("conv3x3-skip-skip")
    child = trained.inherit(arch)
    with torch.no_grad():
        child.layers[0][0].weight.add_(1.0)
    assert not torch.equal(child.layers[0][0].weight, trained.layers[0]["conv3x3"][0].weight)


def test_a_training_step_moves_only_the_sampled_path(digits):
    config = SupernetConfig(batch_size=64)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        before = SuperNet(SMALL, channels=config.channels)
    after, cost = train_supernet(SMALL, digits, 64 / len(digits.x_train), config, seed=0)
    sampled, = next(uniform_paths(SMALL, torch.Generator().manual_seed(0)))
    for layer, op in itertools.product(range(SMALL.num_layers), SMALL.ops):
        old = nn.utils.parameters_to_vector(before.layers[layer][op].parameters()) \
            if list(before.layers[layer][op].parameters()) else None
        if old is None:
            continue
        new = nn.utils.parameters_to_vector(after.layers[layer][op].parameters())
        assert torch.equal(old, new) == (op != sampled.ops[layer]), (layer, op)
    assert cost.epochs == pytest.approx(64 / len(digits.x_train))


def test_fair_sampler_trains_every_op_of_every_layer_once_per_step():
    step = next(fair_paths(SMALL, torch.Generator().manual_seed(3)))
    assert len(step) == len(SMALL.ops)
    for layer in range(SMALL.num_layers):
        assert sorted(arch.ops[layer] for arch in step) == sorted(SMALL.ops)


def test_uniform_sampler_covers_the_ops_evenly():
    paths = uniform_paths(SMALL, torch.Generator().manual_seed(0))
    counts = {op: 0 for op in SMALL.ops}
    for _ in range(2000):
        counts[next(paths)[0].ops[0]] += 1
    assert all(400 < count < 600 for count in counts.values())


def test_same_seed_same_supernet(digits):
    config = SupernetConfig(sampler="fair")
    first, _ = train_supernet(CONVPOOL, digits, 0.5, config, seed=4)
    second, _ = train_supernet(CONVPOOL, digits, 0.5, config, seed=4)
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)


def test_recalibration_sets_bn_statistics_to_the_paths_own_batch_statistics(trained, digits):
    arch = Architecture.parse("conv5x5-conv3x3-skip")
    child = trained.inherit(arch)
    images = recalibration_images(digits, 256)
    stale = child.layers[1][1].running_mean.clone()
    recalibrate_bn(child, images, batch_size=len(images))
    with torch.no_grad():
        features = child.layers[0](child.stem(images))  # input of layer 1, through its path
        expected = child.layers[1][0](features).mean(dim=(0, 2, 3))
    assert torch.allclose(child.layers[1][1].running_mean, expected, atol=1e-5)
    assert not torch.allclose(stale, expected, atol=1e-3)


def test_tree_evaluation_equals_one_by_one_evaluation(trained, digits):
    """The tree recalibrates BN by hand (it keeps each layer's output for the next), one by one
    uses PyTorch's update_bn (``recalibrate_bn``): the two must give the same scores."""
    archs = SMALL.enumerate()
    tree = evaluate_all(trained, archs, digits)
    images = recalibration_images(digits, SupernetConfig().recalibration_size)
    one_by_one = {arch: evaluate_one(trained, arch, digits.x_val, images, digits.y_val)
                  for arch in archs}
    assert tree == pytest.approx(one_by_one, abs=1e-5)
    assert len(set(tree.values())) > 5  # a real spread, not a constant
    accuracies = evaluate_all(trained, archs, digits, SupernetConfig(score="accuracy"))
    assert all(0 <= value <= 1 for value in accuracies.values())
    assert accuracies == {arch: evaluate_one(trained, arch, digits.x_val, images, digits.y_val,
                                             score="accuracy") for arch in archs}


def test_prefixes_that_differ_only_by_skip_and_pool_order_are_evaluated_once(trained, digits):
    same = [Architecture.parse(text) for text in
            ("conv3x3 -> skip -> maxpool3x3", "conv3x3 -> maxpool3x3 -> skip")]
    other = Architecture.parse("conv3x3 -> skip -> conv3x3")  # layer 3's weights, not layer 2's
    images = recalibration_images(digits, SupernetConfig().recalibration_size)
    tree = evaluate_all(trained, [*same, other, Architecture.parse("conv3x3 -> conv3x3 -> skip")],
                        digits)
    assert tree[same[0]] == tree[same[1]]
    assert tree[same[0]] == evaluate_one(trained, same[1], digits.x_val, images, digits.y_val)
    assert tree[other] != tree[Architecture.parse("conv3x3 -> conv3x3 -> skip")]
    assert tree_work_fraction(trained, same, (8, 8)) == pytest.approx(0.5)


def test_tree_evaluation_leaves_the_supernet_unchanged(trained, digits):
    before = {k: v.clone() for k, v in trained.state_dict().items()}
    evaluate_all(trained, SMALL.sample(5, seed=1), digits)
    assert all(torch.equal(before[k], v) for k, v in trained.state_dict().items())


def test_exhaustive_training_is_counted_as_a_stand_alone_run_is_charged(digits):
    run = train("conv -> conv -> pool", digits, TrainConfig(epochs=2), seed=0)
    assert exhaustive_epochs(1, digits, epochs=2) == pytest.approx(run.cost.epochs)
    assert exhaustive_epochs(625, digits) == pytest.approx(625 * exhaustive_epochs(1, digits))
    with pytest.raises(ValueError, match="num_archs must be a positive integer"):
        exhaustive_epochs(0, digits)


def test_the_supernet_budget_is_a_share_of_exhaustive_training_of_the_candidates(digits):
    config = SupernetConfig(budget=0.01, reference_epochs=6)
    five_op = get_space("five-op").enumerate()
    assert config.training_epochs(CONVPOOL.enumerate(), digits) == pytest.approx(
        0.01 * exhaustive_epochs(8, digits, epochs=6))
    assert config.training_epochs(five_op, digits) == pytest.approx(
        625 / 8 * config.training_epochs(CONVPOOL.enumerate(), digits))
    assert config.training_epochs(five_op + five_op, digits) == pytest.approx(
        config.training_epochs(five_op, digits))  # candidates are counted once


def test_the_default_budget_trains_every_op_of_a_layer_at_least_min_epochs_per_op(digits):
    config = SupernetConfig()
    five_op = get_space("five-op").enumerate()
    three_op = SearchSpace(("conv3x3", "conv5x5", "avgpool3x3"), 5).enumerate()
    share = SUPERNET_BUDGET * exhaustive_epochs(625, digits)
    assert share >= MIN_EPOCHS_PER_OP * 5  # five-op: the share itself
    assert config.plan(five_op, digits) == (pytest.approx(share), config)
    assert config.plan(three_op, digits) == (MIN_EPOCHS_PER_OP * 3, config)  # the floor
    assert SupernetConfig(budget=0.001).training_epochs(three_op, digits) < 5


def test_the_default_costs_at_most_its_cap_and_trains_a_small_space_in_smaller_batches(digits):
    config = SupernetConfig()
    epochs, planned = config.plan(CONVPOOL.enumerate(), digits)
    assert epochs < MIN_EPOCHS_PER_OP * 2  # the floor would cost more than the cap
    assert MIN_BATCH_SIZE <= planned.batch_size < config.batch_size
    assert planned == dataclasses.replace(config, batch_size=planned.batch_size)
    estimates = WeightSharing(CONVPOOL, digits, config, seed=0).estimate(CONVPOOL.enumerate())
    one_batch = MIN_BATCH_SIZE / len(digits.x_train)  # training stops after a whole batch
    assert estimates.cost.epochs <= MAX_DEFAULT_SHARE * exhaustive_epochs(8, digits) + one_batch
    assert estimates.cost.epochs >= 0.99 * MAX_DEFAULT_SHARE * exhaustive_epochs(8, digits)
    # An explicit budget is that share exactly, whatever it costs, in the configured batches.
    explicit = SupernetConfig(budget=0.2)
    assert explicit.plan(CONVPOOL.enumerate(), digits) == (
        pytest.approx(0.2 * exhaustive_epochs(8, digits)), explicit)


def test_a_default_whose_evaluation_alone_exceeds_the_cap_is_refused(digits):
    config = SupernetConfig(recalibration_size=len(digits.x_train))  # a costly evaluation
    with pytest.raises(ValueError, match="evaluating the candidates alone costs more"):
        config.plan([Architecture(("conv3x3",)), Architecture(("maxpool3x3",))], digits)


def test_weight_sharing_estimator_scores_and_charges_its_cost(digits):
    one_epoch = 1 / exhaustive_epochs(8, digits)  # the budget that trains for one epoch
    estimator = WeightSharing(CONVPOOL, digits, SupernetConfig(budget=one_epoch), seed=0)
    estimates = estimator.estimate(CONVPOOL.enumerate())
    assert set(estimates.scores) == set(CONVPOOL.enumerate())
    assert estimates.seeds_read == frozenset()
    share = tree_work_fraction(estimator.supernet_, CONVPOOL.enumerate(), (8, 8))
    evaluated = share * 8 * (256 + len(digits.x_val)) / len(digits.x_train) / 3
    assert estimates.cost.epochs == pytest.approx(1 + evaluated, abs=0.1)


def test_tree_work_fraction_counts_each_distinct_prefix_once():
    supernet = SuperNet(CONVPOOL)
    conv, stem, head = 64 * 9 * 16 * 16, 64 * 9 * 1 * 16, 16 * 10  # MACs per 8x8 image
    pair = [Architecture.parse("conv -> conv -> conv"), Architecture.parse("conv -> conv -> pool")]
    # one by one: 2 stems, 5 convs, 2 heads; the tree: 1 stem, 3 convs, 2 heads
    expected = (stem + 3 * conv + 2 * head) / (2 * stem + 5 * conv + 2 * head)
    assert tree_work_fraction(supernet, pair, (8, 8)) == pytest.approx(expected)
    assert tree_work_fraction(supernet, pair[:1], (8, 8)) == 1.0


def test_forward_with_an_architecture_of_another_space_names_it(trained):
    with pytest.raises(ValueError, match="'avgpool3x3' .*not in space 'small'"):
        trained(torch.zeros(1, 1, 8, 8), "conv -> avgpool3x3 -> conv")
    with pytest.raises(ValueError, match="has 2 layers"):
        trained.inherit("conv -> conv")


@pytest.mark.parametrize("field, value, message", [
    ("budget", 0, r"budget is a share of exhaustive training, a number in \(0, 1\] \(or None "
                   r"for the default\), but got "
                  r"budget=0"), ("budget", 1.5, "budget=1.5"), ("budget", True, "budget=True"),
    ("reference_epochs", 0, "reference_epochs must be a positive integer"),
    ("sampler", "greedy", "unknown sampler 'greedy'"),
    ("batch_size", 0, "batch_size must be a positive integer"),
    ("schedule", "step", r"unknown schedule 'step'; choose from \['cosine', 'constant'\]"),
    ("sampler", ["uniform"], r"unknown sampler \['uniform'\]; choose from \['uniform', 'fair'\]"),
    ("score", "f1", "unknown score .f1.; choose from"),
    ("learning_rate", 0, r"learning_rate must be a number in \(0, 10\]"),
    ("momentum", 1.0, r"momentum must be a number in \[0, 1\)")])
def test_bad_supernet_configs_are_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        SupernetConfig(**{field: value})


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device; none here")
def test_weight_sharing_runs_on_cuda(digits):
    data = digits.to("cuda")
    supernet, _ = train_supernet(CONVPOOL, data, epochs=1)
    assert next(supernet.parameters()).is_cuda
    assert len(evaluate_all(supernet, CONVPOOL.enumerate(), data)) == 8


def test_the_schedules_run_from_the_peak_rate_down_to_zero_or_stay():
    cosine, constant = SCHEDULES["cosine"], SCHEDULES["constant"]
    assert [cosine(p) for p in (0, 0.5, 1)] == pytest.approx([1, 0.5, 0], abs=1e-12)
    progress = [i / 10 for i in range(11)]
    assert all(cosine(a) > cosine(b) for a, b in zip(progress, progress[1:]))
    assert {constant(p) for p in progress} == {1.0}


def reference_supernet(space, data, epochs, config, seed):
    """The supernet training written out with the cosine rate set by hand before each step,
    as the library did before it used LambdaLR."""
    with seeded(seed):
        supernet = SuperNet(space, channels=config.channels)
    optimizer = torch.optim.SGD(supernet.parameters(), lr=config.learning_rate,
                                momentum=config.momentum, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(seed)
    paths, batches = uniform_paths(space, generator), training_batches(data, 64, generator)
    budget, trained = epochs * len(data.x_train), 0
    while trained < budget:
        for group in optimizer.param_groups:
            group["lr"] = config.learning_rate * 0.5 * (1 + math.cos(math.pi * trained / budget))
        path, = next(paths)
        batch = next(batches)
        optimizer.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(supernet(data.x_train[batch], path),
                                    data.y_train[batch]).backward()
        optimizer.step()
        trained += len(batch)
    return supernet


def test_the_cosine_schedule_sets_exactly_the_hand_written_rate_at_every_step(digits):
    config = SupernetConfig()
    supernet, _ = train_supernet(SMALL, digits, 0.5, config, seed=2)
    reference = reference_supernet(SMALL, digits, 0.5, config, seed=2)
    assert all(torch.equal(a, b) for a, b in zip(supernet.state_dict().values(),
                                                 reference.state_dict().values()))
    constant, _ = train_supernet(SMALL, digits, 0.5, SupernetConfig(schedule="constant"), seed=2)
    assert not torch.equal(constant.head[-1].weight, supernet.head[-1].weight)


def test_a_diverging_supernet_training_stops_with_a_clear_error(digits):
    poisoned = dataclasses.replace(digits, x_train=digits.x_train * math.nan)
    with pytest.raises(TrainingDiverged, match=r"the supernet's training diverged in step 1 "
                                               r"\(epoch 0.00 of 1\): the loss of path .* is nan; "
                                               r"lower learning_rate \(now 0.02\)"):
        train_supernet(CONVPOOL, poisoned, 1)


def test_samplers_schedules_and_scores_are_registries_of_callables(trained, digits):
    assert set(SAMPLERS) == {"uniform", "fair"} and set(SCORES) == {"loss", "accuracy"}
    assert all(callable(entry) for registry in (SAMPLERS, SCHEDULES, SCORES)
               for entry in registry.values())
    logits, labels = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]]), torch.tensor([0, 1, 1])
    assert SCORES["accuracy"](logits, labels) == pytest.approx(2 / 3)
    assert SCORES["loss"](logits, labels) == pytest.approx(
        -nn.functional.cross_entropy(logits, labels).item())
    with pytest.raises(ValueError, match=r"unknown score 'f1'; choose from \['loss', 'accuracy'\]"):
        evaluate_one(trained, "conv -> conv -> conv", digits.x_val, digits.x_train[:8],
                     digits.y_val, score="f1")


def test_weight_sharing_refuses_to_estimate_nothing(digits):
    with pytest.raises(ValueError, match="archs is empty"):
        WeightSharing(get_space("convpool"), digits).estimate([])


def test_a_supernet_with_no_training_is_refused(digits):
    with pytest.raises(ValueError, match="training must be positive, but got epochs=0"):
        train_supernet(CONVPOOL, digits, 0)
