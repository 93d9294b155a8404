"""Seconds measured on this machine: what training every architecture once costs here, and
how a replayed strategy's recorded seconds translate.

A ground-truth table records the seconds of every run on the machine that built it. A
comparison measures every seconds figure here, in one run: ``measure_timing`` trains a few
stand-alone runs of the table's protocol, and ``seconds_here`` rescales a replayed strategy's
recorded seconds by the ratio of this machine's time to the recorded time of the same runs.

>>> from nasedu.estimates import Estimates
>>> seconds_here(Estimates({}, Cost(epochs=3, seconds=10.0), replayed_seconds=8.0), speed=0.5)
6.0
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bench import Bench
from .build import run_one
from .cost import Cost
from .estimates import Estimates

MAX_TIMING_RUNS = 100  # stand-alone runs measure_timing may train


@dataclass(frozen=True)
class Timing:
    """Training every architecture once, measured here: ``exhaustive`` (epoch-equivalents from
    the protocol, seconds timed on a few runs and scaled to the space) and ``speed``, this
    machine's seconds per second the table recorded for the same runs."""

    exhaustive: Cost
    speed: float


def measure_timing(bench: Bench, runs: int, seed: int = 0) -> Timing:
    """Time ``runs`` sampled stand-alone trainings of the table's protocol here."""
    archs = bench.space.sample(runs, seed=seed)
    here = [run_one(arch, bench.seeds[0], bench.protocol)["seconds"] for arch in archs]
    recorded = [bench.training_cost(arch, bench.seeds[0]).seconds for arch in archs]
    return Timing(Cost(bench.training_cost(archs[0]).epochs * len(bench.archs),
                       float(np.mean(here)) * len(bench.archs)),
                  float(np.sum(here) / np.sum(recorded)))


def seconds_here(estimates: Estimates, speed: float) -> float:
    """``estimates``' seconds on this machine: its recorded part rescaled by ``speed``."""
    return estimates.cost.seconds + (speed - 1) * estimates.replayed_seconds
