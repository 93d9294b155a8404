"""What early stopping drives: a trainer advances runs epoch by epoch, on demand.

- ``ReplayTrainer(bench, seed)`` replays one seed of a ground-truth table: "training" a run to
  epoch e reads its first e recorded epochs (with a constant learning rate they *are* an e-epoch
  run), so a whole search takes milliseconds.
- ``LiveTrainer(data, protocol, seed=...)`` really trains, under a table's protocol in full.

Both offer what a pruning rule needs (``max_epochs`` and ``advance(arch, epoch)``, see
``nasedu.pruning``) and what an estimator reports: the ``cost`` of the runs so far, the
ground-truth ``seeds_read``, the ``replayed_seconds`` (seconds read from a table, measured on
the machine that built it) and the free architecture signal ``parameters(arch)``.

``distinct=True`` trains one run per stand-alone network (``run_of``, see
``Architecture.network``): ``conv -> skip -> pool`` and ``skip -> conv -> pool`` build the same
network and train identically, so one run serves both. ``fresh()`` gives a trainer with the
same settings and no runs yet: each search starts, and pays, from nothing.

>>> from nasedu.bench import load
>>> bench = load("convpool")
>>> trainer = ReplayTrainer(bench, seed=1)
>>> len(trainer.advance(bench.archs[0], 3)), sorted(trainer.seeds_read)
(3, [1])
"""
from __future__ import annotations

from typing import Callable, Hashable

from torch import nn

from .bench import Bench
from .cost import Cost
from .data import Dataset
from .protocol import Protocol
from .proxies import ParameterCount
from .seeds import check_seed
from .space import Architecture
from .train import Run


class ReplayTrainer:
    """Replays seed ``seed`` of the ground-truth table ``bench``. Cost charges each run the
    share of its recorded training it replayed (epoch-equivalents and the recorded seconds);
    the seed counts as read."""

    def __init__(self, bench: Bench, seed: int, *, distinct: bool = False) -> None:
        if not isinstance(bench, Bench):
            raise TypeError(f"bench must be a ground-truth table such as "
                            f"nasedu.bench.load('five-op'), but got bench={bench!r}")
        bench.curve(bench.archs[0], seed)  # fails clearly on a seed the table lacks
        self.bench = bench
        self.seed = seed
        self.distinct = distinct
        self.max_epochs = bench.protocol.train.epochs
        self.reached: dict[Architecture, int] = {}  # epochs replayed of each run so far

    def fresh(self) -> "ReplayTrainer":
        """A trainer with the same settings and nothing replayed yet."""
        return ReplayTrainer(self.bench, self.seed, distinct=self.distinct)

    def run_of(self, arch: Architecture) -> Hashable:
        """The run that trains ``arch``: its stand-alone network if ``distinct``, else itself."""
        return arch.network() if self.distinct else arch

    def advance(self, arch: Architecture, epoch: int) -> list[float]:
        self.reached[arch] = max(self.reached.get(arch, 0), min(epoch, self.max_epochs))
        return self.bench.curve(arch, self.seed).val_accuracy[:epoch]

    @property
    def cost(self) -> Cost:
        total = Cost()
        for arch, epochs in self.reached.items():
            full = self.bench.training_cost(arch, self.seed)
            total = total + Cost(full.epochs * epochs / self.max_epochs,
                                 full.seconds * epochs / self.max_epochs)
        return total

    @property
    def seeds_read(self) -> frozenset[int]:
        return frozenset([self.seed])

    @property
    def replayed_seconds(self) -> float:
        return self.cost.seconds  # every second of a replay was recorded elsewhere

    def parameters(self, arch: Architecture) -> int:
        """The parameter count of ``arch``'s network, as the table recorded it."""
        return self.bench.parameters(arch)


class LiveTrainer:
    """Really trains: one resumable ``Run`` per architecture, advanced on demand, on ``data``
    under ``protocol`` in full (its training config and its thread count) with seed ``seed``.

    From scratch (``start=None``), a run with a table's protocol and one of its seeds
    reproduces that seed's recorded curve (bit for bit on the same machine and thread count),
    so the seed counts as read: scoring against it would score the runs against themselves.
    ``start`` maps an architecture to the network to start from instead (e.g. a supernet's
    ``inherit``, weights no table recorded): such runs read no seed. Inherited weights differ
    between twins, so ``start`` and ``distinct=True`` do not go together.
    """

    def __init__(self, data: Dataset, protocol: Protocol, *, seed: int = 0,
                 start: Callable[[Architecture], nn.Module] | None = None,
                 distinct: bool = False) -> None:
        if not isinstance(data, Dataset):
            raise TypeError(f"data must be a Dataset, e.g. protocol_data(bench.protocol), but "
                            f"got data={data!r}")
        if not isinstance(protocol, Protocol):
            raise TypeError(f"protocol must be a Protocol (a table's is bench.protocol), but "
                            f"got protocol={protocol!r}")
        if start is not None and distinct:
            raise ValueError("distinct=True trains one run per stand-alone network, but runs "
                             "started from given networks (start=) differ between such twins: "
                             "give one or the other")
        self.data = data
        self.protocol = protocol
        self.seed = check_seed(seed)
        self.start = start
        self.distinct = distinct
        self.max_epochs = protocol.train.epochs
        self.runs: dict[Architecture, Run] = {}

    def fresh(self) -> "LiveTrainer":
        """A trainer with the same settings and no runs yet."""
        return LiveTrainer(self.data, self.protocol, seed=self.seed, start=self.start,
                           distinct=self.distinct)

    def run_of(self, arch: Architecture) -> Hashable:
        """The run that trains ``arch``: its stand-alone network if ``distinct``, else itself."""
        return arch.network() if self.distinct else arch

    def advance(self, arch: Architecture, epoch: int) -> list[float]:
        if arch not in self.runs:
            network = arch if self.start is None else self.start(arch)
            self.runs[arch] = Run(network, self.data, self.protocol.train, seed=self.seed)
        self.runs[arch].advance_to(epoch, threads=self.protocol.threads)
        return list(self.runs[arch].curve.val_accuracy)

    @property
    def cost(self) -> Cost:
        total = Cost()
        for run in self.runs.values():
            total = total + run.cost
        return total

    @property
    def seeds_read(self) -> frozenset[int]:
        return frozenset([self.seed]) if self.start is None else frozenset()

    @property
    def replayed_seconds(self) -> float:
        return 0.0  # every second was measured here

    def parameters(self, arch: Architecture) -> int:
        """The parameter count of ``arch``'s stand-alone network under the protocol."""
        proxy = ParameterCount(in_channels=self.data.input_channels,
                               channels=self.protocol.train.channels)
        return int(proxy.score(arch))
