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
``benchmarks/weight_sharing.py``). The learning rate starts at the stand-alone networks' (0.02)
and follows a cosine decay over the budget, so the shared weights settle instead of jittering
at the end; the first default, 0.05, ranked worse on every development table
(``benchmarks/supernet_rate.py``), and the figures below were measured with it.

The budget is relative to the space: a share of *exhaustive training* (every candidate trained
once, ``exhaustive_epochs``). The default is 0.4%, the share at which five-op ranked best (50
supernet epochs there; more lowered its tau), but at least ``MIN_EPOCHS_PER_OP`` = 10 epochs
per op of a layer, what 0.4% gives each of five-op's 5 ops. A share alone starves a small
space: architectures grow as ops ** layers, but each op is trained on 1 / ops of the steps
whatever the size. On a 64-architecture development table (4 ops x 3 layers, not shipped) 0.4%
alone is 5 epochs and ranks at chance (tau 0.08/0.37/-0.10 over three seeds); 40, 0.83/0.77/0.81.

But weight sharing exists to be cheap, and there 40 epochs are 4% of exhaustive training: the
default costs at most ``MAX_DEFAULT_SHARE`` = 2.8% with evaluation, training what fits in
smaller batches (``SupernetConfig.plan``): 24 epochs in batches of 38 ranked 0.81/0.82/0.83.

>>> from nasedu.data import load_dataset
>>> from nasedu.space import get_space
>>> data = load_dataset("digits")
>>> supernet, cost = train_supernet(get_space("convpool"), data, epochs=1)
>>> scores = evaluate_all(supernet, get_space("convpool").enumerate(), data)
>>> len(scores)
8
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, replace
from typing import Iterator, Sequence

import torch
from torch import nn

from .cost import Cost
from .data import Dataset
from .models import DEFAULT_CHANNELS, SuperNet, count_macs
from .prefix_tree import activation_keys, evaluate_tree
from .sharing_parts import SAMPLERS, SCHEDULES, SCORES, choose
from .space import Architecture, SearchSpace
from .train import TrainConfig, check_finite, check_sgd, make_optimizer, progress_bar, \
    recalibrate_bn, seeded

SUPERNET_BUDGET = 0.004  # chosen on five-op before any other table was run (see the README)
MIN_EPOCHS_PER_OP = 10.0  # five-op's default gives each of its 5 ops this much (see above)
MAX_DEFAULT_SHARE = 0.028  # the default's whole cost, training and evaluation, at most
MIN_BATCH_SIZE = 8        # the smallest batch a capped default trains with


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
    """How a supernet is trained and its candidates scored. ``sampler``, ``schedule`` and
    ``score`` name entries of ``SAMPLERS``, ``SCHEDULES`` and ``SCORES``."""

    budget: float | None = None     # supernet training, as a share of exhaustive training of
                                    # the candidates it scores (evaluation comes on top); None:
                                    # SUPERNET_BUDGET, but MIN_EPOCHS_PER_OP per op at least,
                                    # all in all at most MAX_DEFAULT_SHARE (see ``plan``)
    reference_epochs: int = TrainConfig.epochs  # a stand-alone training's epochs (exhaustive)
    batch_size: int = 64            # examples per path per step
    learning_rate: float = TrainConfig.learning_rate  # SGD peak (cosine): the networks' rate
    schedule: str = "cosine"        # "cosine" decays the rate to 0 over the budget; "constant"
    momentum: float = 0.9           # SGD momentum
    weight_decay: float = 5e-4      # L2 penalty on the weights a step touches
    sampler: str = "uniform"        # "uniform" (SPOS) or "fair" (FairNAS strict fairness)
    channels: int = DEFAULT_CHANNELS  # width; the same as the stand-alone networks
    recalibration_size: int = 256   # training images per candidate for BN recalibration
    score: str = "loss"             # rank candidates by validation "loss" (negated) or "accuracy"

    def __post_init__(self) -> None:
        choose("sampler", self.sampler, SAMPLERS)
        choose("schedule", self.schedule, SCHEDULES)
        choose("score", self.score, SCORES)
        if self.budget is not None and (
                isinstance(self.budget, bool) or not isinstance(self.budget, (int, float))
                or not 0 < self.budget <= 1):
            raise ValueError(f"budget is a share of exhaustive training, a number in (0, 1] (or "
                             f"None for the default), but got budget={self.budget!r}")
        for name in ("batch_size", "channels", "recalibration_size", "reference_epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, but got {name}={value!r}")
        check_sgd(self)

    def to_dict(self) -> dict:
        return asdict(self)

    def training_epochs(self, archs: Sequence[Architecture], data: Dataset) -> float:
        """The supernet's training in epoch-equivalents for the candidates ``archs`` (see
        ``plan``)."""
        return self.plan(archs, data)[0]

    def plan(self, archs: Sequence[Architecture],
             data: Dataset) -> tuple[float, "SupernetConfig"]:
        """The supernet's training for the candidates ``archs`` on ``data`` in epoch-equivalents,
        and the configuration that trains it. An explicit ``budget``: that share of training
        each candidate once for ``reference_epochs``, with this configuration. The default:
        ``SUPERNET_BUDGET`` of it, but at least ``MIN_EPOCHS_PER_OP`` times the ops of a layer;
        if that and the evaluation cost more than ``MAX_DEFAULT_SHARE`` of exhaustive training,
        what fits, in batches shrunk in proportion (at least ``MIN_BATCH_SIZE``) at the same
        learning rate."""
        if isinstance(archs, (int, str)) or len(archs) == 0:
            raise ValueError(f"archs must be a non-empty sequence of architectures, but got "
                             f"{archs!r}")
        distinct = list(dict.fromkeys(archs))
        exhaustive = exhaustive_epochs(len(distinct), data, self.reference_epochs)
        if self.budget is not None:
            return self.budget * exhaustive, self
        ops_per_layer = max(len({arch.ops[layer] for arch in distinct})
                            for layer in range(len(distinct[0].ops)))
        floor = MIN_EPOCHS_PER_OP * ops_per_layer
        wanted = max(SUPERNET_BUDGET * exhaustive, floor)
        space = SearchSpace(tuple(sorted({op for arch in distinct for op in arch.ops})),
                            len(distinct[0].ops))
        with seeded(0):  # a probe whose multiply-accumulates count; no generator is touched
            probe = SuperNet(space, in_channels=data.input_channels,
                             num_classes=data.num_classes, channels=self.channels)
        evaluation = evaluation_cost(probe, distinct, data, self.recalibration_size).epochs
        fits = MAX_DEFAULT_SHARE * exhaustive - evaluation
        if wanted <= fits:
            return wanted, self
        if fits <= 0:
            raise ValueError(f"evaluating the candidates alone costs more than the default's "
                             f"{MAX_DEFAULT_SHARE:.1%} of exhaustive training (recalibration_size="
                             f"{self.recalibration_size}); give an explicit budget")
        batch_size = max(MIN_BATCH_SIZE, min(self.batch_size,
                                             round(self.batch_size * fits / floor)))
        return fits, replace(self, batch_size=batch_size)


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
    """Train a new supernet for ``epochs`` epoch-equivalents (``config.training_epochs`` gives
    the budget's) along ``config.sampler``'s paths; returns it and the cost. Weights, paths
    and batches are drawn from ``seed``."""
    if isinstance(epochs, bool) or not isinstance(epochs, (int, float)) or not epochs > 0:
        raise ValueError(f"the supernet's training must be positive, but got {epochs=}")
    with seeded(seed):
        supernet = SuperNet(space, in_channels=data.input_channels,
                            num_classes=data.num_classes, channels=config.channels)
    supernet = supernet.to(data.device)
    generator = torch.Generator().manual_seed(seed)
    paths = SAMPLERS[config.sampler](space, generator)
    return supernet, train_paths(supernet, data, epochs, paths, config, generator,
                                 progress=progress)


def train_paths(supernet: SuperNet, data: Dataset, epochs: float,
                paths: Iterator[list[Architecture]], config: SupernetConfig,
                generator: torch.Generator, *, progress: bool = False) -> Cost:
    """Train ``supernet`` in place for ``epochs`` epoch-equivalents, each step on the paths
    ``next(paths)`` gives (one batch each, shuffled by ``generator``), with a fresh SGD
    optimiser and ``config.schedule`` from its peak rate; returns the cost.

    Unsampled weights get no gradient (``None``), so SGD leaves them, their momentum and their
    weight decay untouched: a step moves exactly the sampled path(s). A NaN or infinite loss
    raises ``TrainingDiverged`` naming the step.
    """
    supernet.train()
    optimizer = make_optimizer(supernet, config)
    batches = training_batches(data, config.batch_size, generator)
    budget = epochs * len(data.x_train)  # examples passed forward and backward
    trained, steps = 0, 0
    schedule = SCHEDULES[config.schedule]
    # LambdaLR sets each step's rate to the peak times the schedule at the share of the budget
    # trained before that step (it reads `trained` as it grows).
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: schedule(trained / budget))
    started = time.perf_counter()
    with progress_bar(progress, total=round(budget), unit="ex", desc="supernet") as bar:
        while trained < budget:
            step_paths = next(paths)
            optimizer.zero_grad(set_to_none=True)
            for path in step_paths:
                batch = next(batches)
                loss = nn.functional.cross_entropy(supernet(data.x_train[batch], path),
                                                   data.y_train[batch])
                check_finite(loss.item(), config, f"the supernet's training diverged in step "
                             f"{steps + 1} (epoch {trained / len(data.x_train):.2f} of "
                             f"{epochs:g}): the loss of path {path}")
                loss.backward()
                trained += len(batch)
            optimizer.step()
            scheduler.step()
            steps += 1
            bar.update(config.batch_size * len(step_paths))
    return Cost.of_examples(trained, 0, len(data.x_train), time.perf_counter() - started)


def recalibration_images(data: Dataset, size: int, seed: int = 0) -> torch.Tensor:
    """A fixed random subset of the training images used to recalibrate BN statistics."""
    generator = torch.Generator().manual_seed(seed)
    size = min(size, len(data.x_train))
    return data.x_train[torch.randperm(len(data.x_train), generator=generator)[:size]
                        .to(data.device)]


@torch.no_grad()
def evaluate_one(supernet: SuperNet, arch: Architecture | str, images: torch.Tensor,
                 recalibration: torch.Tensor, labels: torch.Tensor,
                 score: str = SupernetConfig.score) -> float:
    """The one-by-one way: inherit the path's weights, recalibrate BN, score the candidate
    (``score`` names an entry of ``SCORES``)."""
    scorer = choose("score", score, SCORES)
    child = supernet.inherit(arch)
    recalibrate_bn(child, recalibration, batch_size=len(recalibration))
    child.eval()
    return scorer(child(images), labels)


def evaluate_all(supernet: SuperNet, archs: Sequence[Architecture], data: Dataset,
                 config: SupernetConfig = SupernetConfig(), *,
                 seed: int = 0) -> dict[Architecture, float]:
    """The score (``config.score``: negated validation loss or accuracy) of every architecture
    in ``archs`` with inherited weights and BN recalibrated on ``config.recalibration_size``
    training images, computing each distinct activation once (``nasedu.prefix_tree``).

    Candidates that share their first layers share those layers' activations (and
    recalibrated statistics), and so do prefixes that differ only by ``skip`` and by where a
    pooling sits: ``conv3x3 -> skip -> maxpool3x3`` and ``conv3x3 -> maxpool3x3 -> skip``
    get one score. Gives the scores of ``evaluate_one`` on each candidate.
    """
    archs = [supernet.space.validate(arch) for arch in archs]
    recalibration = recalibration_images(data, config.recalibration_size, seed)
    return evaluate_tree(supernet, archs, recalibration, data.x_val, data.y_val,
                         SCORES[config.score])


def evaluation_cost(supernet: SuperNet, archs: Sequence[Architecture], data: Dataset,
                    recalibration_size: int, seconds: float = 0.0) -> Cost:
    """What ``evaluate_all`` computes for ``archs``: each candidate's recalibration and
    validation passes (forward only) times the share the prefix tree computes."""
    distinct = list(dict.fromkeys(archs))
    share = tree_work_fraction(supernet, distinct, tuple(data.x_val.shape[2:]))
    passes = min(recalibration_size, len(data.x_train)) + len(data.x_val)
    return Cost.of_examples(trained=0, evaluated=share * len(distinct) * passes,
                            train_size=len(data.x_train), seconds=seconds)


def tree_work_fraction(supernet: SuperNet, archs: Sequence[Architecture],
                       image_size: tuple[int, int]) -> float:
    """Multiply-accumulates ``evaluate_all`` computes on images of ``image_size`` (H, W), as a
    fraction of what evaluating each candidate one by one computes: it runs the op that leads
    to each distinct activation key once, and the head once per distinct final key."""
    archs = list(dict.fromkeys(supernet.space.validate(arch) for arch in archs))
    sizes = supernet.sizes
    stem = count_macs(supernet.stem, (sizes["in_channels"], *image_size))
    inner = (sizes["channels"], *image_size)  # every op keeps (C, H, W)
    head = count_macs(supernet.head, inner)
    op_macs = [{op: count_macs(layer[op], inner) for op in layer} for layer in supernet.layers]
    one_by_one = sum(stem + head + sum(op_macs[d][op] for d, op in enumerate(arch.ops))
                     for arch in archs)
    reached: dict[tuple, int] = {}
    for arch in archs:
        for depth, key in enumerate(activation_keys(arch)):
            reached.setdefault(key, op_macs[depth][arch.ops[depth]])
    finals = {activation_keys(arch)[-1] for arch in archs}
    tree = stem + head * len(finals) + sum(reached.values())
    return tree / one_by_one
