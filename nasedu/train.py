"""The one training loop every strategy uses.

>>> from nasedu.data import load_dataset
>>> result = train("conv -> pool -> conv", load_dataset("digits"), TrainConfig(epochs=2), seed=0)
>>> len(result.curve.val_accuracy)
2
"""
from __future__ import annotations

import math
import numbers
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Callable, Iterator

import torch
from torch import nn
from tqdm.auto import tqdm

from .checks import check_integer
from .cost import Cost
from .data import Dataset
from .devices import resolve_device
from .learning_curve import LearningCurve
from .models import DEFAULT_CHANNELS, MAX_SIZES, ChildNet
from .seeds import check_seed
from .space import Architecture

# The ranges a protocol's values may take: wide enough for any experiment on these datasets,
# narrow enough that a typo (epochs=1e9, learning_rate=inf) is refused before any work.
INTEGER_RANGES = {"epochs": (1, 10_000), "batch_size": (1, 65_536),
                  "channels": (1, MAX_SIZES["channels"])}
# learning_rate must lie in (0, 10], momentum and weight_decay in [0, 1).
MAX_LEARNING_RATE = 10


class TrainingDiverged(ValueError):
    """A training whose loss became NaN or infinite: its weights are lost, its curve is noise."""


def check_sgd(config: object) -> None:
    """Raise ValueError naming the first of ``config``'s SGD settings out of range:
    ``learning_rate`` in (0, MAX_LEARNING_RATE], ``momentum`` and ``weight_decay`` in [0, 1)."""
    rate = config.learning_rate
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) \
            or not 0 < rate <= MAX_LEARNING_RATE:
        raise ValueError(f"learning_rate must be a number in (0, {MAX_LEARNING_RATE}], "
                         f"but got learning_rate={rate!r}")
    for name in ("momentum", "weight_decay"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
            raise ValueError(f"{name} must be a number in [0, 1), but got {name}={value!r}")


def check_finite(loss: float, config: object, context: str) -> None:
    """Raise TrainingDiverged if ``loss`` is NaN or infinite. ``context`` says which loss of
    which training, where ("training 'conv' diverged in epoch 3: the mean training loss"); the
    message adds its value and the SGD settings of ``config`` to lower."""
    if math.isfinite(loss):
        return
    raise TrainingDiverged(
        f"{context} is {loss}; lower learning_rate (now {config.learning_rate}) or momentum "
        f"(now {config.momentum}), or look for NaN or huge values in the data")


def make_optimizer(model: nn.Module, config: object) -> torch.optim.Optimizer:
    """The library's one optimizer: SGD over ``model``'s parameters with ``config``'s
    ``learning_rate``, ``momentum`` and ``weight_decay`` (a TrainConfig or a SupernetConfig)."""
    return torch.optim.SGD(model.parameters(), lr=config.learning_rate,
                           momentum=config.momentum, weight_decay=config.weight_decay)


@dataclass(frozen=True)
class TrainConfig:
    """How a network is trained: the protocol a ground-truth table records."""

    epochs: int = 12                # length of a full training
    batch_size: int = 64            # examples per SGD step
    learning_rate: float = 0.02     # constant, so a k-epoch prefix of a run *is* a k-epoch run
    momentum: float = 0.9           # SGD momentum
    weight_decay: float = 5e-4      # L2 penalty on every parameter
    channels: int = DEFAULT_CHANNELS  # width of the stem and every op

    def __post_init__(self) -> None:
        for name, (low, high) in INTEGER_RANGES.items():
            check_integer(name, getattr(self, name), low, high)
        check_sgd(self)

    def to_dict(self) -> dict:
        return asdict(self)


# A callback sees the epoch just finished (1-based) and the curve so far; True stops training.
EpochCallback = Callable[[int, LearningCurve], bool]


@dataclass
class TrainResult:
    curve: LearningCurve
    cost: Cost
    model: nn.Module
    stopped_early: bool


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch's global generator inside the block only, leaving the caller's state as it was
    (layer initialisers draw from the global generator)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def progress_bar(show: bool, **options) -> tqdm:
    """A tqdm bar (notebook-aware, removed when done), or a disabled one that shows nothing
    unless ``show``; ``options`` go to tqdm (``total``, ``unit``, ``desc``, ...)."""
    return tqdm(disable=not show, leave=False, mininterval=0.5, **options)


@contextmanager
def thread_count(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` intra-op CPU threads (None: leave as is)."""
    if threads is None:
        yield
        return
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer or None, but got {threads!r}")
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def build_child(arch: Architecture | str, data: Dataset, config: TrainConfig,
                seed: int) -> ChildNet:
    """A freshly initialised ChildNet for ``data``, its weights drawn from ``seed``."""
    with seeded(seed):
        return ChildNet(arch, in_channels=data.input_channels, num_classes=data.num_classes,
                        channels=config.channels)


def recalibrate_bn(model: nn.Module, images: torch.Tensor, batch_size: int = 1024) -> None:
    """Replace every BatchNorm layer's running statistics by the exact mean and variance of
    ``images`` (N, C, H, W) passed through the current weights ("precise BN").

    Running averages mix statistics of weights from many steps back; on a small dataset with
    a constant learning rate that lag makes evaluation jump by tens of points from one epoch
    to the next. Recalibrating costs one forward pass and makes each evaluation a function of
    the current weights alone. A supernet needs the same repair for another reason: its
    running statistics are a mixture over all the paths it trained.

    This is PyTorch's ``torch.optim.swa_utils.update_bn`` over batches of ``batch_size``: it
    resets the statistics, switches BN to a cumulative average (``momentum=None``), runs the
    batches in training mode and puts momenta and mode back.
    """
    torch.optim.swa_utils.update_bn(images.split(batch_size), model)


@torch.no_grad()
def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
             batch_size: int = 512) -> float:
    """Share of ``images`` (N, C, H, W) whose argmax logit equals ``labels`` (N,), in eval mode."""
    was_training = model.training
    model.eval()
    correct = 0
    for start in range(0, len(images), batch_size):
        logits = model(images[start:start + batch_size])
        correct += (logits.argmax(dim=1) == labels[start:start + batch_size]).sum().item()
    model.train(was_training)
    return correct / len(images)


def train_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, data: Dataset,
                batch_size: int, generator: torch.Generator) -> float:
    """One pass over the shuffled training set; returns the mean training loss."""
    model.train()
    order = torch.randperm(len(data.x_train), generator=generator).to(data.device)
    total_loss = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        loss = nn.functional.cross_entropy(model(data.x_train[batch]), data.y_train[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(batch)
    return total_loss / len(order)


class Run:
    """One network in training, advanced epoch by epoch and resumable: advancing a run to
    epoch 3 and later to epoch 5 gives exactly the curve of an uninterrupted 5-epoch run, since
    the model, the optimiser's momentum and the shuffling generator all carry over. Early
    stopping rules that pause runs and resume the promising ones (successive halving) rely on it.

    Weights are drawn from ``seed`` and batches shuffled by a generator seeded with ``seed``,
    so on CPU the same seed gives the same curve bit for bit (for a fixed thread count).
    Before each evaluation the BN statistics are recalibrated on the training set (see
    ``recalibrate_bn``). Cost counts the training passes, plus the forward-only passes of
    that recalibration and of the validation evaluation (one third each); the test pass is the
    benchmark's bookkeeping, not part of a strategy's cost.
    """

    def __init__(self, arch_or_model: Architecture | str | nn.Module, data: Dataset,
                 config: TrainConfig = TrainConfig(), *, seed: int = 0,
                 device: str | torch.device | None = None) -> None:
        if not isinstance(arch_or_model, (Architecture, str, nn.Module)):
            raise ValueError(f"expected an Architecture, a string such as 'conv -> pool -> conv' "
                             f"or a torch module, but got {arch_or_model!r}")
        if not isinstance(data, Dataset):
            raise ValueError(f"data must be a Dataset (e.g. load_dataset('digits')), "
                             f"but got data={data!r}")
        if not isinstance(config, TrainConfig):
            raise ValueError(f"config must be a TrainConfig, but got config={config!r}")
        seed = check_seed(seed)
        device = data.device if device is None else resolve_device(device)
        self.data = data if data.device == device else data.to(device)
        if isinstance(arch_or_model, nn.Module):
            self.model = arch_or_model.to(device)
        else:
            self.model = build_child(arch_or_model, self.data, config, seed).to(device)
        self.config = config
        self.optimizer = make_optimizer(self.model, config)
        self.generator = torch.Generator().manual_seed(seed)
        self.curve = LearningCurve()
        self.cost = Cost()

    def advance_to(self, epoch: int, *, callback: EpochCallback | None = None,
                   progress: bool = False, threads: int | None = None) -> bool:
        """Train until ``epoch`` epochs are done (at most ``config.epochs``); after each epoch
        ``callback(epoch, curve)`` may return True to stop. Returns True if it stopped early."""
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative integer, but got {epoch=}")
        if callback is not None and not callable(callback):
            raise ValueError(f"callback must be a function (epoch, curve) -> bool or None, "
                             f"but got {callback=}")
        target, data = min(epoch, self.config.epochs), self.data
        started, done = time.perf_counter(), self.curve.epochs
        stopped = False
        with thread_count(threads), progress_bar(
                progress, total=target - done, unit="epoch",
                desc=str(getattr(self.model, "arch", "training"))) as bar:
            while self.curve.epochs < target:
                loss = train_epoch(self.model, self.optimizer, data, self.config.batch_size,
                                   self.generator)
                self._check_finite(loss)
                self.curve.train_loss.append(loss)
                recalibrate_bn(self.model, data.x_train)
                self.curve.val_accuracy.append(accuracy(self.model, data.x_val, data.y_val))
                self.curve.test_accuracy.append(accuracy(self.model, data.x_test, data.y_test))
                bar.update()
                if callback is not None and callback(self.curve.epochs, self.curve):
                    stopped = self.curve.epochs < target
                    break
        epochs = self.curve.epochs - done
        self.cost = self.cost + Cost.of_examples(
            trained=epochs * len(data.x_train),
            evaluated=epochs * (len(data.x_train) + len(data.x_val)),
            train_size=len(data.x_train), seconds=time.perf_counter() - started)
        return stopped

    def _check_finite(self, loss: float) -> None:
        """Raise TrainingDiverged if the epoch just trained had a NaN or infinite mean loss
        (one such batch makes the mean so)."""
        name = getattr(self.model, "arch", type(self.model).__name__)
        check_finite(loss, self.config, f"training {str(name)!r} diverged in epoch "
                                        f"{self.curve.epochs + 1}: the mean training loss")


def train(arch_or_model: Architecture | str | nn.Module, data: Dataset,
          config: TrainConfig = TrainConfig(), *, seed: int = 0,
          device: str | torch.device | None = None, callback: EpochCallback | None = None,
          progress: bool = False, threads: int | None = None) -> TrainResult:
    """Train an architecture from scratch (or continue training a given model) on ``data`` for
    ``config.epochs`` epochs; see ``Run`` for seeding, evaluation and cost. ``device``
    defaults to the data's device; ``callback(epoch, curve)`` may return True to stop.
    """
    run = Run(arch_or_model, data, config, seed=seed, device=device)
    stopped = run.advance_to(config.epochs, callback=callback, progress=progress,
                             threads=threads)
    return TrainResult(run.curve, run.cost, run.model, stopped)
