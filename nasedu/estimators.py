"""The estimators that train: weight sharing, early stopping and their combination.

Each fits the one shape of ``nasedu.estimates``: ``estimate(archs) -> Estimates``.
"""
from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
from torch import nn

from .cost import Cost
from .data import Dataset
from .estimates import Estimates, Estimator
from .curves import rank_observed
from .proxies import ParameterCount
from .pruning import Rule, SuccessiveHalving
from .sharing import SupernetConfig, evaluate_all, train_supernet, tree_work_fraction
from .space import Architecture, SearchSpace
from .protocol import Protocol, protocol_data
from .train import Run

if TYPE_CHECKING:
    from .bench import Bench


class WeightSharing(Estimator):
    """Train one supernet, then score each architecture by the validation loss (negated) or
    accuracy (``config.score``) of its inherited weights after BN recalibration (see
    ``nasedu.sharing``).

    The supernet trains for ``config.budget`` of exhaustive training of the candidates asked
    for (``SupernetConfig.training_epochs``). Cost is that training plus the evaluation: each
    candidate's recalibration and validation passes (forward-only, one third), scaled by the
    share of multiply-accumulates the prefix tree actually computes (see
    ``tree_work_fraction``). After ``estimate``, ``supernet_`` holds the trained supernet.
    """

    name = "weight sharing"

    def __init__(self, space: SearchSpace, data: Dataset,
                 config: SupernetConfig = SupernetConfig(), *, seed: int = 0,
                 progress: bool = False) -> None:
        self.space = space
        self.data = data
        self.config = config
        self.seed = seed
        self.progress = progress

    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        if len(archs) == 0:
            raise ValueError("archs is empty; give at least one architecture to estimate")
        epochs = self.config.training_epochs(len(dict.fromkeys(archs)), self.data)
        supernet, training_cost = train_supernet(self.space, self.data, epochs, self.config,
                                                 seed=self.seed, progress=self.progress)
        started = time.perf_counter()
        scores = evaluate_all(supernet, archs, self.data, self.config, seed=self.seed)
        seconds = time.perf_counter() - started
        recalibrated = min(self.config.recalibration_size, len(self.data.x_train))
        share = tree_work_fraction(supernet, list(scores), tuple(self.data.x_val.shape[2:]))
        evaluation_cost = Cost.of_examples(
            trained=0, evaluated=share * len(scores) * (recalibrated + len(self.data.x_val)),
            train_size=len(self.data.x_train), seconds=seconds)
        self.supernet_ = supernet
        return Estimates(scores, training_cost + evaluation_cost)


class ReplayTrainer:
    """Replays one seed of a ground-truth table: "training" a run to epoch e reads its first e
    recorded epochs. Cost charges each run the share of its recorded training it replayed."""

    def __init__(self, bench: "Bench", seed: int) -> None:
        bench.curve(bench.archs[0], seed)  # fails clearly on a seed the table lacks
        self.bench = bench
        self.seed = seed
        self.max_epochs = bench.protocol.train.epochs
        self.reached: dict[Architecture, int] = {}

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


class LiveTrainer:
    """Really trains: one resumable ``Run`` per architecture, advanced on demand, under
    ``protocol`` in full (its training config and its thread count), so that a run from
    scratch with one of a table's seeds reproduces that seed's recorded curve."""

    def __init__(self, data: Dataset, protocol: Protocol, seed: int = 0,
                 model_for: "Callable[[Architecture], nn.Module] | None" = None) -> None:
        self.data = data
        self.protocol = protocol
        self.seed = seed
        self.model_for = model_for  # a starting network per architecture; None: from scratch
        self.max_epochs = protocol.train.epochs
        self.runs: dict[Architecture, Run] = {}

    def advance(self, arch: Architecture, epoch: int) -> list[float]:
        if arch not in self.runs:
            start = arch if self.model_for is None else self.model_for(arch)
            self.runs[arch] = Run(start, self.data, self.protocol.train, seed=self.seed)
        self.runs[arch].advance_to(epoch, threads=self.protocol.threads)
        return list(self.runs[arch].curve.val_accuracy)

    @property
    def cost(self) -> Cost:
        total = Cost()
        for run in self.runs.values():
            total = total + run.cost
        return total


class EarlyStopping(Estimator):
    """Run a pruning rule (successive halving, 1 epoch, reduction 3, by default) over the
    candidates and rank them by what it observed together with what each architecture says for
    free: runs trained longer first, and among runs trained equally long the ``zscore_sum`` of
    their recent mean accuracy and log parameter count (``nasedu.curves.rank_observed``).

    ``mode="replay"`` replays seed ``seed`` of the ground-truth table ``bench`` (a whole
    search in milliseconds); ``mode="live"`` really trains under ``protocol`` (default: the
    protocol of ``bench`` if given, else ``Protocol()``) on ``data`` (default: the protocol's
    data). Both drive the same rule code. Sequential rules meet the candidates in an order
    shuffled by ``seed``.

    Either way seed ``seed`` counts as read: a replay reads it, and a live run from scratch
    with a table's protocol and seed reproduces it (bit for bit on the same machine and
    thread count), so scoring it against that seed would score it against its own runs. Only
    runs that start from given weights (``model_for``, as the combined search's inherited
    start) read nothing.

    ``distinct=True`` trains one architecture per stand-alone network
    (``Architecture.network``): ``conv -> skip -> pool`` and ``skip -> conv -> pool`` are
    the same network, so the rule runs on the first of each in that order, the others get
    its curve and score, and only what was trained is charged.
    """

    name = "early stopping"

    def __init__(self, rule: Rule = SuccessiveHalving(), *, mode: str = "replay",
                 bench: "Bench | None" = None,
                 data: Dataset | None = None, protocol: Protocol | None = None,
                 seed: int = 0, distinct: bool = False) -> None:
        if mode not in ("replay", "live"):
            raise ValueError(f"unknown mode {mode!r}; choose from ['replay', 'live']")
        if mode == "replay" and bench is None:
            raise ValueError("replay mode needs a ground-truth table: pass bench=load(...)")
        if mode == "replay" and protocol is not None:
            raise ValueError("replay mode follows the table's protocol; pass protocol= only "
                             "with mode='live'")
        self.rule = rule
        self.mode = mode
        self.bench = bench
        self.data = data
        self.protocol = protocol
        self.seed = seed
        self.distinct = distinct
        self.model_for: Callable[[Architecture], nn.Module] | None = None  # live: start from

    def live_protocol(self) -> Protocol:
        """The protocol live runs follow."""
        if self.protocol is not None:
            return self.protocol
        return self.bench.protocol if self.bench is not None else Protocol()

    def trainer(self) -> "ReplayTrainer | LiveTrainer":
        if self.mode == "replay":
            return ReplayTrainer(self.bench, self.seed)
        return LiveTrainer(self.trainer_data(), self.live_protocol(), self.seed, self.model_for)

    def log_parameters(self, archs: Sequence[Architecture]) -> dict[Architecture, float]:
        """The free architecture signal: log parameter count of each stand-alone network (the
        table's records in replay, counted on the protocol's networks live)."""
        if self.mode == "replay":
            return {arch: math.log(self.bench.parameters(arch)) for arch in archs}
        proxy = ParameterCount(in_channels=self.trainer_data().input_channels,
                               channels=self.live_protocol().train.channels)
        return {arch: math.log(proxy.score(arch)) for arch in archs}

    def trainer_data(self) -> Dataset:
        """The data live runs train on."""
        return self.data if self.data is not None else protocol_data(self.live_protocol())

    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        if len(archs) == 0:
            raise ValueError("archs is empty; give at least one architecture to estimate")
        order = list(archs)
        np.random.default_rng(self.seed).shuffle(order)
        trainer = self.trainer()
        run_of: dict = {}  # one run per network (distinct) or per architecture
        first = {arch: run_of.setdefault(arch.network() if self.distinct else arch, arch)
                 for arch in order}
        observed = self.rule.run(list(run_of.values()), trainer)
        self.observed_ = {arch: observed[first[arch]] for arch in order}
        scores = rank_observed(self.observed_, self.log_parameters(order))
        from_scratch = self.mode == "replay" or self.model_for is None
        read = frozenset([self.seed]) if from_scratch else frozenset()
        # Replay charges the recorded cost of the epochs it read, not the replay's own time.
        return Estimates({arch: scores[arch] for arch in archs}, trainer.cost, read,
                         replayed_seconds=trainer.cost.seconds if self.mode == "replay"
                         else 0.0)


COMBINED_TOP_FRACTION = 0.3  # chosen on five-op before any other table was run (README)


class Combined(Estimator):
    """Weight sharing shortlists, early stopping and the supernet decide together.

    1. ``WeightSharing`` scores every candidate with inherited weights.
    2. The best ``top_fraction`` of them go to an ``EarlyStopping`` search with ``rule``
       (successive halving by default), trained from scratch (``start="scratch"``, live under
       ``protocol``, or replayed from a ground-truth seed) or from their inherited weights
       (``start="inherited"``, live only); ``distinct=True`` trains each stand-alone network
       among them once (see ``EarlyStopping``).
    3. Shortlisted candidates rank above the rest, runs trained longer first, and among runs
       trained equally long by the ``zscore_sum`` of the supernet's score and the recent mean
       of the partial curve: the second stage adds its evidence to the supernet's instead of
       replacing it. The rest keep their supernet order.

    The shortlist (30% by default) is larger than the top 10% the metrics look at, so that the
    second stage decides which candidates form the top; a 10% shortlist could only reorder the
    supernet's own top 10%. Composed from the two estimators: its cost is theirs added up.
    """

    name = "combined"

    def __init__(self, weight_sharing: WeightSharing, rule: Rule = SuccessiveHalving(), *,
                 top_fraction: float = COMBINED_TOP_FRACTION, start: str = "scratch",
                 mode: str = "live", bench: "Bench | None" = None,
                 protocol: Protocol | None = None, seed: int = 0,
                 distinct: bool = False) -> None:
        if (isinstance(top_fraction, bool) or not isinstance(top_fraction, (int, float))
                or not 0 < top_fraction <= 1):
            raise ValueError(f"top_fraction must be in (0, 1], but got {top_fraction=}")
        if start not in ("scratch", "inherited"):
            raise ValueError(f"unknown start {start!r}; choose from ['scratch', 'inherited']")
        if start == "inherited" and distinct:
            raise ValueError("distinct=True trains one path per stand-alone network, but "
                             "inherited weights differ between such paths: use start='scratch'")
        if start == "inherited" and mode != "live":
            raise ValueError("start='inherited' trains inherited weights, which no table "
                             "recorded: use mode='live'")
        self.weight_sharing = weight_sharing
        self.early_stopping = EarlyStopping(rule, mode=mode, bench=bench,
                                            data=weight_sharing.data, protocol=protocol,
                                            seed=seed, distinct=distinct)
        self.top_fraction = top_fraction
        self.start = start

    def estimate(self, archs: Sequence[Architecture]) -> Estimates:
        first = self.weight_sharing.estimate(archs)
        keep = max(1, math.ceil(self.top_fraction * len(first.scores)))
        shortlist = sorted(first.scores, key=lambda arch: -first.scores[arch])[:keep]
        if self.start == "inherited":
            supernet = self.weight_sharing.supernet_
            self.early_stopping.model_for = supernet.inherit
        second = self.early_stopping.estimate(shortlist)
        together = rank_observed(self.early_stopping.observed_, first.scores)
        # Stage-two scores (epochs reached plus a number in (0, 1), so at least 1) plus one sit
        # above every supernet score (an accuracy or a negated loss, at most 1).
        scores = {arch: 1.0 + together[arch] if arch in together else first.scores[arch]
                  for arch in first.scores}
        self.shortlist_ = shortlist
        return Estimates(scores, first.cost + second.cost,
                         first.seeds_read | second.seeds_read,
                         first.replayed_seconds + second.replayed_seconds)
