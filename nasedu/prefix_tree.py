"""Evaluating many candidates of one supernet at once, computing each distinct activation once.

Candidates sharing a prefix of layers share that prefix's activations and its recalibrated BN
statistics, so their evaluation walks a tree of prefixes instead of running each candidate
from scratch. Two prefixes also compute the same thing when they differ only by ``skip`` (the
identity) and by where a weightless op (a pooling) sits among them: an op's entry in
``space.OPS`` says which it is. ``nasedu.sharing.evaluate_all`` scores candidates this way,
and ``nasedu.sharing.tree_work_fraction`` says how much of the one-by-one work it saves.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn

from .models import SuperNet
from .space import OPS, Architecture

# Scores a candidate from its logits (N, classes) and the labels (N,); higher is better.
Scorer = Callable[[torch.Tensor, torch.Tensor], float]


def step_key(op: str, depth: int) -> tuple:
    """How layer ``depth``'s ``op`` enters the key of the activations it produces: ``()`` for
    the identity (it changes nothing), ``(op,)`` for an op without weights (the same function
    at every layer), ``((op, depth),)`` for an op with its own weights at that layer."""
    if OPS[op].is_identity:
        return ()
    if not OPS[op].has_weights:
        return (op,)
    return ((op, depth),)


def activation_keys(arch: Architecture) -> list[tuple]:
    """The activation key after each layer of ``arch``: two prefixes with the same key compute
    the same activations and the same recalibrated statistics, on any input. For example
    ``conv3x3 -> skip -> maxpool3x3`` and ``conv3x3 -> maxpool3x3 -> skip`` share a key."""
    keys, key = [], ()
    for depth, op in enumerate(arch.ops):
        key = key + step_key(op, depth)
        keys.append(key)
    return keys


def _has_batchnorm(module: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


@torch.no_grad()
def _through(module: nn.Module, recalibration: torch.Tensor,
             images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Pass both sets through ``module`` with its BN statistics recalibrated on
    ``recalibration``: (training-mode output for the next recalibration, eval-mode output).
    The supernet's own statistics are put back afterwards.

    The recalibration is ``nasedu.train.recalibrate_bn``'s (PyTorch's ``update_bn``) on one
    batch, written out because the tree needs what it discards: the training-mode output,
    which the next layer recalibrates on. Tests hold the two to the same scores."""
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


@torch.no_grad()
def evaluate_tree(supernet: SuperNet, archs: Sequence[Architecture],
                  recalibration: torch.Tensor, images: torch.Tensor, labels: torch.Tensor,
                  scorer: Scorer) -> dict[Architecture, float]:
    """``scorer(logits, labels)`` of every architecture in ``archs`` (validated) with inherited
    weights and BN recalibrated on ``recalibration`` (N, C, H, W), run on ``images``.

    Candidates that end on the same node of the tree get one score. A node nothing extends
    needs no recalibration pass unless it has BN layers of its own. The supernet's weights,
    statistics and training mode are left as they were.
    """
    was_training = supernet.training
    # The tree: each node is an activation key; its children and the modules that reach them.
    children: dict[tuple, dict[tuple, nn.Module]] = {(): {}}
    ending: dict[tuple, list[Architecture]] = {}
    for arch in dict.fromkeys(archs):
        parent = ()
        for depth, key in enumerate(activation_keys(arch)):
            if key != parent:
                children[parent].setdefault(key, supernet.layers[depth][arch.ops[depth]])
                children.setdefault(key, {})
            parent = key
        ending.setdefault(parent, []).append(arch)
    supernet.head.eval()
    scores: dict[Architecture, float] = {}

    def walk(key: tuple, recal: torch.Tensor | None, features: torch.Tensor) -> None:
        if key in ending:
            scores.update(dict.fromkeys(ending[key], scorer(supernet.head(features), labels)))
        for child, module in children[key].items():
            if children[child] or _has_batchnorm(module):
                next_recal, next_features = _through(module, recal, features)
            else:  # a leaf without statistics: only the evaluated images matter
                module.eval()
                next_recal, next_features = None, module(features)
            walk(child, next_recal, next_features)

    recal, features = _through(supernet.stem, recalibration, images)
    walk((), recal, features)
    supernet.train(was_training)
    return {arch: scores[arch] for arch in archs}

