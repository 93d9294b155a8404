"""Candidate operations, architectures and search spaces.

An architecture is a chain of operations, one per layer, written in the lessons' notation
``conv -> pool -> conv`` or in the compact form ``conv3x3-maxpool3x3-conv3x3``. A search space
is every chain of ``num_layers`` operations drawn from a list of ``ops``.

Weight sharing is data here (as in AutoDL's ``cell_operations.py``): ``OPS`` maps each op name
to a factory, and a supernet instantiates every op once per layer.

>>> arch = Architecture.parse("conv -> pool -> conv")
>>> arch.compact()
'conv3x3-maxpool3x3-conv3x3'
>>> get_space("convpool").size
8
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
from torch import nn


def _conv(kernel_size: int) -> Callable[[int], nn.Module]:
    def build(channels: int) -> nn.Module:
        # Conv -> BN -> ReLU, padded so every op keeps the (C, H, W) shape of its input.
        return nn.Sequential(
            nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
        )
    return build


# Every op maps (B, C, H, W) to (B, C, H, W): ops can be stacked in any order.
OPS: dict[str, Callable[[int], nn.Module]] = {
    "conv3x3": _conv(3),
    "conv5x5": _conv(5),
    "maxpool3x3": lambda channels: nn.MaxPool2d(3, stride=1, padding=1),
    "avgpool3x3": lambda channels: nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False),
    "skip": lambda channels: nn.Identity(),
}

# The lessons' short names: "Conv" and "Pool" in the course text.
ALIASES: dict[str, str] = {"conv": "conv3x3", "pool": "maxpool3x3"}
_SHORT_NAMES = {full: short for short, full in ALIASES.items()}

ARROW = " -> "


def canonical_op(name: str) -> str:
    """Return the registry name of ``name`` (an ``OPS`` key or an alias), or raise ValueError."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in OPS:
        allowed = sorted(OPS) + sorted(ALIASES)
        raise ValueError(f"unknown op {name!r}; choose from {allowed}")
    return key


@functools.lru_cache(maxsize=None)
def _is_identity(op: str) -> bool:
    return isinstance(OPS[op](1), nn.Identity)


@dataclass(frozen=True, order=True)
class Architecture:
    """An immutable, hashable chain of op names, one per layer (registry names, e.g. ``conv3x3``)."""

    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.ops:
            raise ValueError("an architecture needs at least one op, but got none")
        object.__setattr__(self, "ops", tuple(canonical_op(op) for op in self.ops))

    @classmethod
    def parse(cls, text: str) -> "Architecture":
        """Parse ``"conv -> pool -> conv"`` or ``"conv3x3-maxpool3x3-conv3x3"``.

        Names are case-insensitive; ``conv`` and ``pool`` are aliases of ``conv3x3`` and
        ``maxpool3x3``. An empty string or an unknown op raises ValueError.
        """
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"cannot parse an architecture from {text!r}; "
                             "write e.g. 'conv -> pool -> conv' or 'conv3x3-maxpool3x3-conv3x3'")
        separator = "->" if "->" in text else "-"
        names = [name.strip() for name in text.split(separator)]
        if any(not name for name in names):
            raise ValueError(f"empty op in architecture {text!r}")
        return cls(tuple(names))

    @property
    def num_layers(self) -> int:
        return len(self.ops)

    def arrow(self) -> str:
        """The lessons' notation, with the short names where they exist: ``conv -> pool``."""
        return ARROW.join(_SHORT_NAMES.get(op, op) for op in self.ops)

    def compact(self) -> str:
        """The compact form: ``conv3x3-maxpool3x3``."""
        return "-".join(self.ops)

    def network(self) -> tuple[str, ...]:
        """The stand-alone network this architecture builds: its ops without the identities.

        Architectures with the same network build identical ``ChildNet`` s (an identity has no
        weights and draws no random numbers, so the other ops are initialised in the same
        order) and train identically, seed for seed: training one trains them all.

        >>> Architecture.parse("conv -> skip -> pool").network()
        ('conv3x3', 'maxpool3x3')
        >>> Architecture.parse("skip -> conv -> pool").network()
        ('conv3x3', 'maxpool3x3')
        """
        return tuple(op for op in self.ops if not _is_identity(op))

    def __str__(self) -> str:
        return self.arrow()

    def __repr__(self) -> str:
        return f"Architecture.parse({self.arrow()!r})"


@dataclass(frozen=True)
class SearchSpace:
    """Every chain of ``num_layers`` ops drawn (with repetition) from ``ops``.

    >>> space = SearchSpace(("conv3x3", "maxpool3x3"), num_layers=3)
    >>> space.size, space.enumerate()[0].arrow()
    (8, 'conv -> conv -> conv')
    """

    ops: tuple[str, ...]
    num_layers: int
    name: str = "custom"

    def __post_init__(self) -> None:
        if isinstance(self.num_layers, bool) or not isinstance(self.num_layers, int) \
                or self.num_layers < 1:
            raise ValueError(f"num_layers must be a positive integer, but got {self.num_layers!r}")
        ops = tuple(canonical_op(op) for op in self.ops)
        if not ops:
            raise ValueError(f"a search space needs at least one op; choose from {sorted(OPS)}")
        if len(set(ops)) != len(ops):
            raise ValueError(f"ops must be distinct, but got {list(self.ops)}")
        object.__setattr__(self, "ops", ops)

    @property
    def size(self) -> int:
        return len(self.ops) ** self.num_layers

    def enumerate(self) -> list[Architecture]:
        """Every architecture, in a fixed order (the ops' order, first layer varying slowest)."""
        return list(self)

    def __iter__(self) -> Iterator[Architecture]:
        for ops in itertools.product(self.ops, repeat=self.num_layers):
            yield Architecture(ops)

    def __len__(self) -> int:
        return self.size

    def __contains__(self, arch: object) -> bool:
        return (isinstance(arch, Architecture) and arch.num_layers == self.num_layers
                and all(op in self.ops for op in arch.ops))

    def validate(self, arch: Architecture | str) -> Architecture:
        """Return ``arch`` as an Architecture of this space, or raise ValueError saying why not."""
        arch = Architecture.parse(arch) if isinstance(arch, str) else arch
        if arch.num_layers != self.num_layers:
            raise ValueError(f"architecture {arch.arrow()!r} has {arch.num_layers} layers, but "
                             f"space {self.name!r} has {self.num_layers}")
        foreign = [op for op in arch.ops if op not in self.ops]
        if foreign:
            raise ValueError(f"op {foreign[0]!r} of {arch.arrow()!r} is not in space "
                             f"{self.name!r}; choose from {list(self.ops)}")
        return arch

    def sample(self, n: int, seed: int) -> list[Architecture]:
        """``n`` distinct architectures drawn uniformly without replacement, reproducibly."""
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= self.size:
            raise ValueError(f"n must be an integer in [0, {self.size}], but got {n!r}")
        rng = np.random.default_rng(seed)
        indices = rng.choice(self.size, size=n, replace=False)
        everything = self.enumerate()
        return [everything[i] for i in indices]


SPACES: dict[str, SearchSpace] = {
    # The lessons' running example: 2 ops x 3 layers = 8 architectures, drawable and trainable.
    "convpool": SearchSpace(("conv3x3", "maxpool3x3"), 3, name="convpool"),
    # Five ops x four layers = 625 architectures: large enough for rank statistics to mean something.
    "five-op": SearchSpace(("conv3x3", "conv5x5", "maxpool3x3", "avgpool3x3", "skip"), 4,
                           name="five-op"),
}


def get_space(name: str) -> SearchSpace:
    """One of the named spaces in ``SPACES``."""
    if name not in SPACES:
        raise ValueError(f"unknown space {name!r}; choose from {sorted(SPACES)}")
    return SPACES[name]
