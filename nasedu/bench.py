"""Ground truth: every architecture of a space trained from scratch, several seeds, whole curves.

A table is data, not code. ``load("five-op")`` reads the one shipped inside the package in
milliseconds; ``build(...)`` (``python -m nasedu bench build``) regenerates it from scratch, in
parallel, resumably and crash-safely.

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
from dataclasses import dataclass
from importlib import resources
from multiprocessing import get_context
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import torch

from . import __version__
from .checks import check_integer
from .cost import Cost
from .estimators import ZERO_COST_PROXIES, Estimates
from .files import write_atomically
from .metrics import kendall_tau, spearman, top_k_indices, top_k_precision
from .models import count_macs, count_parameters
from .protocol import Protocol, protocol_data
from .space import Architecture, SearchSpace, get_space
from .train import LearningCurve, progress_bar, train

FORMAT = "nasedu-bench/1"
TOP_FRACTION = 0.1
BACKENDS = ("local", "ray")
RAY_RETRIES = 3  # times Ray reruns a run whose worker died (a Python error is not retried)


def run_one(arch: Architecture, seed: int, protocol: Protocol, device: str = "cpu") -> dict:
    """Train ``arch`` from scratch with ``seed`` under ``protocol``; the table's record of it."""
    data = protocol_data(protocol, device)
    result = train(arch, data, protocol.train, seed=seed, threads=protocol.threads)
    model = result.model.cpu()
    return {"arch": arch.compact(), "seed": seed, "curve": result.curve.to_dict(),
            "parameters": count_parameters(model),
            "macs": count_macs(model, tuple(data.x_train.shape[1:])),
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
    protocol_data(protocol, "cpu" if backend == "ray" else device)
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


@dataclass(frozen=True)
class Score:
    """How well one set of estimates ranks architectures against the ground truth."""

    kendall_tau: float      # tau-b over every scored architecture
    spearman: float         # rho over every scored architecture
    top_kendall_tau: float  # tau-b within the true top 10% of the scored architectures
    top_precision: float    # share of the estimated top 10% in the true top 10%
    regret: float           # accuracy points between the space's best and the chosen one
    num_archs: int          # architectures scored
    seeds: tuple[int, ...]  # ground-truth seeds the truth was averaged over


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
        self._finals = np.array([[np.mean(self._runs[(a, s)]["curve"]["val_accuracy"][-tail:])
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

    def noise_ceiling(self, truth: Iterable[int] | None = None) -> dict[str, float]:
        """How well training every architecture once ranks them.

        Without ``truth``: each seed's finals against the mean of the other seeds', averaged
        over seeds. With ``truth`` (the seeds a comparison scores every row against): each
        seed outside ``truth`` against the mean of ``truth``, averaged, so that the ceiling is
        scored like every other row. Over the whole space and within the true top 10%; plus
        the mean seed-against-seed tau.
        """
        if len(self.seeds) < 2:
            raise ValueError(f"{self.source} has one seed; the noise ceiling needs two or more")
        if truth is None:
            one_vs_rest = [self.score(Estimates(dict(zip(self.archs, self.finals([s]))),
                                                seeds_read=frozenset([s]))) for s in self.seeds]
        else:
            truth = self._truth_seeds(truth, frozenset())
            others = [s for s in self.seeds if s not in truth]
            if not others:
                raise ValueError(f"truth {list(truth)} holds every seed of {self.source}; the "
                                 f"noise ceiling needs a seed outside it")
            one_vs_rest = [self.score(Estimates(dict(zip(self.archs, self.finals([s]))),
                                                seeds_read=frozenset([s])), truth=truth)
                           for s in others]
        pairs = [(a, b) for i, a in enumerate(self.seeds) for b in self.seeds[i + 1:]]
        return {
            "kendall_tau": float(np.mean([s.kendall_tau for s in one_vs_rest])),
            "spearman": float(np.mean([s.spearman for s in one_vs_rest])),
            "top_kendall_tau": float(np.mean([s.top_kendall_tau for s in one_vs_rest])),
            "top_precision": float(np.mean([s.top_precision for s in one_vs_rest])),
            "regret": float(np.mean([s.regret for s in one_vs_rest])),
            "seed_vs_seed_kendall_tau": float(np.mean(
                [kendall_tau(self.finals([a]), self.finals([b])) for a, b in pairs])),
        }

    def _truth_seeds(self, truth: Iterable[int], read: frozenset[int]) -> tuple[int, ...]:
        """``truth`` as a tuple of this table's seeds, none of them in ``read``."""
        if isinstance(truth, (str, bytes)) or not isinstance(truth, Iterable):
            raise TypeError(f"truth must be a collection of seeds, but got {truth!r}")
        truth = tuple(truth)
        self._seed_columns(truth)  # a non-empty subset of the table's seeds, or ValueError
        leaked = sorted(set(truth) & read)
        if leaked:
            raise ValueError(f"truth seeds {leaked} were read by the estimates being scored; "
                             f"score them on seeds they never read")
        return truth

    def score(self, estimates: Estimates, truth: Iterable[int] | None = None) -> Score:
        """Score ``estimates`` against the mean of ``truth`` (default: every seed it never
        read). A comparison passes one ``truth`` to every row it sets side by side: the seeds
        none of its rows read; a seed the estimates read is refused.

        Rank statistics use the architectures it scored; regret is measured from the best
        architecture of the whole space, in accuracy points.
        """
        if not isinstance(estimates, Estimates):
            raise TypeError(f"estimates must be an Estimates (what an estimator's estimate() "
                            f"returns), but got {type(estimates).__name__}")
        if truth is None:
            unread = [s for s in self.seeds if s not in estimates.seeds_read]
            if not unread:
                raise ValueError(f"the estimates read every ground-truth seed "
                                 f"{list(self.seeds)} of {self.source}; nothing unread is left "
                                 f"to score them against")
        else:
            unread = list(self._truth_seeds(truth, frozenset(estimates.seeds_read)))
        archs = [self.space.validate(arch) for arch in estimates.scores]
        if len(archs) < 2:
            raise ValueError(f"need estimates for at least 2 architectures, got {len(archs)}")
        truth_all = self.finals(unread)
        true = truth_all[[self._index[a] for a in archs]]
        estimated = np.array([estimates.scores[a] for a in estimates.scores], dtype=float)
        top = sorted(top_k_indices(true, TOP_FRACTION))
        chosen = self._index[archs[int(np.argmax(estimated))]]
        return Score(
            kendall_tau=kendall_tau(estimated, true),
            spearman=spearman(estimated, true),
            top_kendall_tau=kendall_tau(estimated[top], true[top]) if len(top) > 1
            else float("nan"),
            top_precision=top_k_precision(estimated, true, TOP_FRACTION),
            regret=float(100 * (truth_all.max() - truth_all[chosen])),
            num_archs=len(archs), seeds=tuple(unread))

    def proxy_scores(self) -> dict[str, Score]:
        """Every zero-cost proxy scored on this table, by name (computed once per table: the
        proxies build every network, which takes seconds)."""
        if not hasattr(self, "_proxy_scores"):
            shape = {"in_channels": 1, "channels": self.protocol.train.channels}
            self._proxy_scores = {proxy.name: self.score(proxy(**shape).estimate(self.archs))
                                  for proxy in ZERO_COST_PROXIES}
        return dict(self._proxy_scores)


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
