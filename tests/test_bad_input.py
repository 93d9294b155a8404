"""Every bad argument of the public API is a ValueError naming the argument and what is allowed,
raised before any work, never an error from inside torch, numpy or scikit-learn."""
import dataclasses
import math

import numpy as np
import pytest
import torch

from nasedu.data import from_arrays, load_dataset
from nasedu.devices import resolve_device
from nasedu.models import ChildNet, SuperNet, count_macs
from nasedu.seeds import MAX_SEED, check_seed
from nasedu.space import MAX_LISTED, Architecture, SearchSpace, get_space
from nasedu.train import Run, TrainConfig, TrainingDiverged, train

FIVE_OPS = ("conv3x3", "conv5x5", "maxpool3x3", "avgpool3x3", "skip")
SEED_RANGE = rf"must be an integer in \[0, {MAX_SEED}\]"
BAD_SEEDS = ["a", -1, 1.5, 2.0, True, None, MAX_SEED + 1, 2**64]


# Seeds

@pytest.mark.parametrize("seed", BAD_SEEDS)
def test_check_seed_names_the_argument_and_the_range(seed):
    with pytest.raises(ValueError, match=rf"split_seed {SEED_RANGE}, but got split_seed="):
        check_seed(seed, name="split_seed")


def test_check_seed_accepts_numpy_integers_and_the_ends_of_the_range():
    assert check_seed(np.int64(3)) == 3 and type(check_seed(np.int64(3))) is int
    assert check_seed(0) == 0 and check_seed(MAX_SEED) == MAX_SEED


# Architectures and search spaces

@pytest.mark.parametrize("ops, message", [
    ([1], r"an op must be a name such as 'conv3x3' \(a string\), but got 1"),
    ("conv", r"but got the string 'conv'; write Architecture.parse\('conv'\)"),
    (None, r"ops must be a tuple of op names .* but got None"),
    ((), r"an architecture needs 1 to 32 ops, but got 0"),
    (("conv3x3",) * 33, r"an architecture needs 1 to 32 ops, but got 33"),
])
def test_architecture_rejects_ops_that_are_not_op_names(ops, message):
    with pytest.raises(ValueError, match=message):
        Architecture(ops)


@pytest.mark.parametrize("ops", [None, "conv3x3", 3])
def test_search_space_rejects_ops_that_are_not_a_sequence_of_names(ops):
    with pytest.raises(ValueError, match=r"ops must be a tuple of op names.*choose from"):
        SearchSpace(ops, 3)


@pytest.mark.parametrize("layers", [0, 33, 10**9, None])
def test_search_space_rejects_layer_counts_no_network_can_have(layers):
    with pytest.raises(ValueError, match=rf"num_layers must be an integer in \[1, 32\], "
                                         rf"but got num_layers={layers!r}"):
        SearchSpace(FIVE_OPS, layers)


def test_search_space_rejects_a_name_that_is_not_a_string():
    with pytest.raises(ValueError, match="name must be a string, but got name=5"):
        SearchSpace(FIVE_OPS, 2, name=5)


def test_sampling_a_huge_space_never_lists_it():
    space = SearchSpace(FIVE_OPS, 12)  # 244 million architectures
    archs = space.sample(1000, seed=0)
    assert len(set(archs)) == 1000 and all(arch in space for arch in archs)
    assert space.sample(1, seed=0) == space.sample(1, seed=0)


def test_sampling_a_space_beyond_64_bit_indices_draws_distinct_architectures():
    space = SearchSpace(FIVE_OPS, 32)  # 5**32 > 2**63
    archs = space.sample(50, seed=1)
    assert len(set(archs)) == 50 and all(arch in space for arch in archs)
    assert archs == space.sample(50, seed=1) and archs != space.sample(50, seed=2)


def test_enumerating_a_space_too_big_to_hold_names_its_size_and_the_limit():
    with pytest.raises(ValueError, match=rf"has 244140625 architectures, more than the "
                                         rf"{MAX_LISTED} enumerate\(\) may list"):
        SearchSpace(FIVE_OPS, 12).enumerate()


def test_size_of_a_huge_space_is_exact_and_len_says_to_use_it():
    space = SearchSpace(FIVE_OPS, 32)
    assert space.size == 5**32
    with pytest.raises(OverflowError, match="more than len\\(\\) can return; use .size"):
        len(space)


@pytest.mark.parametrize("seed", BAD_SEEDS)
def test_sample_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match=rf"seed {SEED_RANGE}"):
        get_space("convpool").sample(2, seed=seed)


@pytest.mark.parametrize("n", [True, 2.0, "2", None])
def test_sample_rejects_counts_that_are_not_integers(n):
    with pytest.raises(ValueError, match=r"n must be an integer in \[0, 8\]"):
        get_space("convpool").sample(n, seed=0)


def test_sample_rejects_more_architectures_than_a_list_may_hold():
    with pytest.raises(ValueError, match=rf"n must be an integer in \[0, {MAX_LISTED}\]"):
        SearchSpace(FIVE_OPS, 12).sample(MAX_LISTED + 1, seed=0)


@pytest.mark.parametrize("index", [-1, 8, 1.0, True])
def test_architecture_at_rejects_indices_outside_the_space(index):
    with pytest.raises(ValueError, match=r"index must be an integer in \[0, 7\]"):
        get_space("convpool").architecture_at(index)


def test_validate_rejects_what_is_not_an_architecture():
    with pytest.raises(ValueError, match="expected an Architecture or a string.*but got 5"):
        get_space("convpool").validate(5)


# Networks

@pytest.mark.parametrize("arch", [5, None, ["conv3x3"]])
def test_child_net_rejects_what_is_not_an_architecture(arch):
    with pytest.raises(ValueError, match="arch must be an Architecture or a string"):
        ChildNet(arch)


@pytest.mark.parametrize("field, value", [("channels", 10**6), ("in_channels", 2.0),
                                          ("num_classes", True), ("channels", -3)])
def test_child_net_rejects_sizes_outside_their_range(field, value):
    with pytest.raises(ValueError, match=rf"{field} must be an integer in \[1, \d+\], "
                                         rf"but got {field}={value!r}"):
        ChildNet("conv", **{field: value})


def test_supernet_rejects_what_is_not_a_space_and_bad_sizes():
    with pytest.raises(ValueError, match="space must be a SearchSpace"):
        SuperNet("convpool")
    with pytest.raises(ValueError, match=r"channels must be an integer in \[1, 1024\]"):
        SuperNet(get_space("convpool"), channels=4096)


@pytest.mark.parametrize("shape", [(8, 8), (1, 0, 8), "1x8x8"])
def test_count_macs_rejects_shapes_that_are_not_c_h_w(shape):
    with pytest.raises(ValueError, match=r"input_shape must be \(C, H, W\)"):
        count_macs(ChildNet("conv"), shape)


# Training

@pytest.mark.parametrize("field, value, allowed", [
    ("learning_rate", math.inf, r"a number in \(0, 10\]"),
    ("learning_rate", math.nan, r"a number in \(0, 10\]"),
    ("learning_rate", 1e6, r"a number in \(0, 10\]"),
    ("learning_rate", 0, r"a number in \(0, 10\]"),
    ("learning_rate", "0.1", r"a number in \(0, 10\]"),
    ("momentum", 1, r"a number in \[0, 1\)"),
    ("momentum", -0.5, r"a number in \[0, 1\)"),
    ("weight_decay", math.inf, r"a number in \[0, 1\)"),
    ("weight_decay", True, r"a number in \[0, 1\)"),
    ("epochs", 10**9, r"an integer in \[1, 10000\]"),
    ("epochs", 1e9, r"an integer in \[1, 10000\]"),
    ("batch_size", 10**7, r"an integer in \[1, 65536\]"),
    ("channels", 10**6, r"an integer in \[1, 1024\]"),
])
def test_protocol_values_outside_their_range_name_the_range(field, value, allowed):
    with pytest.raises(ValueError, match=rf"{field} must be {allowed}, but got {field}="):
        TrainConfig(**{field: value})


@pytest.mark.parametrize("seed", BAD_SEEDS)
def test_train_rejects_seeds_torch_cannot_take(digits, seed):
    with pytest.raises(ValueError, match=rf"seed {SEED_RANGE}"):
        train("conv", digits, TrainConfig(epochs=1), seed=seed)


@pytest.mark.parametrize("args, message", [
    ((5, "digits"), "expected an Architecture, a string .* or a torch module, but got 5"),
    (("conv", None), r"data must be a Dataset \(e.g. load_dataset\('digits'\)\)"),
])
def test_run_rejects_what_it_cannot_train(digits, args, message):
    arch, data = args
    with pytest.raises(ValueError, match=message):
        Run(arch, digits if data == "digits" else data)


def test_run_rejects_a_config_that_is_not_a_train_config(digits):
    with pytest.raises(ValueError, match="config must be a TrainConfig"):
        Run("conv", digits, {"epochs": 1})


@pytest.mark.parametrize("epoch", [1.5, True, -1, "2"])
def test_advance_to_rejects_epochs_that_are_not_counts(digits, epoch):
    with pytest.raises(ValueError, match="epoch must be a non-negative integer"):
        Run("conv", digits, TrainConfig(epochs=1)).advance_to(epoch)


def test_advance_to_rejects_a_callback_that_is_not_a_function(digits):
    with pytest.raises(ValueError, match="callback must be a function"):
        Run("conv", digits, TrainConfig(epochs=1)).advance_to(1, callback=5)


def test_a_diverging_training_stops_with_a_clear_error(digits):
    poisoned = dataclasses.replace(digits, x_train=digits.x_train[:64] * math.nan,
                                   y_train=digits.y_train[:64])
    with pytest.raises(TrainingDiverged,
                       match=r"training 'conv -> pool' diverged in epoch 1: the mean training "
                             r"loss is nan; lower learning_rate \(now 0.02\)"):
        train("conv -> pool", poisoned, TrainConfig(epochs=3), seed=0)
    assert issubclass(TrainingDiverged, ValueError)


# Data and devices

@pytest.mark.parametrize("name", [None, 3, "imagenet"])
def test_load_dataset_names_the_choices(name):
    with pytest.raises(ValueError, match=rf"unknown dataset {name!r}; choose from \['digits'"):
        load_dataset(name)


@pytest.mark.parametrize("seed", BAD_SEEDS)
def test_load_dataset_rejects_seeds_before_scikit_learn_sees_them(seed):
    with pytest.raises(ValueError, match=rf"^seed {SEED_RANGE}, but got seed="):
        load_dataset("digits", seed=seed)


@pytest.mark.parametrize("field, value", [("val_fraction", "0.4"), ("val_fraction", math.nan),
                                          ("test_fraction", 1.5), ("test_fraction", None)])
def test_load_dataset_rejects_fractions_outside_zero_one(field, value):
    with pytest.raises(ValueError, match=rf"{field} must be in \(0, 1\), but got {field}="):
        load_dataset("digits", **{field: value})


@pytest.mark.parametrize("field, value, message", [
    ("root", 5, "root must be a folder path or None"),
    ("download", "yes", "download must be True or False"),
])
def test_load_dataset_rejects_bad_root_and_download(field, value, message):
    with pytest.raises(ValueError, match=message):
        load_dataset("mnist", **{field: value})


@pytest.mark.parametrize("device", ["gpu7", "cuda:x", "cuda:99999999999999999999", "tpu"])
def test_unknown_device_strings_name_the_allowed_forms(device):
    with pytest.raises(ValueError, match=rf"unknown device {device!r}: write one of auto, cpu, "
                                         rf"cuda, cuda:N, mps"):
        load_dataset("digits", device=device)


def test_a_device_that_is_neither_string_nor_torch_device_is_named():
    with pytest.raises(ValueError, match=r"device must be a string \(auto, cpu, cuda, cuda:N, "
                                         r"mps\) or a torch.device, but got device=None"):
        resolve_device(None)
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")


IMAGES = np.zeros((40, 8, 8), dtype=np.float32)
LABELS = np.arange(40) % 4


@pytest.mark.parametrize("images, labels, message", [
    (IMAGES, LABELS[:30], "got 40 images but 30 labels"),
    ([["a"]], [0], "images must be an array of numbers"),
    (IMAGES, LABELS - 1, "labels must be a 1-D array of class indices"),
    (IMAGES, LABELS + 0.5, "labels must be a 1-D array of class indices"),
    (IMAGES, np.r_[np.zeros(39, int), 1], r"cannot split 40 examples of 2 classes \(the "
                                          r"smallest has 1\)"),
])
def test_from_arrays_rejects_arrays_it_cannot_split(images, labels, message):
    with pytest.raises(ValueError, match=message):
        from_arrays("mine", images, labels)


def test_from_arrays_rejects_splits_too_small_for_every_class():
    with pytest.raises(ValueError, match="each part at least one example of every class"):
        from_arrays("mine", IMAGES, LABELS, val_fraction=0.05, test_fraction=0.05)
