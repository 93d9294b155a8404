import importlib.util

import numpy as np
import pytest
import torch

from nasedu.data import DATASETS, INPUT_SHAPES, from_arrays, load_dataset


def test_digits_split_sizes_and_shapes(digits):
    sizes = [len(digits.x_train), len(digits.x_val), len(digits.x_test)]
    assert sum(sizes) == 1797
    assert sizes == [len(digits.y_train), len(digits.y_val), len(digits.y_test)]
    assert digits.x_train.shape[1:] == (1, 8, 8) and digits.x_train.dtype == torch.float32
    assert digits.y_train.dtype == torch.int64 and digits.num_classes == 10
    assert digits.input_shape == INPUT_SHAPES["digits"] == (1, 8, 8)


def test_training_split_is_standardised(digits):
    assert digits.x_train.mean().item() == pytest.approx(0, abs=1e-5)
    assert digits.x_train.std().item() == pytest.approx(1, abs=1e-2)


def test_split_is_stratified(digits):
    from sklearn.datasets import load_digits
    from nasedu.data import VAL_FRACTION
    class_counts = np.bincount(load_digits().target, minlength=10)
    val_counts = torch.bincount(digits.y_val, minlength=10).numpy()
    # Each class keeps its share of the whole set, up to the rounding of two splits.
    assert np.abs(val_counts - VAL_FRACTION * class_counts).max() <= 2


def test_same_seed_same_split_other_seed_other_split(digits):
    again = load_dataset("digits", seed=0)
    other = load_dataset("digits", seed=1)
    assert torch.equal(again.x_train, digits.x_train)
    assert not torch.equal(other.x_train, digits.x_train)


def test_splits_are_disjoint(digits):
    def rows(x):
        return {tuple(r) for r in x.flatten(1).numpy().round(4)}
    # Digits holds a few exact duplicate images; the splits must not share more than those.
    assert len(rows(digits.x_train) & rows(digits.x_test)) < 5


def test_from_arrays_accepts_channels_last_and_an_official_test_set():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(40, 6, 6, 3))
    labels = np.repeat([0, 1], 20)
    data = from_arrays("tiny", images, labels, seed=0, test_images=images[:10],
                       test_labels=labels[:10])
    assert data.x_train.shape[1:] == (3, 6, 6) == data.input_shape
    assert len(data.x_test) == 10 and len(data.x_train) + len(data.x_val) == 40


def test_unknown_dataset_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown dataset 'imagenet'.*digits"):
        load_dataset("imagenet")


@pytest.mark.parametrize("fraction", [0, 1, -0.1])
def test_bad_split_fractions_are_rejected(fraction):
    with pytest.raises(ValueError, match="val_fraction must be in"):
        load_dataset("digits", val_fraction=fraction)


def test_unavailable_device_is_a_clear_error():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA, so 'cuda' is available")
    with pytest.raises(ValueError, match="'cuda' is not available.*cpu"):
        load_dataset("digits", device="cuda")


@pytest.mark.skipif(importlib.util.find_spec("torchvision") is not None,
                    reason="torchvision is installed, so the missing-package error cannot occur")
def test_torchvision_dataset_without_torchvision_says_how_to_get_it():
    with pytest.raises(ValueError, match=r"needs torchvision.*pip install"):
        load_dataset("mnist")


def write_idx(path, array):
    """Write ``array`` (uint8) in the IDX format MNIST ships in."""
    dims = array.shape
    header = bytes([0, 0, 0x08, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashionmnist", "FashionMNIST")])
def test_torchvision_loading_on_a_fake_dataset_in_its_on_disk_format(tmp_path, name, folder):
    pytest.importorskip("torchvision", reason="torchvision is not installed (optional 'vision' "
                                              "extra), so its loaders cannot be exercised")
    raw = tmp_path / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", 60), ("t10k", 20)):
        write_idx(raw / f"{split}-images-idx3-ubyte", rng.integers(0, 256, size=(n, 28, 28)))
        write_idx(raw / f"{split}-labels-idx1-ubyte", np.tile(np.arange(10), n // 10))
    data = load_dataset(name, root=tmp_path, seed=0)
    assert data.x_train.shape[1:] == (1, 28, 28) and len(data.x_test) == 20
    assert len(data.x_train) + len(data.x_val) == 60 and data.num_classes == 10


def test_missing_torchvision_files_offline_give_a_clear_error(tmp_path):
    pytest.importorskip("torchvision", reason="torchvision is not installed (optional 'vision' "
                                              "extra), so its loaders cannot be exercised")
    with pytest.raises(ValueError, match="is not in .*download=True"):
        load_dataset("mnist", root=tmp_path)


def test_dataset_names_are_listed():
    assert DATASETS[0] == "digits" and "cifar10" in DATASETS
