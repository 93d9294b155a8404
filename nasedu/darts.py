"""Differentiable weight sharing: first-order DARTS on the course's supernet.

DARTS (Liu, Simonyan & Yang, "DARTS: Differentiable Architecture Search", ICLR 2019) relaxes
the choice of op at each layer into a *mixed op*: the layer's output is the softmax-weighted
sum of every op's output, ``x_{l+1} = sum_o softmax(alpha_l)_o * op_o(x_l)``. The weights of
the ops and the architecture parameters ``alpha`` (one row per layer, one entry per op) are
trained in alternation: an architecture step (Adam) on a validation minibatch, then a weight
step (SGD) on a training minibatch. First order: the architecture gradient is taken at the
current weights, without DARTS' second-order look-ahead (1.5 against 4 GPU-days in the paper).

Two results, both read off ``alpha`` with no evaluation pass: (a) the *argmax* architecture,
each layer's heaviest op; (b) a ranking of every architecture by the sum of its ops'
log-softmax weights, ``sum_l log softmax(alpha_l)[op_l]``, scored like any estimator (its
maximum is (a)). Its known failure (Zela et al., "Understanding and Robustifying Differentiable
Architecture Search", ICLR 2020): parameter-free ops (skip, pooling) take over the weights,
because early on they lower the validation loss faster than untrained convolutions do.
``history_`` records the softmax weights after every step so a lesson can show whether and
when that happens here.

It runs on the same ``SuperNet`` (its ops, stem and head) as weight sharing. Design, fixed
before any table was scored with it:

- Budget: one-shot's (``SupernetConfig.training_epochs`` with the same ``budget``: by default
  0.4% of exhaustive training, at least 10 epochs per op of a layer, at most 2.8% with
  evaluation), and every
  forward+backward pass is charged for *every* op it computes: a pass of ``n`` examples costs
  ``n * mixed_cost_ratio / len(x_train)`` epoch-equivalents, the ratio being the mixed
  network's multiply-accumulates over an average architecture's (about the number of ops).
  Architecture steps on validation images are charged the same way. So DARTS gets about
  ``1 / (2 * len(ops))`` of one-shot's training steps.
- Weight optimiser: ``SupernetConfig``'s (SGD, momentum 0.9, weight decay 5e-4, batch 64,
  cosine decay over the budget), so that DARTS and one-shot differ only in the relaxation and
  the rate; gradients clipped at norm 5, as in DARTS. The peak rate stays 0.05: one-shot's
  moved to the networks' 0.02 on one-shot's evidence alone, and at 0.02 DARTS' argmax took
  pooling in its first layers on five-op and three-op too (tau 0.314 / 0.288 / 0.385 and
  0.020 / 0.117 / 0.070 per seed, against 0.396 / 0.432 / 0.474 and 0.209 / 0.176 / 0.183 at
  0.05; ``benchmarks/families.py``).
- Architecture optimiser: Adam with DARTS' betas (0.5, 0.999) and weight decay 1e-3, ``alpha``
  initialised as ``1e-3 * N(0, 1)``. DARTS' learning rate 3e-4 was set for about 19,550 steps
  (50 CIFAR epochs of 391); at our budgets (tens to hundreds of steps) it would leave every
  softmax at uniform. We keep DARTS' *travel* instead: learning rate x steps = 3e-4 x 19,550,
  so that ``alpha`` may move as far over our budget as over theirs.

>>> from nasedu.data import load_dataset
>>> from nasedu.space import get_space
>>> darts = Darts(get_space("convpool"), load_dataset("digits"), DartsConfig(budget=0.004))
>>> len(darts.estimate(get_space("convpool").enumerate()).scores)
8
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import nn

from .checks import check_integer
from .cost import Cost
from .data import Dataset
from .estimates import Estimates, Estimator
from .models import ChildNet, SuperNet, count_macs
from .seeds import check_seed
from .sharing import SupernetConfig, training_batches
from .space import Architecture, SearchSpace
from .train import TrainConfig, progress_bar, seeded

DARTS_TRAVEL = 3e-4 * 50 * 391  # DARTS' architecture learning rate x its steps (50 epochs)


@dataclass(frozen=True)
class DartsConfig:
    """How first-order DARTS is trained (see the module docstring for why each value)."""

    budget: float | None = None              # share of exhaustive training, all ops counted;
                                             # None: one-shot's default (SupernetConfig)
    reference_epochs: int = TrainConfig.epochs  # a stand-alone training's epochs (exhaustive)
    batch_size: int = SupernetConfig.batch_size        # examples per weight or architecture step
    learning_rate: float = 0.05              # SGD peak rate, cosine to 0 (see above)
    momentum: float = SupernetConfig.momentum
    weight_decay: float = SupernetConfig.weight_decay
    gradient_clip: float = 5.0               # max norm of the weights' gradient (DARTS)
    arch_travel: float = DARTS_TRAVEL        # architecture learning rate x number of steps
    arch_betas: tuple[float, float] = (0.5, 0.999)  # Adam's betas for alpha (DARTS)
    arch_weight_decay: float = 1e-3          # L2 penalty on alpha (DARTS)
    init_scale: float = 1e-3                 # alpha starts as init_scale * N(0, 1) (DARTS)
    channels: int = SupernetConfig.channels  # width; the same as the stand-alone networks

    def __post_init__(self) -> None:
        for name in ("budget", "learning_rate", "gradient_clip", "arch_travel"):
            value = getattr(self, name)
            if name == "budget" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name} must be a positive number, but got {name}={value!r}")
        if self.budget is not None and self.budget > 1:
            raise ValueError(f"budget is a share of exhaustive training, a number in (0, 1], "
                             f"but got budget={self.budget!r}")
        for name in ("batch_size", "reference_epochs", "channels"):
            check_integer(name, getattr(self, name), 1)


class MixedSuperNet(nn.Module):
    """A ``SuperNet`` whose every layer is a mixed op: ``sum_o softmax(alphas[l])_o * op_o(x)``.
    ``alphas`` is a (num_layers, num_ops) parameter, ops in ``space.ops`` order."""

    def __init__(self, supernet: SuperNet, alphas: torch.Tensor) -> None:
        super().__init__()
        self.supernet = supernet
        self.alphas = nn.Parameter(alphas)

    def weights(self) -> list[nn.Parameter]:
        """The ops', stem's and head's weights (everything but ``alphas``)."""
        return list(self.supernet.parameters())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.supernet.stem(x)  # (B, C, H, W)
        mix = torch.softmax(self.alphas, dim=1)  # (L, num_ops)
        for depth, layer in enumerate(self.supernet.layers):
            x = sum(mix[depth, i] * layer[op](x) for i, op in enumerate(self.supernet.space.ops))
        return self.supernet.head(x)  # (B, num_classes)

    def log_weights(self) -> torch.Tensor:
        """(num_layers, num_ops) log-softmax of ``alphas``."""
        return torch.log_softmax(self.alphas.detach(), dim=1)


def mixed_cost_ratio(space: SearchSpace, in_channels: int, image_size: tuple[int, int],
                     channels: int) -> float:
    """Multiply-accumulates of the mixed network (every op of every layer) over those of an
    average architecture of ``space``: what one pass through the mixed ops costs, in passes
    through one architecture. Ops without weights count as free, as in ``count_macs``."""
    shape = (in_channels, *image_size)

    def macs(op: str) -> int:
        return count_macs(ChildNet(Architecture((op,)), in_channels, channels=channels), shape)

    ends = macs("skip")  # stem and head alone
    per_op = [macs(op) - ends for op in space.ops]
    mixed = ends + space.num_layers * sum(per_op)
    return mixed / (ends + space.num_layers * float(np.mean(per_op)))


def search(space: SearchSpace, data: Dataset, epochs: float, config: DartsConfig = DartsConfig(),
           *, seed: int = 0, progress: bool = False
           ) -> tuple[MixedSuperNet, list[tuple[float, np.ndarray]], Cost]:
    """Train first-order DARTS for ``epochs`` epoch-equivalents (every op counted); returns
    the mixed network, the history ``[(epoch-equivalents spent, (L, num_ops) softmax
    weights)]`` starting before the first step, and the cost."""
    if isinstance(epochs, bool) or not isinstance(epochs, (int, float)) or not epochs > 0:
        raise ValueError(f"DARTS' training must be positive, but got {epochs=}")
    with seeded(seed):
        supernet = SuperNet(space, data.input_channels, data.num_classes, config.channels)
        alphas = config.init_scale * torch.randn(space.num_layers, len(space.ops))
    model = MixedSuperNet(supernet, alphas).to(data.device).train()
    ratio = mixed_cost_ratio(space, data.input_channels, tuple(data.x_train.shape[2:]),
                             config.channels)
    train_size = len(data.x_train)
    steps = max(1, round(epochs * train_size / (2 * config.batch_size * ratio)))
    weights = torch.optim.SGD(model.weights(), lr=config.learning_rate,
                              momentum=config.momentum, weight_decay=config.weight_decay)
    architecture = torch.optim.Adam([model.alphas], lr=config.arch_travel / steps,
                                    betas=config.arch_betas, weight_decay=config.arch_weight_decay)
    generator = torch.Generator().manual_seed(seed)
    train_batches = training_batches(data, config.batch_size, generator)
    val_batches = _validation_batches(data, config.batch_size, generator)
    history = [(0.0, torch.softmax(model.alphas.detach(), 1).cpu().numpy())]
    passed, started = 0, time.perf_counter()
    with progress_bar(progress, total=steps, unit="step", desc="DARTS") as bar:
        for step in range(steps):
            batch = next(val_batches)  # 1. architecture step on validation data
            architecture.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(data.x_val[batch]), data.y_val[batch]).backward()
            architecture.step()
            for group in weights.param_groups:  # 2. weight step on training data
                group["lr"] = config.learning_rate * 0.5 * (1 + np.cos(np.pi * step / steps))
            batch = next(train_batches)
            weights.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(data.x_train[batch]),
                                        data.y_train[batch]).backward()
            nn.utils.clip_grad_norm_(model.weights(), config.gradient_clip)
            weights.step()
            passed += 2 * config.batch_size
            history.append((passed * ratio / train_size,
                            torch.softmax(model.alphas.detach(), 1).cpu().numpy()))
            bar.update(1)
    cost = Cost(passed * ratio / train_size, time.perf_counter() - started)
    return model, history, cost


def _validation_batches(data: Dataset, batch_size: int, generator: torch.Generator):
    """Endless index batches over the validation set, one shuffled pass after another."""
    size = min(batch_size, len(data.x_val))
    while True:
        order = torch.randperm(len(data.x_val), generator=generator).to(data.device)
        for start in range(0, len(order) - size + 1, size):
            yield order[start:start + size]


def rank_by_weights(model: MixedSuperNet,
                    archs: Sequence[Architecture]) -> dict[Architecture, float]:
    """Each architecture's sum over layers of its op's log-softmax weight (higher is better)."""
    space = model.supernet.space
    log_weights = model.log_weights().cpu()
    index = {op: i for i, op in enumerate(space.ops)}
    return {arch: float(sum(log_weights[depth, index[op]] for depth, op in enumerate(arch.ops)))
            for arch in (space.validate(arch) for arch in archs)}


class Darts(Estimator):
    """First-order DARTS as an estimator: trains the mixed network for one-shot's training
    budget on the candidates asked for (``SupernetConfig.training_epochs`` with
    ``config.budget``; every op's compute counted), then scores
    each by ``rank_by_weights``. Reads no ground-truth seed. After ``estimate``: ``model_``
    (the mixed network), ``history_`` (softmax weights after every step, see ``search``) and
    ``argmax_`` (each layer's heaviest op)."""

    name = "DARTS (first order)"

    def __init__(self, space: SearchSpace, data: Dataset, config: DartsConfig = DartsConfig(),
                 *, seed: int = 0, progress: bool = False) -> None:
        if not isinstance(space, SearchSpace):
            raise TypeError(f"space must be a SearchSpace (e.g. get_space('five-op')), "
                            f"but got {type(space).__name__}")
        self.space = space
        self.data = data
        self.config = config
        self.seed = check_seed(seed)
        self.progress = progress

    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        if len(archs) == 0:
            raise ValueError("archs is empty; give at least one architecture to estimate")
        one_shot = SupernetConfig(budget=self.config.budget,
                                  reference_epochs=self.config.reference_epochs)
        epochs = one_shot.training_epochs(archs, self.data)
        self.model_, self.history_, cost = search(self.space, self.data, epochs, self.config,
                                                  seed=self.seed, progress=self.progress)
        best = self.model_.alphas.detach().argmax(dim=1).tolist()
        self.argmax_ = Architecture(tuple(self.space.ops[i] for i in best))
        return Estimates(rank_by_weights(self.model_, archs), cost)
