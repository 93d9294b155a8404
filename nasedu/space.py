"""Candidate operations, architectures and search spaces.

An architecture is a chain of operations, one per layer, written in the lessons' notation
``conv -> pool -> conv`` or in the compact form ``conv3x3-maxpool3x3-conv3x3``. A search space
is every chain of ``num_layers`` operations drawn from a list of ``ops``.

Ops are data here (as in AutoDL's ``cell_operations.py``): ``OPS`` holds one ``Op`` per name,
saying how to build it, whether it has weights and whether it is the identity; a supernet
instantiates every op once per layer.

>>> arch = Architecture.parse("conv -> pool -> conv")
>>> arch.compact()
'conv3x3-maxpool3x3-conv3x3'
>>> get_space("convpool").size
8
"""
from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
from torch import nn

from .checks import check_integer
from .seeds import check_seed


def _conv(kernel_size: int) -> Callable[[int], nn.Module]:
    def build(channels: int) -> nn.Module:
        # Conv -> BN -> ReLU, padded so every op keeps the (C, H, W) shape of its input.
        return nn.Sequential(
            nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(channels),
            nn.ReLU(),
        )
    return build


@dataclass(frozen=True)
class Op:
    """One entry of the op registry: how to build the op for ``channels`` channels, whether it
    has weights to train (and to share in a supernet), whether it is the identity."""

    build: Callable[[int], nn.Module]
    has_weights: bool
    is_identity: bool = False


# Every op maps (B, C, H, W) to (B, C, H, W): ops can be stacked in any order.
OPS: dict[str, Op] = {
    "conv3x3": Op(_conv(3), has_weights=True),
    "conv5x5": Op(_conv(5), has_weights=True),
    "maxpool3x3": Op(lambda channels: nn.MaxPool2d(3, stride=1, padding=1), has_weights=False),
    "avgpool3x3": Op(lambda channels: nn.AvgPool2d(3, stride=1, padding=1,
                                                   count_include_pad=False), has_weights=False),
    "skip": Op(lambda channels: nn.Identity(), has_weights=False, is_identity=True),
}

# The lessons' short names: "Conv" and "Pool" in the course text.
ALIASES: dict[str, str] = {"conv": "conv3x3", "pool": "maxpool3x3"}
_SHORT_NAMES = {full: short for short, full in ALIASES.items()}

ARROW = " -> "

MAX_LAYERS = 32  # layers of an architecture: far beyond the lessons' 3 or 4
# Architectures that enumerate() or sample() may return in one list: each costs about 0.6 KB.
MAX_LISTED = 1_000_000
# numpy's choice shuffles every index of a space (8 bytes each) when n is a large share of it.
_SHUFFLE_LIMIT = 16 * MAX_LISTED
_INT64_MAX = 2**63 - 1  # the largest space numpy's choice can draw from


def canonical_op(name: str) -> str:
    """Return the registry name of ``name`` (an ``OPS`` key or an alias), or raise ValueError."""
    if not isinstance(name, str):
        raise ValueError(f"an op must be a name such as 'conv3x3' (a string), but got {name!r}; "
                         f"choose from {sorted(OPS) + sorted(ALIASES)}")
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in OPS:
        allowed = sorted(OPS) + sorted(ALIASES)
        raise ValueError(f"unknown op {name!r}; choose from {allowed}")
    return key


@dataclass(frozen=True, order=True)
class Architecture:
    """An immutable, hashable chain of op names, one per layer (registry names, e.g. ``conv3x3``)."""

    ops: tuple[str, ...]

    def __post_init__(self) -> None:
        if isinstance(self.ops, str):
            raise ValueError(f"ops must be a tuple of op names, but got the string {self.ops!r}; "
                             f"write Architecture.parse({self.ops!r}) to parse a string")
        if not isinstance(self.ops, (tuple, list)):
            raise ValueError(f"ops must be a tuple of op names such as ('conv3x3', 'maxpool3x3'), "
                             f"but got {self.ops!r}")
        if not 1 <= len(self.ops) <= MAX_LAYERS:
            raise ValueError(f"an architecture needs 1 to {MAX_LAYERS} ops, "
                             f"but got {len(self.ops)}")
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
        return tuple(op for op in self.ops if not OPS[op].is_identity)

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
        check_integer("num_layers", self.num_layers, 1, MAX_LAYERS)
        if isinstance(self.ops, str) or not isinstance(self.ops, (tuple, list)):
            raise ValueError(f"ops must be a tuple of op names, e.g. ('conv3x3', 'maxpool3x3'), "
                             f"but got ops={self.ops!r}; choose from {sorted(OPS)}")
        if not isinstance(self.name, str):
            raise ValueError(f"name must be a string, but got name={self.name!r}")
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
        """Every architecture, in a fixed order (the ops' order, first layer varying slowest).
        A space of more than ``MAX_LISTED`` architectures raises ValueError: iterate over it, or
        ``sample`` from it, instead."""
        if self.size > MAX_LISTED:
            raise ValueError(f"space {self.name!r} has {self.size} architectures, more than the "
                             f"{MAX_LISTED} enumerate() may list; iterate over it or sample() it")
        return list(self)

    def __iter__(self) -> Iterator[Architecture]:
        for ops in itertools.product(self.ops, repeat=self.num_layers):
            yield Architecture(ops)

    def __len__(self) -> int:
        if self.size > sys.maxsize:
            raise OverflowError(f"space {self.name!r} has {self.size} architectures, more than "
                                f"len() can return; use .size")
        return self.size

    def __contains__(self, arch: object) -> bool:
        return (isinstance(arch, Architecture) and arch.num_layers == self.num_layers
                and all(op in self.ops for op in arch.ops))

    def validate(self, arch: Architecture | str) -> Architecture:
        """Return ``arch`` as an Architecture of this space, or raise ValueError saying why not."""
        arch = Architecture.parse(arch) if isinstance(arch, str) else arch
        if not isinstance(arch, Architecture):
            raise ValueError(f"expected an Architecture or a string such as "
                             f"'conv -> pool -> conv', but got {arch!r}")
        if arch.num_layers != self.num_layers:
            raise ValueError(f"architecture {arch.arrow()!r} has {arch.num_layers} layers, but "
                             f"space {self.name!r} has {self.num_layers}")
        foreign = [op for op in arch.ops if op not in self.ops]
        if foreign:
            raise ValueError(f"op {foreign[0]!r} of {arch.arrow()!r} is not in space "
                             f"{self.name!r}; choose from {list(self.ops)}")
        return arch

    def sample(self, n: int, seed: int) -> list[Architecture]:
        """``n`` distinct architectures drawn uniformly without replacement, reproducibly; ``n``
        is at most the space's size and ``MAX_LISTED``. The space is never listed: each drawn
        index is decoded into its architecture (``enumerate()[index]``).

        >>> get_space("convpool").sample(2, seed=0)
        [Architecture.parse('pool -> conv -> pool'), Architecture.parse('pool -> pool -> pool')]
        """
        most = min(self.size, MAX_LISTED)
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= most:
            raise ValueError(f"n must be an integer in [0, {most}], but got {n!r}")
        rng = np.random.default_rng(check_seed(seed))
        if self.size <= _SHUFFLE_LIMIT or (self.size <= _INT64_MAX and n <= self.size // 50):
            # The samples every earlier version drew. numpy may shuffle all the indices of a
            # space up to _SHUFFLE_LIMIT; beyond it, n is a small share and it draws by Floyd's
            # algorithm, in memory proportional to n.
            return [self.architecture_at(int(i)) for i in rng.choice(self.size, n, replace=False)]
        # n is at most a sixteenth of the space: draw ops layer by layer, redraw the rare repeats.
        drawn: dict[tuple[int, ...], None] = {}
        while len(drawn) < n:
            for digits in rng.integers(len(self.ops), size=(n - len(drawn), self.num_layers)):
                drawn.setdefault(tuple(digits.tolist()), None)
        return [Architecture(tuple(self.ops[digit] for digit in digits)) for digits in drawn]

    def architecture_at(self, index: int) -> Architecture:
        """The architecture at ``index`` of ``enumerate()``, found without enumerating: the
        index written in base ``len(ops)``, first layer first, gives each layer's op.

        >>> get_space("convpool").architecture_at(1)
        Architecture.parse('conv -> conv -> pool')
        """
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.size:
            raise ValueError(f"index must be an integer in [0, {self.size - 1}], "
                             f"but got index={index!r}")
        ops = []
        for _ in range(self.num_layers):
            index, digit = divmod(index, len(self.ops))
            ops.append(self.ops[digit])
        return Architecture(tuple(reversed(ops)))


SPACES: dict[str, SearchSpace] = {
    # The lessons' running example: 2 ops x 3 layers = 8 architectures, drawable and trainable.
    "convpool": SearchSpace(("conv3x3", "maxpool3x3"), 3, name="convpool"),
    # Five ops x four layers = 625 architectures: large enough for rank statistics to mean something.
    "five-op": SearchSpace(("conv3x3", "conv5x5", "maxpool3x3", "avgpool3x3", "skip"), 4,
                           name="five-op"),
    # Three ops x five layers = 243: no skip (no two architectures are one network), deeper,
    # and a flat top: a check that what holds on five-op is not an accident of five-op.
    "three-op": SearchSpace(("conv3x3", "conv5x5", "avgpool3x3"), 5, name="three-op"),
}


def get_space(name: str) -> SearchSpace:
    """One of the named spaces in ``SPACES``."""
    if name not in SPACES:
        raise ValueError(f"unknown space {name!r}; choose from {sorted(SPACES)}")
    return SPACES[name]
