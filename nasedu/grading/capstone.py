"""The capstone: an estimator of the student's own design, graded on seeds it cannot read.

The student's code reads seed ``READABLE_SEED`` of the ``TABLE`` ground truth through a
``SeedView`` (:mod:`.view`), which charges every epoch it replays, up to ``BUDGET`` of
exhaustive training; anything else it computes live (proxies, a supernet) within the task's
time limit. The check cell hands over one score per architecture. The grader, outside the
student's kernel, ranks those scores against the mean of the other seeds by Kendall tau and
gives points along a published scale whose anchors are computed from the table
(:func:`compute_scale`): the strongest data-free zero-cost proxy, weight sharing at its
defaults, and the noise ceiling (training every architecture once on the readable seed).

When grading, the reads are counted by the grader (:mod:`.meter`) and, under ``--sandbox``,
the package's tables are hidden from the kernel, so the unread seeds are out of its reach.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from .meter import Ledger

if TYPE_CHECKING:
    from ..bench import Bench

TABLE = "five-op"
READABLE_SEED = 0
BUDGET = 0.2        # replayed training of the readable seed, a share of exhaustive training
POINTS = 6.0        # the capstone's points
VALID_POINTS = 1.0  # a finite score for every architecture, read within the budget
PROXY_POINTS = 1.0  # Kendall tau above the strongest data-free zero-cost proxy's
SHARING_POINTS = 1.0  # Kendall tau above weight sharing's at the library's defaults
TARGET = 0.5        # the rest rises linearly up to this share of the way from weight sharing
                    # to the noise ceiling


@dataclass(frozen=True)
class Scale:
    """The anchors of the capstone's scale, Kendall taus against the mean of ``truth``."""

    truth: tuple[int, ...]  # the seeds scores are ranked against (never readable)
    proxy: str              # the strongest data-free zero-cost proxy
    proxy_tau: float
    sharing_tau: float      # weight sharing at the library's defaults
    ceiling_tau: float      # every architecture trained once, on the readable seed

    @property
    def target_tau(self) -> float:
        return self.sharing_tau + TARGET * (self.ceiling_tau - self.sharing_tau)

    def points(self, tau: float) -> float:
        """The points of a valid entry whose scores reach Kendall tau ``tau``."""
        if not math.isfinite(tau):  # constant scores rank nothing
            return VALID_POINTS
        points = VALID_POINTS + PROXY_POINTS * (tau > self.proxy_tau)
        if tau > self.sharing_tau:
            rest = POINTS - VALID_POINTS - PROXY_POINTS - SHARING_POINTS
            span = max(self.target_tau - self.sharing_tau, 1e-9)
            points += SHARING_POINTS + rest * min(1.0, (tau - self.sharing_tau) / span)
        return round(points, 2)

    def text(self) -> str:
        """The scale as a table to print for the class."""
        steps = [(f"above the strongest data-free zero-cost proxy ({self.proxy})",
                  self.proxy_tau,
                  VALID_POINTS + PROXY_POINTS),
                 ("above weight sharing at the library's defaults", self.sharing_tau,
                  VALID_POINTS + PROXY_POINTS + SHARING_POINTS),
                 (f"{TARGET:.0%} of the way on to the noise ceiling ({self.ceiling_tau:.3f})",
                  self.target_tau, POINTS)]
        lines = [f"Kendall tau against the mean of seeds {list(self.truth)}, which your code "
                 f"never reads:",
                 f"  {VALID_POINTS:g} point for a finite score for every architecture",
                 *(f"  {points:g} points {label}: tau > {tau:.3f}" for label, tau, points in steps),
                 "  in between the last two, points rise linearly with tau"]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "Scale":
        return cls(**{**values, "truth": tuple(values["truth"])})


def truth_of(bench: "Bench") -> tuple[int, ...]:
    return tuple(seed for seed in bench.seeds if seed != READABLE_SEED)


def compute_scale(bench: "Bench") -> Scale:
    """The anchors, from the table and seconds of computing on the table's thread count (so
    that a notebook and the grader on one machine find the same ones): the data-free zero-cost
    proxies (the parameter and multiply-accumulate counts the table recorded, the conv count,
    synflow at its defaults), weight sharing at its defaults, and the noise ceiling. The
    proxies that need a minibatch are left out for their cost: on five-op, when this scale was
    set, snip, grad_norm and NASWOT ranked below synflow (Kendall tau 0.57, 0.54 and 0.51
    against 0.67) and took several times as long."""
    from ..estimates import Estimates
    from ..estimators import WeightSharing
    from ..protocol import protocol_data
    from ..proxies import ConvCount
    from ..train import thread_count
    from ..zero_cost import Synflow

    truth, data = truth_of(bench), protocol_data(bench.protocol)
    with thread_count(bench.protocol.threads):
        proxies = {"parameter count": {arch: bench.parameters(arch) for arch in bench.archs},
                   "multiply-accumulates": {arch: bench.macs(arch) for arch in bench.archs},
                   "number of conv ops": ConvCount().estimate(bench.archs).scores,
                   "synflow": Synflow(data).estimate(bench.archs).scores}
        estimates = WeightSharing(bench.space, data, seed=0).estimate(bench.archs)
    taus = {name: bench.score(Estimates(scores), truth).kendall_tau
            for name, scores in proxies.items()}
    proxy = max(taus, key=taus.get)
    return Scale(truth, proxy, taus[proxy], bench.score(estimates, truth).kendall_tau,
                 bench.noise_ceiling(truth).kendall_tau)


def ledger_for(bench: "Bench", scale: Scale | None = None) -> Ledger:
    """A fresh ledger of the readable seed, with what a view shows for free."""
    archs = bench.archs
    info = {"table": TABLE, "space": bench.space.name, "ops": list(bench.space.ops),
            "num_layers": bench.space.num_layers, "protocol": bench.protocol.to_dict(),
            "seed": READABLE_SEED,
            "parameters": {arch.compact(): bench.parameters(arch) for arch in archs}}
    if scale is not None:
        info["scale"] = scale.to_dict()
    run_cost = {arch.compact(): bench.training_cost(arch, READABLE_SEED).epochs
                for arch in archs}
    return Ledger({arch.compact(): bench.curve(arch, READABLE_SEED).val_accuracy
                   for arch in archs}, run_cost, BUDGET * sum(run_cost.values()), info)


def tables_folder() -> Path:
    """The package's tables, which a sandboxed capstone kernel does not see."""
    return Path(str(resources.files("nasedu") / "tables")).resolve()


@dataclass
class Capstone:
    """What the grader prepares once, before any student code runs."""

    bench: "Bench"
    scale: Scale

    @classmethod
    def prepare(cls) -> "Capstone":
        from ..bench import load
        bench = load(TABLE)
        return cls(bench, compute_scale(bench))

    def ledger(self) -> Ledger:
        return ledger_for(self.bench, self.scale)

    @property
    def hidden(self) -> Path:
        """What a sandboxed kernel must not see: every seed of every shipped table."""
        return tables_folder()

    def verdict(self, values: dict, ledger: Ledger) -> tuple[float, str]:
        """The share of the task's points the scores a check handed over (``{"scores":
        {compact arch: score}}``) earn, ranked here against the truth, and why not all."""
        from ..metrics import kendall_tau
        scores = values.get("scores") if list(values) == ["scores"] else None
        if not isinstance(scores, dict):
            return 0.0, "the check must hand over {'scores': {architecture: score}}"
        names = [arch.compact() for arch in self.bench.archs]
        missing = [name for name in names if name not in scores]
        if missing or len(scores) != len(names):
            return 0.0, (f"scores must name each of the {len(names)} architectures once, "
                         f"in compact form; {len(missing)} are missing")
        numbers = [scores[name] for name in names]
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in numbers):
            return 0.0, "every score must be a number"
        tau = kendall_tau(numbers, self.bench.finals(self.scale.truth))
        points = self.scale.points(tau)
        if points >= POINTS:
            return 1.0, ""
        read = ledger.charged / ledger.info["exhaustive"]
        return points / POINTS, (f"Kendall tau {tau:.3f} on seeds {list(self.scale.truth)} after "
                        f"reading {read:.1%} of exhaustive training: {points:g} of "
                        f"{POINTS:g} points (full from {self.scale.target_tau:.3f})")
