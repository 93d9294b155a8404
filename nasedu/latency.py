"""Latency as a second objective: measured inference time, and the accuracy-latency front.

ProxylessNAS (Cai, Zhu & Han, "ProxylessNAS: Direct Neural Architecture Search on Target Task
and Hardware", ICLR 2019) searches for the most accurate network under a latency budget *on
the target device*, because counted operations predict time poorly: a pooling costs no
multiply-accumulates but takes time, and small tensors are bound by overheads, not arithmetic.
This module measures rather than counts.

A measurement: an architecture's freshly built ``ChildNet`` in eval mode, no gradients, one
CPU thread (the protocol of the ground-truth tables), a few warm-up passes, then the *median*
of ``repeats`` timed passes, for a batch of 1 (one request) and a larger batch (throughput).
Architectures that build the same network (``skip`` twins) are measured once. Timings depend
on the machine and on what else runs on it; the median resists the occasional slow pass.

Tables built before latency existed stay readable: ``with_latency`` returns a copy of a table
dict with a ``latency`` entry added, and ``table_latency`` reads it back (and says clearly when
a table has none).

>>> from nasedu.space import get_space
>>> space = get_space("convpool")
>>> times = space_latency(space, (1, 8, 8), repeats=3)
>>> sorted(times[space.enumerate()[0]])
[1, 64]
"""
from __future__ import annotations

import platform
import statistics
import time
from typing import Mapping, Sequence

import torch

from .checks import check_integer
from .devices import resolve_device
from .models import DEFAULT_CHANNELS, ChildNet
from .space import Architecture, SearchSpace
from .train import seeded, thread_count

BATCH_SIZES = (1, 64)   # one request, and the protocol's batch (throughput)
REPEATS = 20            # timed passes per batch size; the median is kept
WARMUP = 3              # untimed passes first (allocator, caches)


@torch.no_grad()
def measure_latency(model: torch.nn.Module, input_shape: Sequence[int], batch_size: int,
                    repeats: int = REPEATS, warmup: int = WARMUP) -> float:
    """Median wall seconds of one eval-mode forward pass of ``batch_size`` inputs of shape
    ``(C, H, W)`` through ``model``, over ``repeats`` timed passes after ``warmup``."""
    check_integer("batch_size", batch_size, 1)
    check_integer("repeats", repeats, 1)
    check_integer("warmup", warmup, 0)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    images = torch.randn(batch_size, *input_shape, device=device)
    times = []
    for index in range(warmup + repeats):
        started = time.perf_counter()
        model(images)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if index >= warmup:
            times.append(time.perf_counter() - started)
    model.train(was_training)
    return statistics.median(times)


def space_latency(space: SearchSpace | Sequence[Architecture], input_shape: Sequence[int],
                  *, num_classes: int = 10, channels: int = DEFAULT_CHANNELS,
                  batch_sizes: Sequence[int] = BATCH_SIZES, repeats: int = REPEATS,
                  threads: int = 1, device: str | torch.device = "cpu"
                  ) -> dict[Architecture, dict[int, float]]:
    """Measured latency (seconds) of every architecture of ``space`` (or of a list of
    architectures) for each batch size: ``{arch: {batch_size: seconds}}``. Each distinct
    network is measured once, with ``threads`` CPU threads, on ``device`` (CPU by default: the
    tables' protocol; ``"auto"`` picks a GPU)."""
    archs = space.enumerate() if isinstance(space, SearchSpace) else list(space)
    if not archs:
        raise ValueError("no architectures to measure; give a space or a non-empty list")
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), but got {tuple(input_shape)}")
    device = resolve_device(device)
    measured: dict[tuple[str, ...], dict[int, float]] = {}
    with thread_count(threads):
        for arch in archs:
            if arch.network() in measured:
                continue
            with seeded(0):
                net = ChildNet(arch, input_shape[0], num_classes, channels).to(device)
            measured[arch.network()] = {size: measure_latency(net, input_shape, size, repeats)
                                        for size in batch_sizes}
    return {arch: dict(measured[arch.network()]) for arch in archs}


def with_latency(table: dict, latencies: Mapping[Architecture, Mapping[int, float]], *,
                 threads: int = 1) -> dict:
    """A copy of a ground-truth table dict with a ``latency`` entry: per architecture (compact
    name) and batch size, the measured seconds, and the machine and ``threads`` (the thread
    count ``space_latency`` used) they were measured with. Every architecture of the table's
    runs must have a measurement."""
    runs = {run["arch"] for run in table["runs"]}
    by_name = {arch.compact(): {str(size): float(seconds) for size, seconds in times.items()}
               for arch, times in latencies.items()}
    missing = sorted(runs - set(by_name))
    if missing:
        raise ValueError(f"latency is missing for {len(missing)} architectures of the table, "
                         f"e.g. {missing[0]!r}")
    machine = f"{platform.machine()} {platform.processor() or platform.system()}".strip()
    return {**table, "latency": {"unit": "seconds", "statistic": "median",
                                 "machine": machine, "torch": torch.__version__,
                                 "threads": threads,
                                 "architectures": {name: by_name[name] for name in sorted(runs)}}}


def table_latency(table: dict) -> dict[Architecture, dict[int, float]]:
    """The latencies ``with_latency`` stored in a table dict (``bench.table``), or ValueError
    for a table built before latency was recorded."""
    if "latency" not in table:
        raise ValueError("this table records no latency (it was built before latency was "
                         "measured); measure it here with space_latency(bench.space, "
                         "bench.input_shape)")
    return {Architecture.parse(name): {int(size): seconds for size, seconds in times.items()}
            for name, times in table["latency"]["architectures"].items()}


def pareto_front(accuracy: Mapping[Architecture, float],
                 latency: Mapping[Architecture, float]) -> list[Architecture]:
    """The architectures no other is both faster and at least as accurate as (nor as fast and
    more accurate), fastest first: the accuracy-latency front."""
    front, best = [], -float("inf")
    for arch in sorted(accuracy, key=lambda a: (latency[a], -accuracy[a])):
        if accuracy[arch] > best:
            front.append(arch)
            best = accuracy[arch]
    return front


def best_under(scores: Mapping[Architecture, float], latency: Mapping[Architecture, float],
               budget: float) -> Architecture | None:
    """The highest-scoring architecture whose latency is within ``budget`` (None if none is):
    a search under a latency budget, ProxylessNAS's question."""
    allowed = [arch for arch in scores if latency[arch] <= budget]
    return max(allowed, key=scores.get) if allowed else None
