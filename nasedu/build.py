"""Building a ground-truth table: every architecture of a space trained from scratch, for
several seeds, whole curves recorded.

``build(...)`` (``python -m nasedu bench build``) runs in parallel (local processes or Ray),
resumably and crash-safely: each finished run is saved at once, atomically, and a build started
again with the same arguments skips the runs already saved. ``bench.load`` reads the result.
"""
from __future__ import annotations

import datetime
import gzip
import json
import logging
import os
import platform
import shutil
import socket
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, nullcontext
from multiprocessing import get_context
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import torch

from . import __version__
from .bench import FORMAT, SHIPPED
from .checks import check_integer
from .files import write_atomically
from .latency import space_latency, with_latency
from .models import count_macs, count_parameters
from .protocol import Protocol, protocol_data
from .space import Architecture, SearchSpace, get_space
from .train import progress_bar, train

BACKENDS = ("local", "ray")
RAY_RETRIES = 3  # times Ray reruns a run whose worker died (a Python error is not retried)


def run_one(arch: Architecture, seed: int, protocol: Protocol, device: str = "cpu") -> dict:
    """Train ``arch`` from scratch with ``seed`` under ``protocol``; the table's record of it."""
    data = protocol_data(protocol, device)
    result = train(arch, data, protocol.train, seed=seed, threads=protocol.threads)
    model = result.model.cpu()
    return {"arch": arch.compact(), "seed": seed, "curve": result.curve.to_dict(),
            "parameters": count_parameters(model),
            "macs": count_macs(model, data.input_shape),
            "cost_epochs": result.cost.epochs, "seconds": result.cost.seconds}


def _run_job(job: tuple[str, int, dict, str]) -> dict:
    compact, seed, protocol, device = job
    return run_one(Architecture.parse(compact), seed, Protocol.from_dict(protocol), device)


def _record_name(compact: str, seed: int) -> str:
    return f"{compact}_seed{seed}.json"


def _manifest(space: SearchSpace, seeds: Sequence[int], protocol: Protocol) -> dict:
    return {"format": FORMAT, "space": {"name": space.name, "ops": list(space.ops),
                                        "num_layers": space.num_layers},
            "seeds": list(seeds), "protocol": protocol.to_dict()}


def _finished_runs(partial: Path, manifest: dict) -> dict[tuple[str, int], dict]:
    """Records a previous, interrupted build left in ``partial``; checks it built the same."""
    manifest_file = partial / "manifest.json"
    if not manifest_file.exists():
        return {}
    previous = json.loads(manifest_file.read_text())
    if previous != manifest:
        raise ValueError(f"{partial} holds an interrupted build of another space, seed list or "
                         f"protocol ({previous['space']['name']}, seeds {previous['seeds']}); "
                         f"finish it with the same options or delete that folder")
    done = {}
    for record_file in partial.glob("*.json"):
        if record_file.name == "manifest.json":
            continue
        try:
            record = json.loads(record_file.read_text())
            key = (record["arch"], record["seed"])
        except (OSError, json.JSONDecodeError, KeyError, TypeError):
            record_file.unlink()  # not written by build (its writes are atomic): run it again
            continue
        done[key] = record
    return done


MAX_RUNS = 1_000_000  # architectures x seeds a build may hold; far beyond a laptop's nights


def check_build(space: SearchSpace, seeds: Sequence[int], workers: int, backend: str) -> None:
    """Raise ValueError, before any work, for a build that cannot fit: too many runs to hold,
    or more local worker processes than CPUs (each is a one-thread torch process)."""
    runs = space.size * len(seeds)
    if runs > MAX_RUNS:
        raise ValueError(f"space {space.name!r} has {space.size} architectures; with "
                         f"{len(seeds)} seed(s) that is {runs} runs, more than the {MAX_RUNS} a "
                         f"build can hold: choose fewer ops, layers or seeds")
    check_integer("workers", workers, 1)
    cpus = os.cpu_count() or 1
    if backend == "local" and workers > cpus:
        raise ValueError(f"workers must be at most the {cpus} CPUs of this machine (each worker "
                         f"is one single-thread process), but got {workers=}")


def build(space: SearchSpace | str, out: str | Path, *, seeds: Sequence[int] = (0, 1, 2),
          protocol: Protocol = Protocol(), workers: int = 1, device: str = "cpu",
          backend: str = "local", address: str | None = None, progress: bool = False) -> Path:
    """Train every architecture of ``space`` for every seed and write the table to ``out``.

    Each run is saved, atomically, into the folder ``OUT.partial`` the moment it finishes; a
    build that is killed (even with SIGKILL) and started again with the same arguments skips
    the runs already saved. The table itself is written atomically at the end and the
    folder removed. A run's result depends only on (architecture, seed, protocol), never on
    ``workers``, ``backend`` or the order in which runs finish.

    ``backend="local"`` runs ``workers`` processes on this machine; ``backend="ray"`` runs each
    (architecture, seed) as a Ray task asking for 1 CPU (or 1 GPU with ``device="cuda"``), on
    the cluster at ``address`` (``"auto"``, ``"HOST:6379"``, ``"ray://HOST:10001"``) or, without
    one, on a new local Ray instance of ``workers`` CPUs (a Ray already initialised in this
    process is used as it is). Raises ConnectionError, before writing anything, when
    ``address`` does not answer, and RuntimeError naming the runs that failed (those that
    finished stay saved for the next try).
    """
    space = get_space(space) if isinstance(space, str) else space
    if not isinstance(space, SearchSpace):
        raise TypeError(f"space must be a SearchSpace or a name from {sorted(SHIPPED)}, but got "
                        f"{type(space).__name__}")
    seeds = list(seeds)
    if (not seeds or len(set(seeds)) != len(seeds)
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)):
        raise ValueError(f"seeds must be a non-empty list of distinct non-negative integers, "
                         f"but got {seeds}")
    check_build(space, seeds, workers, backend)
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose from {list(BACKENDS)}")
    if backend == "local" and address is not None:
        raise ValueError(f"an address is for the Ray backend, but got {address=} with "
                         f"{backend=}")
    if backend == "ray" and device not in ("cpu", "cuda"):
        raise ValueError(f"with the Ray backend device must be 'cpu' or 'cuda' (Ray gives each "
                         f"run its own GPU), but got {device=}")
    # Fail on a bad dataset or device before any work; on Ray the GPUs are the cluster's.
    data = protocol_data(protocol, "cpu" if backend == "ray" else device)
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    manifest = _manifest(space, seeds, protocol)
    done = _finished_runs(partial, manifest)
    resumed = len(done)
    jobs = [(arch.compact(), seed, protocol.to_dict(), device)
            for arch in space.enumerate() for seed in seeds
            if (arch.compact(), seed) not in done]
    started = time.perf_counter()
    with _connected_ray(workers, address, device) if backend == "ray" else nullcontext() as ray:
        partial.mkdir(parents=True, exist_ok=True)
        write_atomically(partial / "manifest.json", json.dumps(manifest).encode())
        for record in _run_jobs(jobs, workers, progress, total=len(done) + len(jobs),
                                initial=len(done), ray=ray):
            write_atomically(partial / _record_name(record["arch"], record["seed"]),
                             json.dumps(record).encode())
            done[(record["arch"], record["seed"])] = record
    table = {**manifest, "runs": [done[(arch.compact(), seed)] for arch in space.enumerate()
                                  for seed in seeds],
             "built": {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                           timespec="seconds"),
                       "nasedu": __version__, "torch": torch.__version__,
                       "python": platform.python_version(), "machine": platform.machine(),
                       "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                       "device": device, "workers": workers, "backend": backend,
                       "resumed_runs": resumed,
                       "wall_seconds": round(time.perf_counter() - started, 1)}}
    # Inference latency here, once every run is in and no longer competes for the CPU.
    table = with_latency(table, space_latency(space, data.input_shape,
                                              num_classes=data.num_classes,
                                              channels=protocol.train.channels,
                                              threads=protocol.threads), threads=protocol.threads)
    write_atomically(out, gzip.compress(json.dumps(table).encode(), mtime=0))
    shutil.rmtree(partial)
    return out


def _run_jobs(jobs: list, workers: int, progress: bool, total: int, initial: int,
              ray=None) -> Iterable[dict]:
    """Each job's record as it finishes, on Ray when given its module, else in processes here."""
    records = _run_jobs_locally(jobs, workers) if ray is None else _run_jobs_on_ray(ray, jobs)
    with progress_bar(progress, total=total, initial=initial, unit="run",
                      desc="ground truth") as bar:
        for record in records:
            yield record
            bar.update()


def _run_jobs_locally(jobs: list, workers: int) -> Iterator[dict]:
    if workers == 1:
        for job in jobs:
            yield _run_job(job)
        return
    # Fresh interpreters ("spawn"): no inherited torch thread pools or generator state.
    with ProcessPoolExecutor(min(workers, max(1, len(jobs))), mp_context=get_context("spawn"),
                             initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
        with _main_script_not_rerun():
            futures = [pool.submit(_run_job, job) for job in jobs]
        for future in as_completed(futures):
            yield future.result()


def _exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """In a worker: exit as soon as the build process that started it is gone, so that a build
    killed with SIGKILL leaves no worker behind (the pool cannot tell them)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


@contextmanager
def _main_script_not_rerun() -> Iterator[None]:
    """While workers start, hide the main script from "spawn": it re-runs the parent's script
    in every worker (to find functions defined there), so a plain script calling ``build``
    without an ``if __name__ == "__main__":`` guard would build again in each worker and break
    the pool. The workers run ``_run_job`` from this module and need nothing of the script."""
    main = sys.modules["__main__"]
    spec, path = getattr(main, "__spec__", None), getattr(main, "__file__", None)
    main.__spec__ = None
    if path is not None:
        del main.__file__
    try:
        yield
    finally:
        main.__spec__ = spec
        if path is not None:
            main.__file__ = path


def _run_jobs_on_ray(ray, jobs: list) -> Iterator[dict]:
    """Each job a Ray task; records come back as tasks finish. Ray reruns a task whose worker
    died up to RAY_RETRIES times; the runs that still fail are named once the others are in."""
    task = ray.remote(max_retries=RAY_RETRIES)(_run_job)
    pending = {task.options(num_cpus=1, num_gpus=1 if job[3] == "cuda" else 0).remote(job): job
               for job in jobs}
    failed = []
    while pending:
        [ready], _ = ray.wait(list(pending), num_returns=1)
        compact, seed = pending.pop(ready)[:2]
        try:
            record = ray.get(ready)
        except ray.exceptions.RayError as error:
            failed.append(f"({compact!r}, seed {seed}): {str(error).strip().splitlines()[-1]}")
            continue
        yield record
    if failed:
        raise RuntimeError(f"{len(failed)} run(s) failed on Ray, the others are saved; build "
                           f"again to rerun them: " + "; ".join(failed))


@contextmanager
def _connected_ray(workers: int, address: str | None, device: str) -> Iterator:
    """The ``ray`` module, connected to ``address`` or to a new local instance of ``workers``
    CPUs, disconnected afterwards; a Ray this process already initialised is used as it is."""
    try:
        import ray
    except ImportError:
        raise ValueError('the Ray backend needs Ray: pip install "nasedu[cluster]"') from None
    connect = address is not None or not ray.is_initialized()
    if address is not None:
        _check_reachable(address)
        ray.init(address=address, logging_level=logging.ERROR)
    elif connect:
        ray.init(num_cpus=workers, include_dashboard=False, logging_level=logging.ERROR)
    try:
        # A task asking for a GPU that no node has would wait forever.
        if device == "cuda" and ray.cluster_resources().get("GPU", 0) < 1:
            raise ValueError("device 'cuda' asks each run for a GPU, but the Ray cluster has none")
        yield ray
    finally:
        if connect:
            ray.shutdown()


def _check_reachable(address: str) -> None:
    """Raise ConnectionError unless something answers at ``address``: ``ray.init`` itself waits
    minutes there, then ends the interpreter."""
    if address == "auto":  # ray.init finds the local cluster, or says at once that there is none
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except (OSError, ValueError) as error:
        raise ConnectionError(f"no Ray cluster answers at {address!r} ({error}); give "
                              f"'auto', 'HOST:PORT' or 'ray://HOST:10001' of a running cluster "
                              f"(`ray start --head` on its head node)") from None
