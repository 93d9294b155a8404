"""Networks: ``ChildNet`` trains one architecture stand-alone; ``SuperNet`` holds them all.

Every network has the same skeleton, so that architectures differ only in their chosen ops:

    image (B, C_in, H, W) -> stem conv3x3 -> op_1 -> ... -> op_L -> global average pool
                          -> linear head -> logits (B, num_classes)
"""
from __future__ import annotations

import itertools

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from .checks import check_integer
from .space import OPS, Architecture, SearchSpace

DEFAULT_CHANNELS = 16
# The largest sizes a network may have: far beyond the course's 16 channels and 10 classes, and
# small enough that a typo such as channels=10**6 is refused before torch allocates terabytes.
MAX_SIZES = {"in_channels": 1024, "num_classes": 100_000, "channels": 1024}


def check_sizes(in_channels: int, num_classes: int, channels: int) -> None:
    """Raise ValueError naming the first size that is not an integer in [1, MAX_SIZES[name]]."""
    for name, value in (("in_channels", in_channels), ("num_classes", num_classes),
                        ("channels", channels)):
        check_integer(name, value, 1, MAX_SIZES[name])


def stem(in_channels: int, channels: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1, bias=False),
                         nn.BatchNorm2d(channels), nn.ReLU())


def head(channels: int, num_classes: int) -> nn.Module:
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))


class ChildNet(nn.Module):
    """A stand-alone network for one architecture.

    >>> net = ChildNet(Architecture.parse("conv -> pool -> conv"))
    >>> net(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 10])
    """

    def __init__(self, arch: Architecture | str, in_channels: int = 1, num_classes: int = 10,
                 channels: int = DEFAULT_CHANNELS) -> None:
        super().__init__()
        arch = Architecture.parse(arch) if isinstance(arch, str) else arch
        if not isinstance(arch, Architecture):
            raise ValueError(f"arch must be an Architecture or a string such as "
                             f"'conv -> pool -> conv', but got arch={arch!r}")
        check_sizes(in_channels, num_classes, channels)
        self.arch = arch
        self.stem = stem(in_channels, channels)
        self.layers = nn.ModuleList(OPS[op].build(channels) for op in arch.ops)
        self.head = head(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)  # (B, C, H, W)
        for layer in self.layers:
            x = layer(x)  # every op keeps (B, C, H, W)
        return self.head(x)  # (B, num_classes)


class SuperNet(nn.Module):
    """Every architecture of a space in one network: one set of weights per (layer, op), a
    shared stem and a shared head. ``forward(x, arch)`` runs the path ``arch`` picks.

    >>> from nasedu.space import get_space
    >>> supernet = SuperNet(get_space("convpool"))
    >>> supernet(torch.zeros(2, 1, 8, 8), "conv -> pool -> conv").shape
    torch.Size([2, 10])
    """

    def __init__(self, space: SearchSpace, in_channels: int = 1, num_classes: int = 10,
                 channels: int = DEFAULT_CHANNELS) -> None:
        super().__init__()
        if not isinstance(space, SearchSpace):
            raise ValueError(f"space must be a SearchSpace (e.g. get_space('convpool')), "
                             f"but got space={space!r}")
        check_sizes(in_channels, num_classes, channels)
        self.space = space
        self.sizes = {"in_channels": in_channels, "num_classes": num_classes,
                      "channels": channels}
        self.stem = stem(in_channels, channels)
        # layers[i][op]: the weights every architecture with `op` at layer i shares.
        self.layers = nn.ModuleList(
            nn.ModuleDict({op: OPS[op].build(channels) for op in space.ops})
            for _ in range(space.num_layers))
        self.head = head(channels, num_classes)

    def forward(self, x: torch.Tensor, arch: Architecture | str) -> torch.Tensor:
        arch = self.space.validate(arch)
        x = self.stem(x)  # (B, C, H, W)
        for layer, op in zip(self.layers, arch.ops):
            x = layer[op](x)
        return self.head(x)  # (B, num_classes)

    def path_modules(self, arch: Architecture | str) -> list[nn.Module]:
        """The modules ``arch`` runs through: stem, its op at each layer, head."""
        arch = self.space.validate(arch)
        return [self.stem, *(layer[op] for layer, op in zip(self.layers, arch.ops)), self.head]

    def inherit(self, arch: Architecture | str) -> ChildNet:
        """A stand-alone ChildNet whose weights (and BN statistics) are copies of the path's."""
        arch = self.space.validate(arch)
        with torch.random.fork_rng(devices=[]):  # its throw-away initial weights
            child = ChildNet(arch, **self.sizes)
        child_modules = [child.stem, *child.layers, child.head]
        for target, source in zip(child_modules, self.path_modules(arch)):
            target.load_state_dict(source.state_dict())
        return child.to(next(self.parameters()).device)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count_macs(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-accumulates of one forward pass for one example of shape ``(C, H, W)``, as
    PyTorch's ``FlopCounterMode`` counts them (two floating-point operations each):
    convolutions and matrix products, not pooling, BN or ReLU. ``model`` is run once in
    eval mode on zeros; its training mode is left as it was."""
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3 or any(
            isinstance(size, bool) or not isinstance(size, int) or size < 1
            for size in input_shape):
        raise ValueError(f"input_shape must be (C, H, W), three positive integers, "
                         f"but got input_shape={input_shape!r}")
    tensors = itertools.chain(model.parameters(), model.buffers())
    device = next(tensors, torch.empty(0)).device  # a pooling layer has neither: CPU
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, *input_shape, device=device))
    finally:
        model.train(was_training)
    return counter.get_total_flops() // 2
