"""Weight sharing: train one supernet, then evaluate every candidate with inherited weights.

Training is single-path one-shot (SPOS, Guo et al. 2020): each step samples one path and
updates only that path's weights. The alternative sampler is FairNAS's strict fairness (Chu
et al. 2021): each step trains one path per op so that every op of every layer receives
exactly one gradient per step, then updates once.

Candidates are then *evaluated*, not trained. The BN statistics a supernet accumulated are a
mixture over every path it trained, so each candidate's BN layers are first recalibrated on
a batch of training images through its own path. Candidates sharing a prefix of layers share
that prefix's activations and recalibrated statistics, so ``evaluate_all`` walks the prefix
tree instead of evaluating each candidate from scratch; prefixes that differ only by a
``skip`` or by where a pooling sits are the same node of that tree.

A candidate's score is, by default, its validation *loss* with inherited weights (negated, so
higher is better), not its accuracy: inherited weights sit near many candidates' optima at
once, so accuracies crowd together and tie, while the loss still orders them. On the five-op
ground truth this lifts Kendall tau from about 0.6 to about 0.76 at the same budget (see
``benchmarks/weight_sharing.py``). The learning rate follows a cosine decay over the budget by
default, so the shared weights settle instead of jittering at the end.

The budget is relative to the space: a share of *exhaustive training*, training every
candidate once for ``reference_epochs`` as a stand-alone network (see ``exhaustive_epochs``).
The default, 0.4%, is the share at which the five-op supernet ranked best (50 supernet epochs
there); on five-op more training lowered Kendall tau (see ``benchmarks/defaults.py``).

>>> from nasedu.data import load_dataset
>>> from nasedu.space import get_space
>>> data = load_dataset("digits")
>>> supernet, cost = train_supernet(get_space("convpool"), data, epochs=1)
>>> scores = evaluate_all(supernet, get_space("convpool").enumerate(), data)
>>> len(scores)
8
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Iterator, Sequence

import torch
from torch import nn

from .cost import Cost
from .data import Dataset
from .models import DEFAULT_CHANNELS, SuperNet
from .space import Architecture, SearchSpace
from .train import TrainConfig, progress_bar, recalibrate_bn, seeded

SAMPLERS = ("uniform", "fair")
SCHEDULES = ("cosine", "constant")
SCORES = ("loss", "accuracy")
SUPERNET_BUDGET = 0.004  # chosen on five-op before any other table was run (see the README)


def exhaustive_epochs(num_archs: int, data: Dataset, epochs: int = TrainConfig.epochs) -> float:
    """Epoch-equivalents of training ``num_archs`` stand-alone networks once for ``epochs``
    epochs on ``data``, counted as ``nasedu.train`` charges a run: each epoch one training pass,
    plus the forward-only BN recalibration on the training set and evaluation on the
    validation set."""
    if isinstance(num_archs, bool) or not isinstance(num_archs, int) or num_archs < 1:
        raise ValueError(f"num_archs must be a positive integer, but got {num_archs=}")
    one = Cost.of_examples(trained=epochs * len(data.x_train),
                           evaluated=epochs * (len(data.x_train) + len(data.x_val)),
                           train_size=len(data.x_train))
    return num_archs * one.epochs


@dataclass(frozen=True)
class SupernetConfig:
    """How a supernet is trained."""

    budget: float = SUPERNET_BUDGET  # supernet training, as a share of exhaustive training
                                     # of the candidates it scores (evaluation comes on top)
    reference_epochs: int = TrainConfig.epochs  # a stand-alone training's epochs (exhaustive)
    batch_size: int = 64            # examples per path per step
    learning_rate: float = 0.05     # SGD learning rate (the peak, with the cosine schedule)
    schedule: str = "cosine"        # "cosine" decays the rate to 0 over the budget; "constant"
    momentum: float = 0.9           # SGD momentum
    weight_decay: float = 5e-4      # L2 penalty on the weights a step touches
    sampler: str = "uniform"        # "uniform" (SPOS) or "fair" (FairNAS strict fairness)
    channels: int = DEFAULT_CHANNELS  # width; the same as the stand-alone networks
    recalibration_size: int = 256   # training images per candidate for BN recalibration
    score: str = "loss"             # rank candidates by validation "loss" (negated) or "accuracy"

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}; choose from {list(SAMPLERS)}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose from {list(SCHEDULES)}")
        if self.score not in SCORES:
            raise ValueError(f"unknown score {self.score!r}; choose from {list(SCORES)}")
        if (isinstance(self.budget, bool) or not isinstance(self.budget, (int, float))
                or not 0 < self.budget <= 1):
            raise ValueError(f"budget is a share of exhaustive training, a number in (0, 1], "
                             f"but got budget={self.budget!r}")
        for name in ("batch_size", "channels", "recalibration_size", "reference_epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, but got {name}={value!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    def training_epochs(self, num_archs: int, data: Dataset) -> float:
        """The supernet's training in epoch-equivalents for ``num_archs`` candidates: ``budget``
        of training each of them once for ``reference_epochs`` on ``data``."""
        return self.budget * exhaustive_epochs(num_archs, data, self.reference_epochs)


def uniform_paths(space: SearchSpace, generator: torch.Generator) -> Iterator[list[Architecture]]:
    """SPOS: each step one path, every op of every layer drawn uniformly and independently."""
    while True:
        picks = torch.randint(len(space.ops), (space.num_layers,), generator=generator)
        yield [Architecture(tuple(space.ops[i] for i in picks.tolist()))]


def fair_paths(space: SearchSpace, generator: torch.Generator) -> Iterator[list[Architecture]]:
    """FairNAS: each step ``len(ops)`` paths built from one random permutation of the ops per
    layer, so each op of each layer appears in exactly one of them."""
    n = len(space.ops)
    while True:
        permutations = [torch.randperm(n, generator=generator).tolist()
                        for _ in range(space.num_layers)]
        yield [Architecture(tuple(space.ops[perm[j]] for perm in permutations))
               for j in range(n)]


def training_batches(data: Dataset, batch_size: int,
                     generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Endless index batches: one shuffled pass over the training set after another."""
    while True:
        order = torch.randperm(len(data.x_train), generator=generator).to(data.device)
        for start in range(0, len(order) - batch_size + 1, batch_size):
            yield order[start:start + batch_size]


def train_supernet(space: SearchSpace, data: Dataset, epochs: float,
                   config: SupernetConfig = SupernetConfig(), *, seed: int = 0,
                   progress: bool = False) -> tuple[SuperNet, Cost]:
    """Train a supernet for ``epochs`` epoch-equivalents (``config.training_epochs`` gives the
    budget's); returns it and the cost.

    Unsampled weights get no gradient (``None``), so SGD leaves them, their momentum and their
    weight decay untouched: a step moves exactly the sampled path(s).
    """
    if isinstance(epochs, bool) or not isinstance(epochs, (int, float)) or not epochs > 0:
        raise ValueError(f"the supernet's training must be positive, but got {epochs=}")
    with seeded(seed):
        supernet = SuperNet(space, in_channels=data.input_channels,
                            num_classes=data.num_classes, channels=config.channels)
    supernet = supernet.to(data.device).train()
    optimizer = torch.optim.SGD(supernet.parameters(), lr=config.learning_rate,
                                momentum=config.momentum, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(seed)
    sampler = uniform_paths if config.sampler == "uniform" else fair_paths
    paths, batches = sampler(space, generator), training_batches(data, config.batch_size,
                                                                 generator)
    budget = epochs * len(data.x_train)  # examples passed forward and backward
    trained = 0
    started = time.perf_counter()
    with progress_bar(progress, total=round(budget), unit="ex", desc="supernet") as bar:
        while trained < budget:
            if config.schedule == "cosine":
                for group in optimizer.param_groups:
                    group["lr"] = config.learning_rate * 0.5 * (1 + math.cos(math.pi * trained
                                                                              / budget))
            step_paths = next(paths)
            optimizer.zero_grad(set_to_none=True)
            for path in step_paths:
                batch = next(batches)
                loss = nn.functional.cross_entropy(supernet(data.x_train[batch], path),
                                                   data.y_train[batch])
                loss.backward()
                trained += len(batch)
            optimizer.step()
            bar.update(config.batch_size * len(step_paths))
    cost = Cost.of_examples(trained, 0, len(data.x_train), time.perf_counter() - started)
    return supernet, cost


def recalibration_images(data: Dataset, size: int, seed: int = 0) -> torch.Tensor:
    """A fixed random subset of the training images used to recalibrate BN statistics."""
    generator = torch.Generator().manual_seed(seed)
    size = min(size, len(data.x_train))
    return data.x_train[torch.randperm(len(data.x_train), generator=generator)[:size]
                        .to(data.device)]


def score_logits(logits: torch.Tensor, labels: torch.Tensor, score: str) -> float:
    """Higher is better: the accuracy, or the negated mean cross-entropy, of (N, classes)
    logits against (N,) labels."""
    if score == "accuracy":
        return (logits.argmax(dim=1) == labels).sum().item() / len(labels)
    if score == "loss":
        return -nn.functional.cross_entropy(logits, labels).item()
    raise ValueError(f"unknown score {score!r}; choose from {list(SCORES)}")


@torch.no_grad()
def evaluate_one(supernet: SuperNet, arch: Architecture | str, images: torch.Tensor,
                 recalibration: torch.Tensor, labels: torch.Tensor,
                 score: str = SupernetConfig.score) -> float:
    """The one-by-one way: inherit the path's weights, recalibrate BN, score the candidate."""
    child = supernet.inherit(arch)
    recalibrate_bn(child, recalibration, batch_size=len(recalibration))
    child.eval()
    return score_logits(child(images), labels, score)


@torch.no_grad()
def _through(module: nn.Module, recalibration: torch.Tensor,
             images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pass both sets through ``module`` with its BN statistics recalibrated on
    ``recalibration``: (training-mode output for the next recalibration, eval-mode output).
    The supernet's own statistics are put back afterwards."""
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(norm.momentum, {name: buffer.clone() for name, buffer in norm.named_buffers()})
             for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a cumulative average over one batch: exactly its statistics
    module.train()
    recalibrated = module(recalibration)
    module.eval()
    output = module(images)
    for norm, (momentum, buffers) in zip(norms, saved):
        norm.momentum = momentum
        for name, buffer in buffers.items():
            getattr(norm, name).copy_(buffer)
    return recalibrated, output


def _step(supernet: SuperNet, depth: int, op: str) -> tuple:
    """How layer ``depth``'s ``op`` enters the key of the activations it produces: ``()`` for
    the identity (it changes nothing), ``(op,)`` for an op without weights or buffers (the
    same function at every layer), ``(op, depth)`` for an op with its own weights there."""
    module = supernet.layers[depth][op]
    if isinstance(module, nn.Identity):
        return ()
    if next(module.parameters(), None) is None and next(module.buffers(), None) is None:
        return (op,)
    return ((op, depth),)


def _keys(supernet: SuperNet, arch: Architecture) -> list[tuple]:
    """The activation key after each layer of ``arch``: two prefixes with the same key compute
    the same activations and the same recalibrated statistics, on any input. For example
    ``conv3x3 -> skip -> maxpool3x3`` and ``conv3x3 -> maxpool3x3 -> skip`` share a key."""
    keys, key = [], ()
    for depth, op in enumerate(arch.ops):
        key = key + _step(supernet, depth, op)
        keys.append(key)
    return keys


def _has_batchnorm(module: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


@torch.no_grad()
def evaluate_all(supernet: SuperNet, archs: Sequence[Architecture], data: Dataset,
                 config: SupernetConfig = SupernetConfig(), *,
                 seed: int = 0) -> dict[Architecture, float]:
    """The score (``config.score``: negated validation loss or accuracy) of every architecture
    in ``archs`` with inherited weights and recalibrated BN, computing each distinct
    activation once.

    Candidates that share their first layers share those layers' activations (and
    recalibrated statistics), so the evaluation walks a tree of prefixes. Two prefixes also
    compute the same thing when they differ only by ``skip`` (the identity) and by where a
    weightless op (a pooling) sits among them: ``conv3x3 -> skip -> maxpool3x3`` and
    ``conv3x3 -> maxpool3x3 -> skip`` are one node of the tree (see ``_keys``), and candidates
    that end on the same node get one score. A node nothing extends needs no recalibration
    pass unless it has BN layers of its own. Gives exactly the scores of ``evaluate_one`` on
    each candidate.
    """
    archs = [supernet.space.validate(arch) for arch in archs]
    recalibration = recalibration_images(data, config.recalibration_size, seed)
    was_training = supernet.training
    # The tree: each node is an activation key; its children and the modules that reach them.
    children: dict[tuple, dict[tuple, nn.Module]] = {(): {}}
    ending: dict[tuple, list[Architecture]] = {}
    for arch in dict.fromkeys(archs):
        parent = ()
        for depth, key in enumerate(_keys(supernet, arch)):
            if key != parent:
                children[parent].setdefault(key, supernet.layers[depth][arch.ops[depth]])
                children.setdefault(key, {})
            parent = key
        ending.setdefault(parent, []).append(arch)
    supernet.head.eval()
    scores: dict[Architecture, float] = {}

    def walk(key: tuple, recal: torch.Tensor | None, images: torch.Tensor) -> None:
        if key in ending:
            score = score_logits(supernet.head(images), data.y_val, config.score)
            scores.update(dict.fromkeys(ending[key], score))
        for child, module in children[key].items():
            if children[child] or _has_batchnorm(module):
                next_recal, next_images = _through(module, recal, images)
            else:  # a leaf without statistics: only the validation images matter
                module.eval()
                next_recal, next_images = None, module(images)
            walk(child, next_recal, next_images)

    recal, images = _through(supernet.stem, recalibration, data.x_val)
    walk((), recal, images)
    supernet.train(was_training)
    return {arch: scores[arch] for arch in archs}


def _macs(module: nn.Module, image_size: tuple[int, int]) -> int:
    """Multiply-accumulates per image of the convolutions and linear layers in ``module``
    (every op keeps the spatial size, so each convolution runs over ``image_size``)."""
    pixels = image_size[0] * image_size[1]
    total = 0
    for part in module.modules():
        if isinstance(part, nn.Conv2d):
            kernel = part.kernel_size[0] * part.kernel_size[1]
            total += pixels * kernel * part.in_channels * part.out_channels // part.groups
        elif isinstance(part, nn.Linear):
            total += part.in_features * part.out_features
    return total


def tree_work_fraction(supernet: SuperNet, archs: Sequence[Architecture],
                       image_size: tuple[int, int]) -> float:
    """Multiply-accumulates ``evaluate_all`` computes, as a fraction of what evaluating each
    candidate one by one computes: it runs the op that leads to each distinct activation key
    once (see ``_keys``), and the head once per distinct final key."""
    archs = list(dict.fromkeys(supernet.space.validate(arch) for arch in archs))
    stem, head = _macs(supernet.stem, image_size), _macs(supernet.head, image_size)
    op_macs = [{op: _macs(layer[op], image_size) for op in layer} for layer in supernet.layers]
    one_by_one = sum(stem + head + sum(op_macs[d][op] for d, op in enumerate(arch.ops))
                     for arch in archs)
    reached: dict[tuple, int] = {}
    for arch in archs:
        for depth, key in enumerate(_keys(supernet, arch)):
            reached.setdefault(key, op_macs[depth][arch.ops[depth]])
    finals = {_keys(supernet, arch)[-1] for arch in archs}
    tree = stem + head * len(finals) + sum(reached.values())
    return tree / one_by_one
