"""Datasets as tensors on a device, split and standardised deterministically.

The embedded default is scikit-learn's bundled ``load_digits`` (1,797 greyscale 8x8 digits,
shipped inside scikit-learn: no download). MNIST, FashionMNIST and CIFAR-10 come from
torchvision for users online; they return the same ``Dataset``.

>>> data = load_dataset("digits", seed=0)
>>> data.x_train.shape[1:], data.num_classes
(torch.Size([1, 8, 8]), 10)
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from .devices import resolve_device
from .seeds import check_seed

TORCHVISION_DATASETS = {"mnist": "MNIST", "fashionmnist": "FashionMNIST", "cifar10": "CIFAR10"}
DATASETS = ("digits",) + tuple(TORCHVISION_DATASETS)
# (channels, height, width) of each dataset's images, known without loading them.
INPUT_SHAPES = {"digits": (1, 8, 8), "mnist": (1, 28, 28), "fashionmnist": (1, 28, 28),
                "cifar10": (3, 32, 32)}
# Digits is small: a large validation split keeps a ranking of architectures by validation
# accuracy from being decided by a handful of images (binomial noise on 719 images is about
# 0.7 points at 95% accuracy, against 1 point on 360).
VAL_FRACTION = 0.4
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Dataset:
    """Train/validation/test tensors on one device. Images are (N, C, H, W) float32, standardised
    with the training split's per-channel mean and standard deviation; labels are (N,) int64."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    seed: int

    @property
    def input_channels(self) -> int:
        return self.x_train.shape[1]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one image."""
        return tuple(self.x_train.shape[1:])

    @property
    def device(self) -> torch.device:
        return self.x_train.device

    def to(self, device: str | torch.device) -> "Dataset":
        device = resolve_device(device)
        moved = {field: getattr(self, field).to(device) for field in
                 ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")}
        return Dataset(self.name, num_classes=self.num_classes, seed=self.seed, **moved)


def _check_fraction(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < 1:
        raise ValueError(f"{name} must be in (0, 1), but got {name}={value!r}")


def from_arrays(name: str, images: np.ndarray, labels: np.ndarray, *, seed: int = 0,
                val_fraction: float = VAL_FRACTION, test_fraction: float = TEST_FRACTION,
                test_images: np.ndarray | None = None, test_labels: np.ndarray | None = None,
                device: str | torch.device = "cpu") -> Dataset:
    """Split, standardise and place arrays on ``device``.

    ``images`` is (N, H, W) or (N, H, W, C) or (N, C, H, W) with C in {1, 3}; ``labels`` is (N,).
    The split is stratified by label and depends only on ``seed``. If ``test_images`` and
    ``test_labels`` are given (a dataset's official test set), they are the test split and
    ``test_fraction`` is ignored. Every class needs enough examples for each split.
    """
    if not isinstance(name, str):
        raise ValueError(f"name must be a string, but got name={name!r}")
    seed = check_seed(seed)
    _check_fraction("val_fraction", val_fraction)
    device = resolve_device(device)
    images, labels = _as_nchw(_array("images", images, np.float32)), _labels("labels", labels)
    if len(images) != len(labels):
        raise ValueError(f"got {len(images)} images but {len(labels)} labels")
    if test_images is None:
        _check_fraction("test_fraction", test_fraction)
        if val_fraction + test_fraction >= 1:
            raise ValueError(f"val_fraction + test_fraction must be below 1, but got "
                             f"{val_fraction} + {test_fraction}")
        images, x_test, labels, y_test = _split(images, labels, test_fraction, seed)
        val_share = val_fraction / (1 - test_fraction)
    else:
        x_test = _as_nchw(_array("test_images", test_images, np.float32))
        y_test = _labels("test_labels", test_labels)
        if len(x_test) != len(y_test):
            raise ValueError(f"got {len(x_test)} test_images but {len(y_test)} test_labels")
        val_share = val_fraction
    x_train, x_val, y_train, y_val = _split(images, labels, val_share, seed)
    mean = x_train.mean(axis=(0, 2, 3), keepdims=True)
    std = x_train.std(axis=(0, 2, 3), keepdims=True) + 1e-8

    def tensor(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(array)).to(device)

    return Dataset(name, tensor((x_train - mean) / std), tensor(y_train),
                   tensor((x_val - mean) / std), tensor(y_val),
                   tensor((x_test - mean) / std), tensor(y_test),
                   num_classes=int(labels.max()) + 1, seed=seed)


def _array(name: str, values: object, dtype: type) -> np.ndarray:
    try:
        return np.asarray(values, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be an array of numbers, but got {type(values).__name__} "
                         f"that numpy cannot read as {np.dtype(dtype).name} ({error})") from None


def _labels(name: str, values: object) -> np.ndarray:
    labels = _array(name, values, np.float64)
    if labels.ndim != 1 or np.any(labels < 0) or np.any(labels != np.round(labels)):
        raise ValueError(f"{name} must be a 1-D array of class indices 0, 1, 2, ..., "
                         f"but got shape {labels.shape} with values {np.unique(labels)[:10]}")
    return labels.astype(np.int64)


def _split(images: np.ndarray, labels: np.ndarray, share: float,
           seed: int) -> list[np.ndarray]:
    """Stratified split: (images kept, images split off, labels kept, labels split off)."""
    classes, counts = np.unique(labels, return_counts=True)
    held_out = math.ceil(share * len(labels))  # as scikit-learn counts it
    if counts.min() < 2 or not len(classes) <= held_out <= len(labels) - len(classes):
        raise ValueError(f"cannot split {len(labels)} examples of {len(classes)} classes (the "
                         f"smallest has {counts.min()}) into {share:.3g} and the rest by class: "
                         f"every class needs at least 2 examples, and each part at least one "
                         f"example of every class")
    return train_test_split(images, labels, test_size=share, stratify=labels, random_state=seed)


def _as_nchw(images: np.ndarray) -> np.ndarray:
    if images.ndim == 3:
        return images[:, None]
    if images.ndim == 4 and images.shape[-1] in (1, 3) and images.shape[1] not in (1, 3):
        return images.transpose(0, 3, 1, 2)
    if images.ndim == 4:
        return images
    raise ValueError(f"images must be (N, H, W), (N, H, W, C) or (N, C, H, W), "
                     f"but got shape {images.shape}")


def load_dataset(name: str = "digits", *, seed: int = 0, device: str | torch.device = "cpu",
                 val_fraction: float = VAL_FRACTION, test_fraction: float = TEST_FRACTION,
                 root: str | Path | None = None, download: bool = False) -> Dataset:
    """Load a dataset by name (see ``DATASETS``), split with ``seed``, on ``device``.

    ``digits`` needs nothing beyond scikit-learn. The torchvision sets read ``root`` (default
    ``~/.cache/nasedu``) and fetch the files only when ``download=True``; they keep their
    official test set and take the validation split from the training set.
    """
    key = name.lower() if isinstance(name, str) else name
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose from {list(DATASETS)}")
    seed = check_seed(seed)
    device = resolve_device(device)
    _check_fraction("val_fraction", val_fraction)
    _check_fraction("test_fraction", test_fraction)
    if not isinstance(root, (str, Path, type(None))):
        raise ValueError(f"root must be a folder path or None, but got root={root!r}")
    if not isinstance(download, bool):
        raise ValueError(f"download must be True or False, but got download={download!r}")
    if key == "digits":
        from sklearn.datasets import load_digits
        bunch = load_digits()
        return from_arrays("digits", bunch.images, bunch.target, seed=seed, device=device,
                           val_fraction=val_fraction, test_fraction=test_fraction)
    return _load_torchvision(key, seed=seed, device=device, val_fraction=val_fraction,
                             root=root, download=download)


def _load_torchvision(key: str, *, seed: int, device: str | torch.device, val_fraction: float,
                      root: str | Path | None, download: bool) -> Dataset:
    try:
        import torchvision.datasets
    except ImportError as error:
        raise ValueError(f"dataset {key!r} needs torchvision, which is not installed; install it "
                         f"with `pip install 'nasedu[vision]'` (or `pip install torchvision` "
                         f"matching your torch), or use the embedded 'digits'") from error
    root = Path(root) if root is not None else Path.home() / ".cache" / "nasedu"
    cls = getattr(torchvision.datasets, TORCHVISION_DATASETS[key])
    try:
        train = cls(str(root), train=True, download=download)
        test = cls(str(root), train=False, download=download)
    except RuntimeError as error:  # torchvision's "Dataset not found" when files are missing
        raise ValueError(f"dataset {key!r} is not in {root}: {error}; pass download=True "
                         f"(--download) when online, or copy the files there") from error
    except OSError as error:  # no network, DNS failure, refused connection
        raise ValueError(f"could not download dataset {key!r} into {root} ({error}); "
                         f"check the network or copy the files there by hand") from error
    return from_arrays(key, _images(train.data), np.asarray(train.targets), seed=seed,
                       val_fraction=val_fraction, test_images=_images(test.data),
                       test_labels=np.asarray(test.targets), device=device)


def _images(data: object) -> np.ndarray:
    array = data.numpy() if isinstance(data, torch.Tensor) else np.asarray(data)
    return array.astype(np.float32) / 255.0
