"""Few-shot weight sharing: one supernet split into sub-supernets by the op of one layer.

In a one-shot supernet every path shares every weight, so the weights of layer 2 are trained
for whatever layer 1 happens to hand them: a conv's features on one step, a pooling's on the
next. Zhao et al. ("Few-shot Neural Architecture Search", ICML 2021) split the supernet on one
choice: sub-supernet ``o`` holds only the architectures with op ``o`` at the split layer, so its
later layers co-adapt with one op there. Each sub-supernet starts from the weights of a
one-shot supernet trained first (their "weight transfer"), then trains on its own part of the
space; each architecture is scored by the sub-supernet that holds it. Zhao et al. report
Kendall tau 0.551 against one-shot's 0.485 on NAS-Bench-201 (see REFERENCES.md), with five
sub-supernets trained on top of the one-shot supernet, i.e. at several times its cost.

Here few-shot gets **the same budget as one-shot** (``SupernetConfig.plan``: by default 0.4%
of exhaustive training, at least 10 epochs per op of a layer, at most 2.8% with evaluation,
in the same batches), so the comparison
asks whether splitting helps at equal cost. Design,
fixed before any table was scored with it:

- Split layer: the first (``split_layer=0``), as the authors' code splits its first edge by
  default. The first op shapes what every later layer sees, so its choice is where the shared
  later weights are asked to serve the most different inputs.
- Warm-up share: the authors train the one-shot supernet for twice the epochs of each
  sub-supernet (600 and 300 on NAS-Bench-201); we keep that ratio inside the budget, so with
  ``k`` ops the warm-up takes ``2 / (2 + k)`` of it (2/7 on five-op, 2/5 on three-op) and each
  sub-supernet ``1 / (2 + k)``.
- Learning rate: each sub-supernet restarts the cosine schedule of ``SupernetConfig`` from its
  peak (``nasedu.sharing.train_paths`` with a fresh optimiser), as the authors restart theirs
  after the transfer. Everything else (batch, SGD,
  sampler, BN recalibration, score) is ``SupernetConfig``'s, as for one-shot.

Cost: the warm-up and the sub-supernets' training (forward+backward passes, equal in total to
one-shot's training) plus the evaluation of every candidate in its own sub-supernet, counted as
``WeightSharing`` counts it (forward-only recalibration and validation passes, scaled by the
share of multiply-accumulates the prefix tree computes).

>>> from nasedu.data import load_dataset
>>> from nasedu.space import get_space
>>> space, data = get_space("convpool"), load_dataset("digits")
>>> few_shot = FewShot(space, data, SupernetConfig(budget=0.004))
>>> len(few_shot.estimate(space.enumerate()).scores)
8
"""
from __future__ import annotations

import copy
import math
import time
from typing import Iterator, Sequence

import torch

from .checks import check_integer
from .cost import Cost
from .data import Dataset
from .estimates import Estimates, Estimator
from .models import SuperNet
from .seeds import check_seed
from .sharing import (SupernetConfig, evaluate_all, evaluation_cost, train_paths,
                      train_supernet)
from .space import Architecture, SearchSpace

SPLIT_LAYER = 0          # the layer whose op splits the supernet (see the module docstring)
WARMUP_RATIO = 2.0       # warm-up epochs per epoch of one sub-supernet (Zhao et al.: 600 / 300)


def split_paths(space: SearchSpace, layer: int, op: str,
                generator: torch.Generator) -> Iterator[list[Architecture]]:
    """SPOS restricted to one sub-supernet: each step one path with ``op`` at ``layer`` and
    every other layer's op drawn uniformly and independently."""
    while True:
        picks = torch.randint(len(space.ops), (space.num_layers,), generator=generator).tolist()
        ops = [space.ops[i] for i in picks]
        ops[layer] = op
        yield [Architecture(tuple(ops))]


class FewShot(Estimator):
    """Few-shot weight sharing at one-shot's cost: a one-shot warm-up, then one sub-supernet
    per op of layer ``split_layer`` (among the architectures asked for), each a copy of the
    warm-up trained only on its architectures; each architecture is scored by its own
    sub-supernet exactly as ``WeightSharing`` scores it (``config.score`` after BN
    recalibration).

    One-shot's training budget and batches (``config.plan``) are shared out:
    ``warmup_ratio / (warmup_ratio + k)`` to the warm-up and ``1 / (warmup_ratio + k)`` to each
    of the ``k`` sub-supernets. After ``estimate``, ``supernets_`` maps each op to its trained
    sub-supernet, ``warmup_`` holds the warm-up supernet and ``costs_`` the cost of each part
    (``"warm-up"``, each op's sub-supernet, ``"evaluation"``), which add up to the estimates'
    cost.
    """

    name = "few-shot weight sharing"

    def __init__(self, space: SearchSpace, data: Dataset,
                 config: SupernetConfig = SupernetConfig(), *, split_layer: int = SPLIT_LAYER,
                 warmup_ratio: float = WARMUP_RATIO, seed: int = 0,
                 progress: bool = False) -> None:
        if not isinstance(space, SearchSpace):
            raise TypeError(f"space must be a SearchSpace (e.g. get_space('five-op')), "
                            f"but got {type(space).__name__}")
        check_integer("split_layer", split_layer, 0, space.num_layers - 1)
        if (isinstance(warmup_ratio, bool) or not isinstance(warmup_ratio, (int, float))
                or not 0 < warmup_ratio < math.inf):
            raise ValueError(f"warmup_ratio must be a positive number, but got "
                             f"warmup_ratio={warmup_ratio!r}")
        self.space = space
        self.data = data
        self.config = config
        self.split_layer = split_layer
        self.warmup_ratio = warmup_ratio
        self.seed = check_seed(seed)
        self.progress = progress

    def groups(self, archs: Sequence[Architecture]) -> dict[str, list[Architecture]]:
        """The architectures of ``archs`` (each once) by their op at the split layer."""
        groups: dict[str, list[Architecture]] = {}
        for arch in dict.fromkeys(self.space.validate(arch) for arch in archs):
            groups.setdefault(arch.ops[self.split_layer], []).append(arch)
        return groups

    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        if len(archs) == 0:
            raise ValueError("archs is empty; give at least one architecture to estimate")
        groups = self.groups(archs)
        total, config = self.config.plan([a for group in groups.values() for a in group],
                                         self.data)
        share = total / (self.warmup_ratio + len(groups))  # one sub-supernet's training
        warmup, warmup_cost = train_supernet(self.space, self.data, self.warmup_ratio * share,
                                             config, seed=self.seed,
                                             progress=self.progress)
        self.costs_ = {"warm-up": warmup_cost, "evaluation": Cost()}
        generator = torch.Generator().manual_seed(self.seed + 1)  # after the warm-up's draws
        scores: dict[Architecture, float] = {}
        self.supernets_: dict[str, SuperNet] = {}
        for op, members in groups.items():
            supernet = copy.deepcopy(warmup)
            paths = split_paths(self.space, self.split_layer, op, generator)
            self.costs_[op] = train_paths(supernet, self.data, share, paths, config,
                                          generator, progress=self.progress)
            self.costs_["evaluation"] += self._evaluate(supernet, members, scores)
            self.supernets_[op] = supernet
        self.warmup_ = warmup
        return Estimates({arch: scores[arch] for arch in archs},
                         sum(self.costs_.values(), Cost()))

    def _evaluate(self, supernet: SuperNet, archs: list[Architecture],
                  scores: dict[Architecture, float]) -> Cost:
        """Score ``archs`` in ``supernet`` into ``scores``; the cost, as WeightSharing's."""
        started = time.perf_counter()
        scores.update(evaluate_all(supernet, archs, self.data, self.config, seed=self.seed))
        seconds = time.perf_counter() - started
        return evaluation_cost(supernet, archs, self.data, self.config.recalibration_size,
                               seconds)
