"""The parts a supernet's training is assembled from, as registries (like ``space.OPS``):
samplers (the paths each step trains), learning-rate schedules and candidate scores.
``SupernetConfig`` names one entry of each; ``choose`` looks a name up or says what exists.

>>> SCHEDULES["cosine"](0.5)
0.5
"""
from __future__ import annotations

import math
from typing import Callable, Iterator, Mapping

import torch
from torch import nn

from .space import Architecture, SearchSpace


# Samplers: the paths each training step trains, drawn from a generator.

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


# Schedules: the learning rate's factor once ``progress`` (a share in [0, 1]) of the budget
# is trained.

def cosine(progress: float) -> float:
    """From 1 down to 0 along half a cosine, so the shared weights settle at the end."""
    return 0.5 * (1 + math.cos(math.pi * progress))


def constant(progress: float) -> float:
    return 1.0


# Scores: how a candidate is ranked from its logits (N, classes) and labels (N,); higher is
# better.

def negative_loss(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The negated mean cross-entropy."""
    return -nn.functional.cross_entropy(logits, labels).item()


def top1_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The share of examples whose largest logit is their label's."""
    return (logits.argmax(dim=1) == labels).sum().item() / len(labels)


SAMPLERS: dict[str, Callable[[SearchSpace, torch.Generator], Iterator[list[Architecture]]]] = {
    "uniform": uniform_paths, "fair": fair_paths}
SCHEDULES: dict[str, Callable[[float], float]] = {"cosine": cosine, "constant": constant}
SCORES: dict[str, Callable[[torch.Tensor, torch.Tensor], float]] = {
    "loss": negative_loss, "accuracy": top1_accuracy}


def choose(kind: str, name: object, registry: Mapping[str, Callable]) -> Callable:
    """``registry[name]``, or a ValueError naming ``name`` and the ``kind``s to choose from."""
    if not isinstance(name, str) or name not in registry:
        raise ValueError(f"unknown {kind} {name!r}; choose from {list(registry)}")
    return registry[name]
