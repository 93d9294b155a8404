"""Zero-cost proxies from the literature: rank untrained networks from one minibatch.

Each score is computed on a freshly initialised ``ChildNet`` and averaged over a few
initialisation seeds; none trains anything.

- **synflow** (Tanaka et al., "Pruning neural networks without any data by iteratively
  conserving synaptic flow", NeurIPS 2020; as a NAS proxy: Abdelfattah et al., "Zero-Cost
  Proxies for Lightweight NAS", ICLR 2021): take the absolute value of every weight, pass one
  all-ones input in double precision with BN as the identity (its state at initialisation in
  eval mode: Abdelfattah et al. compute synflow without BN), and sum ``|w * dR/dw|`` over the
  convolution and linear weights, where ``R`` is the sum of the outputs. Data-free. It grows
  multiplicatively with depth and width, so we report its natural log (the same ranking).
- **snip** (Lee et al., "SNIP: Single-shot network pruning based on connection sensitivity",
  ICLR 2019): ``sum |w * dL/dw|`` of the cross-entropy ``L`` of one labelled minibatch.
- **grad_norm** (Abdelfattah et al. 2021): the sum over convolution and linear layers of the
  L2 norm of ``dL/dw`` on the same minibatch.
- **NASWOT** (Mellor et al., "Neural Architecture Search without Training", ICML 2021): each
  image's binary code of which ReLU inputs are positive; ``K[i, j]`` counts the units where
  images i and j agree; the score is ``log |det K|``. Networks that tell images apart at
  initialisation score high. One forward pass.

The formulas follow the authors' code (SamsungLabs/zero-cost-nas, BayesWatch/nas-without-
training), read, not copied. Abdelfattah et al. report Spearman about 0.74 for synflow on
NAS-Bench-201 (read off a figure); this package measures its own on every shipped table
(``benchmarks/families.py``).

Design, fixed before any table was scored with these proxies:

- ``batch_size = 64``: one SGD step's worth of the protocol's data (its batch size), drawn once
  per search seed from the training set and shared by every architecture, so that all are
  judged on the same images. NASWOT's paper uses 128; 64 keeps the kernel well conditioned
  (at most 64 codes) and the cost equal across the three data-driven proxies.
- ``init_seeds = 3``: a proxy scores an untrained network, so it varies with the
  initialisation; three draws, as many as the ground truth's seeds, average most of it away
  for a few milliseconds each. Search seed ``s`` uses initialisation seeds ``3s, 3s+1, 3s+2``.
- Train-mode BN (batch statistics) for snip, grad_norm and NASWOT, as the authors' code runs
  them; synflow without BN, as its authors run it.

Cost, by the package's rule (``nasedu.cost``): a forward+backward pass of ``n`` examples is
``n / len(x_train)`` epoch-equivalents, forward only a third of that. Synflow passes one
example forward and backward per initialisation, snip and grad_norm ``batch_size``, NASWOT
``batch_size`` forward only. Architectures that build the same network (``skip`` twins) are
scored once and charged once.

>>> from nasedu.data import load_dataset
>>> from nasedu.space import get_space
>>> data, space = load_dataset("digits"), get_space("convpool")
>>> estimates = Synflow(data, init_seeds=1).estimate(space.enumerate())
>>> max(estimates.scores, key=estimates.scores.get).arrow()
'conv -> conv -> conv'
"""
from __future__ import annotations

import abc
import copy
import math
import time
from typing import Sequence

import numpy as np
import torch
from torch import nn

from .checks import check_integer
from .cost import Cost
from .data import Dataset
from .estimates import Estimates, Estimator
from .models import DEFAULT_CHANNELS, ChildNet
from .seeds import check_seed
from .space import Architecture
from .train import seeded

BATCH_SIZE = 64   # examples in the one minibatch (see the module docstring)
INIT_SEEDS = 3    # initialisations averaged per architecture


def _weighted_layers(net: nn.Module) -> list[nn.Module]:
    """The convolution and linear layers, whose weights the proxies sum over."""
    return [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def synflow_score(net: nn.Module, input_shape: Sequence[int]) -> float:
    """Synaptic flow of ``net`` for inputs of shape ``(C, H, W)``: ``sum |w * dR/dw|`` over
    convolution and linear weights, with every parameter and buffer made positive, BN in
    eval mode (the identity at initialisation), double precision, and ``R`` the sum of the
    outputs for one all-ones input. ``net`` itself is left untouched (a copy is scored).
    A layer of zero weights cuts the flow: the score is then 0."""
    return _synflow(copy.deepcopy(net), input_shape)


def _synflow(net: nn.Module, input_shape: Sequence[int]) -> float:
    """``synflow_score`` on ``net`` itself, which it uses up (weights made positive)."""
    net = net.double().eval()
    with torch.no_grad():
        for value in net.state_dict().values():
            value.abs_()
    device = next(net.parameters()).device
    net(torch.ones(1, *input_shape, dtype=torch.float64, device=device)).sum().backward()
    return float(sum((layer.weight * layer.weight.grad).detach().abs().sum()
                     for layer in _weighted_layers(net)))


def _loss_gradients(net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> nn.Module:
    """``net`` in train mode, holding the gradients of the cross-entropy on the batch."""
    net.train().zero_grad(set_to_none=True)
    nn.functional.cross_entropy(net(images), labels).backward()
    return net


def snip_score(net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Connection sensitivity: ``sum |w * dL/dw|`` over convolution and linear weights, ``L``
    the cross-entropy of (N, C, H, W) ``images`` against (N,) ``labels``. ``net`` itself is
    left untouched (a copy is scored)."""
    return _snip(copy.deepcopy(net), images, labels)


def _snip(net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    net = _loss_gradients(net, images, labels)
    return float(sum((layer.weight * layer.weight.grad).detach().abs().sum()
                     for layer in _weighted_layers(net)))


def grad_norm_score(net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """The sum over convolution and linear layers of ``||dL/dw||_2`` (a copy of ``net``)."""
    return _grad_norm(copy.deepcopy(net), images, labels)


def _grad_norm(net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    net = _loss_gradients(net, images, labels)
    return float(sum(layer.weight.grad.detach().norm() for layer in _weighted_layers(net)))


@torch.no_grad()
def naswot_score(net: nn.Module, images: torch.Tensor) -> float:
    """``log |det K|`` of the (N, N) kernel of ReLU activation codes of (N, C, H, W)
    ``images``: ``K[i, j]`` = the number of ReLU inputs on which images i and j agree in
    sign (both positive or both not). Minus infinity when two images share every code.
    ``net`` itself is left untouched (a copy is scored)."""
    return _naswot(copy.deepcopy(net), images)


@torch.no_grad()
def _naswot(net: nn.Module, images: torch.Tensor) -> float:
    """``naswot_score`` on ``net`` itself (its BN statistics change)."""
    net.train()
    kernel = torch.zeros(len(images), len(images), dtype=torch.float64, device=images.device)

    def add_codes(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        codes = (inputs[0].flatten(1) > 0).double()  # (N, units)
        kernel.add_(codes @ codes.T + (1 - codes) @ (1 - codes).T)

    hooks = [m.register_forward_hook(add_codes) for m in net.modules() if isinstance(m, nn.ReLU)]
    net(images)
    for hook in hooks:
        hook.remove()
    return float(torch.linalg.slogdet(kernel).logabsdet)


class InitialisationProxy(Estimator):
    """A score of untrained networks: each architecture's ``ChildNet`` is built with
    ``init_seeds`` initialisations, scored by ``measure`` on one minibatch of
    ``batch_size`` training images (the same for every architecture, drawn with ``seed``),
    and the scores averaged. Reads no ground-truth seed; the cost is the passes it made."""

    name = "proxy"
    forward_only = False    # whether measure() passes its examples forward only
    examples_per_pass = 0   # examples per pass; 0 means batch_size

    def __init__(self, data: Dataset, *, channels: int = DEFAULT_CHANNELS,
                 batch_size: int = BATCH_SIZE, init_seeds: int = INIT_SEEDS,
                 seed: int = 0) -> None:
        if not isinstance(data, Dataset):
            raise TypeError(f"data must be a nasedu Dataset (load_dataset(...)), "
                            f"but got {type(data).__name__}")
        self.data = data
        self.channels = check_integer("channels", channels, 1)
        self.batch_size = check_integer("batch_size", batch_size, 2, len(data.x_train))
        self.init_seeds = check_integer("init_seeds", init_seeds, 1, 1000)
        self.seed = check_seed(seed)

    @abc.abstractmethod
    def measure(self, net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
        """The proxy's value for one freshly initialised network, which it may use up."""

    def minibatch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The (images, labels) every architecture is scored on."""
        generator = torch.Generator().manual_seed(self.seed)
        picked = torch.randperm(len(self.data.x_train), generator=generator)[:self.batch_size]
        picked = picked.to(self.data.device)
        return self.data.x_train[picked], self.data.y_train[picked]

    def network(self, arch: Architecture, init_seed: int) -> ChildNet:
        with seeded(init_seed):
            net = ChildNet(arch, in_channels=self.data.input_channels,
                           num_classes=self.data.num_classes, channels=self.channels)
        return net.to(self.data.device)

    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        if len(archs) == 0:
            raise ValueError("archs is empty; give at least one architecture to estimate")
        images, labels = self.minibatch()
        started = time.perf_counter()
        by_network: dict[tuple[str, ...], float] = {}  # skip twins: one network, one score
        for arch in archs:
            if arch.network() not in by_network:
                by_network[arch.network()] = float(np.mean([
                    self.measure(self.network(arch, self.seed * self.init_seeds + i),
                                 images, labels) for i in range(self.init_seeds)]))
        passes = len(by_network) * self.init_seeds * (self.examples_per_pass or self.batch_size)
        cost = Cost.of_examples(trained=0 if self.forward_only else passes,
                                evaluated=passes if self.forward_only else 0,
                                train_size=len(self.data.x_train),
                                seconds=time.perf_counter() - started)
        return Estimates({arch: by_network[arch.network()] for arch in archs}, cost)


class Synflow(InitialisationProxy):
    """Log synaptic flow (``synflow_score``), data-free: one all-ones example per network."""

    name = "synflow"
    examples_per_pass = 1

    def measure(self, net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
        flow = _synflow(net, tuple(images.shape[1:]))
        return math.log(flow) if flow > 0 else -math.inf


class Snip(InitialisationProxy):
    """Connection sensitivity on one minibatch (``snip_score``)."""

    name = "snip"

    def measure(self, net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
        return _snip(net, images, labels)


class GradNorm(InitialisationProxy):
    """Summed per-layer gradient norm on one minibatch (``grad_norm_score``)."""

    name = "grad_norm"

    def measure(self, net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
        return _grad_norm(net, images, labels)


class Naswot(InitialisationProxy):
    """Log-determinant of the ReLU-code kernel on one minibatch (``naswot_score``)."""

    name = "naswot"
    forward_only = True

    def measure(self, net: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
        return _naswot(net, images)


INITIALISATION_PROXIES = (Synflow, Snip, GradNorm, Naswot)
