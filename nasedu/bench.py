"""Ground truth: every architecture of a space trained from scratch, several seeds, whole curves.

A table is data, not code. ``load("five-op")`` reads the one shipped inside the package in
milliseconds; ``nasedu.build`` (``python -m nasedu bench build``) regenerates it from scratch.
Scoring estimates against it lives in ``nasedu.scoring`` (``Bench.score`` calls it).

"Final" accuracy is the mean validation accuracy of the last ``final_epochs`` epochs (the last
half of the default 12), averaged over the seeds asked for. With a constant learning rate, the
accuracy of one epoch on a few hundred validation images jitters by a point or two around a
plateau; averaging the plateau removes most of that noise without training longer, and it
raised the seed-to-seed agreement of the table (its noise ceiling) well above what the
parameter count alone predicts (see the README's "Ground truth").

>>> bench = load("convpool")
>>> len(bench.archs), bench.seeds
(8, (0, 1, 2))
"""
from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path
from typing import Iterable

import numpy as np

from .cost import Cost
from .data import INPUT_SHAPES
from .estimates import Estimates
from .protocol import Protocol
from .scoring import Score, noise_ceiling, score
from .space import Architecture, SearchSpace, get_space
from .learning_curve import LearningCurve, final_accuracy

FORMAT = "nasedu-bench/1"


class Bench:
    """A ground-truth table: query curves and finals, measure noise, score estimates."""

    def __init__(self, table: dict, source: str = "<table>") -> None:
        self.source = source
        self.table = table
        self.space = SearchSpace(tuple(table["space"]["ops"]), table["space"]["num_layers"],
                                 name=table["space"]["name"])
        self.protocol = Protocol.from_dict(table["protocol"])
        self.seeds = tuple(table["seeds"])
        self.archs = self.space.enumerate()
        self._index = {arch: i for i, arch in enumerate(self.archs)}
        self._runs = {(Architecture.parse(r["arch"]), r["seed"]): r for r in table["runs"]}
        missing = [(a.compact(), s) for a in self.archs for s in self.seeds
                   if (a, s) not in self._runs]
        if missing:
            raise ValueError(f"{source}: table is incomplete: {len(missing)} runs missing, "
                             f"e.g. {missing[0]}")
        tail = self.protocol.final_epochs
        # (architectures, seeds) array of final validation accuracies.
        self._finals = np.array([[final_accuracy(self._runs[(a, s)]["curve"]["val_accuracy"], tail)
                                  for s in self.seeds] for a in self.archs])

    def _record(self, arch: Architecture | str, seed: int) -> dict:
        arch = self.space.validate(arch)
        if seed not in self.seeds:
            raise ValueError(f"seed {seed!r} is not in {self.source}; it has seeds {self.seeds}")
        return self._runs[(arch, seed)]

    def curve(self, arch: Architecture | str, seed: int) -> LearningCurve:
        """The recorded learning curve of ``arch`` trained with ``seed``."""
        return LearningCurve.from_dict(self._record(arch, seed)["curve"])

    def parameters(self, arch: Architecture | str) -> int:
        return self._record(arch, self.seeds[0])["parameters"]

    def macs(self, arch: Architecture | str) -> int:
        return self._record(arch, self.seeds[0])["macs"]

    def _seed_columns(self, seeds: Iterable[int] | None) -> list[int]:
        seeds = self.seeds if seeds is None else tuple(seeds)
        unknown = [s for s in seeds if s not in self.seeds]
        if unknown or not seeds:
            raise ValueError(f"seeds {list(seeds)} are not a non-empty subset of "
                             f"{self.source}'s seeds {list(self.seeds)}")
        return [self.seeds.index(s) for s in seeds]

    def finals(self, seeds: Iterable[int] | None = None) -> np.ndarray:
        """(num_archs,) final accuracies in ``archs`` order, averaged over ``seeds`` (all)."""
        return self._finals[:, self._seed_columns(seeds)].mean(axis=1)

    def final(self, arch: Architecture | str, seeds: Iterable[int] | None = None) -> float:
        """Mean over ``seeds`` (default all) of the mean validation accuracy of the last
        ``protocol.final_epochs`` epochs."""
        arch = self.space.validate(arch)
        return float(self.finals(seeds)[self._index[arch]])

    def training_cost(self, arch: Architecture | str, seed: int | None = None) -> Cost:
        """What training ``arch`` once cost (seconds averaged over seeds unless one is named)."""
        records = [self._record(arch, s) for s in ([seed] if seed is not None else self.seeds)]
        return Cost(records[0]["cost_epochs"], float(np.mean([r["seconds"] for r in records])))

    def exhaustive_cost(self) -> Cost:
        """Training every architecture of the space once, with one seed (averaged over seeds)."""
        total = Cost()
        for arch in self.archs:
            total = total + self.training_cost(arch)
        return total

    def index(self, arch: Architecture | str) -> int:
        """The position of ``arch`` in ``archs`` (and in ``finals()``)."""
        return self._index[self.space.validate(arch)]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of the images the table's networks were trained on."""
        return INPUT_SHAPES[self.protocol.dataset]

    def score(self, estimates: Estimates, truth: Iterable[int] | None = None) -> Score:
        """``scoring.score`` on this table: ``estimates`` against the mean of ``truth``
        (default: every seed it never read)."""
        return score(self, estimates, truth=truth)

    def noise_ceiling(self, truth: Iterable[int] | None = None) -> Score:
        """``scoring.noise_ceiling`` on this table: how well training every architecture once
        ranks them, scored like any row."""
        return noise_ceiling(self, truth=truth)


SHIPPED = {"convpool": "convpool.json.gz", "five-op": "five-op.json.gz",
           "three-op": "three-op.json.gz"}


def load(name_or_path: str | Path, *, space: SearchSpace | str | None = None,
         protocol: Protocol | None = None) -> Bench:
    """A shipped table by space name (``"convpool"``, ``"five-op"``) or a table file's path.

    Raises ValueError naming the file when it is missing, corrupt or incomplete, or when it
    was built with another ``space`` or ``protocol`` than the ones given.
    """
    if not isinstance(name_or_path, (str, Path)) or not str(name_or_path):
        raise TypeError(f"name_or_path must be a shipped table's name {sorted(SHIPPED)} or a "
                        f"table file's path, but got {name_or_path!r}")
    if str(name_or_path) in SHIPPED:
        path = resources.files("nasedu") / "tables" / SHIPPED[str(name_or_path)]
    else:
        path = Path(name_or_path)
        if not path.exists():
            raise ValueError(f"no table file {str(path)!r}; give a path or one of the shipped "
                             f"tables {sorted(SHIPPED)}")
    try:
        table = json.loads(gzip.decompress(path.read_bytes()))
        if not isinstance(table, dict):
            raise TypeError(f"it holds a JSON {type(table).__name__}, not a table object")
        if table.get("format") != FORMAT:
            raise ValueError(f"{path} is not a readable nasedu table (format is "
                             f"{table.get('format')!r}, expected {FORMAT!r})")
        bench = Bench(table, source=str(path))
    except (OSError, EOFError, json.JSONDecodeError, KeyError, TypeError,
            AttributeError, IndexError) as error:
        raise ValueError(f"{path} is not a readable nasedu table ({type(error).__name__}: "
                         f"{error}); rebuild it with `python -m nasedu bench build`") from None
    if space is not None:
        space = get_space(space) if isinstance(space, str) else space
        if (bench.space.ops, bench.space.num_layers) != (space.ops, space.num_layers):
            raise ValueError(f"{path} was built for space {bench.space.name!r} "
                             f"({bench.space.size} architectures), not {space.name!r}")
    if protocol is not None and bench.protocol != protocol:
        raise ValueError(f"{path} was built with protocol {bench.protocol}, not {protocol}")
    return bench
