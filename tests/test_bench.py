import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from nasedu.bench import load
from nasedu.build import build, run_one
from nasedu.estimates import Estimates
from nasedu.latency import table_latency
from nasedu.protocol import Protocol
from nasedu.space import Architecture, SearchSpace
from nasedu.train import TrainConfig

ROOT = Path(__file__).resolve().parents[1]
TINY = SearchSpace(("conv3x3", "maxpool3x3", "skip"), 1, name="tiny")
QUICK = Protocol(train=TrainConfig(epochs=2))


def runs_by_key(path):
    table = json.loads(gzip.decompress(Path(path).read_bytes()))
    # Everything a run's result depends on; wall seconds legitimately differ.
    return {(r["arch"], r["seed"]): (r["curve"], r["parameters"], r["macs"], r["cost_epochs"])
            for r in table["runs"]}


@pytest.fixture(scope="module")
def tiny_table(tmp_path_factory):
    return build(TINY, tmp_path_factory.mktemp("tiny") / "tiny.json.gz", seeds=(0, 1, 2),
                 protocol=QUICK)


def test_build_writes_a_complete_table_that_records_how_it_was_built(tiny_table):
    bench = load(tiny_table)
    assert bench.archs == TINY.enumerate() and bench.seeds == (0, 1, 2)
    assert bench.protocol == QUICK
    built = bench.table["built"]
    assert built["torch"] == torch.__version__ and built["date"][:2] == "20"
    assert bench.curve("conv3x3", 1).epochs == 2
    assert not Path(str(tiny_table) + ".partial").exists()


def test_a_run_depends_only_on_architecture_seed_and_protocol(tiny_table):
    record = run_one(Architecture.parse("conv3x3"), 1, QUICK)
    assert record["curve"] == load(tiny_table).curve("conv3x3", 1).to_dict()


@pytest.mark.slow
def test_worker_count_does_not_change_the_table(tiny_table, tmp_path):
    parallel = build(TINY, tmp_path / "parallel.json.gz", seeds=(0, 1, 2), protocol=QUICK,
                     workers=2)
    assert runs_by_key(parallel) == runs_by_key(tiny_table)


@pytest.mark.slow
def test_a_killed_build_resumes_and_equals_an_uninterrupted_one(tmp_path):
    out = tmp_path / "convpool.json.gz"
    command = [sys.executable, "-m", "nasedu", "bench", "build", "--space", "convpool",
               "--seeds", "2", "--epochs", "2", "--quiet", "--out", str(out)]
    partial = Path(str(out) + ".partial")
    process = subprocess.Popen(command, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while len(list(partial.glob("*_seed*.json"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    saved = len(list(partial.glob("*_seed*.json")))
    assert 4 <= saved < 16 and not out.exists()

    resumed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    table = load(out)
    assert table.table["built"]["resumed_runs"] >= saved
    uninterrupted = build("convpool", tmp_path / "whole.json.gz", seeds=(0, 1),
                          protocol=Protocol(train=TrainConfig(epochs=2)))
    assert runs_by_key(out) == runs_by_key(uninterrupted)


def interrupted_build(space, out, protocol):
    """A build that fails at its very end (``out`` is taken by a folder), leaving every run it
    saved in ``OUT.partial`` as a killed build would."""
    out.mkdir()
    with pytest.raises(OSError):
        build(space, out, seeds=(0,), protocol=protocol)
    out.rmdir()
    return Path(str(out) + ".partial")


def test_resume_refuses_a_partial_build_of_another_space(tmp_path):
    out = tmp_path / "t.json.gz"
    interrupted_build(SearchSpace(("maxpool3x3", "skip"), 1, name="other"), out, QUICK)
    with pytest.raises(ValueError, match="interrupted build of another .*other.*delete that folder"):
        build(TINY, out, seeds=(0,), protocol=QUICK)


def test_noise_ceiling_compares_each_seed_with_the_others(tiny_table):
    bench = load(tiny_table)
    ceiling = bench.noise_ceiling()
    expected = np.mean([bench.score(Estimates(dict(zip(bench.archs, bench.finals([s]))),
                                              seeds_read=frozenset([s]))).kendall_tau
                        for s in bench.seeds])
    assert ceiling.kendall_tau == pytest.approx(expected)
    assert ceiling.seeds == bench.seeds and ceiling.num_archs == len(bench.archs)


def test_noise_ceiling_scored_on_a_truth_is_a_score_like_any_row(tiny_table):
    bench = load(tiny_table)
    ceiling = bench.noise_ceiling(truth=[1])
    alone = [bench.score(Estimates(dict(zip(bench.archs, bench.finals([s]))),
                                   seeds_read=frozenset([s])), truth=[1]) for s in (0, 2)]
    assert ceiling.seeds == (1,)
    assert ceiling.kendall_tau == pytest.approx(np.mean([a.kendall_tau for a in alone]))
    assert ceiling.regret == pytest.approx(np.mean([a.regret for a in alone]))


def test_final_is_the_mean_of_the_last_epochs_over_seeds(tiny_table):
    bench = load(tiny_table)
    curves = [bench.curve("pool", s).val_accuracy for s in (0, 2)]
    tail = bench.protocol.final_epochs
    assert bench.final("pool", seeds=[0, 2]) == pytest.approx(np.mean([np.mean(c[-tail:])
                                                                       for c in curves]))


def test_score_uses_only_the_seeds_the_estimator_never_read(tiny_table):
    bench = load(tiny_table)
    replayed = Estimates(dict(zip(bench.archs, bench.finals([0]))), seeds_read=frozenset([0]))
    score = bench.score(replayed)
    assert score.seeds == (1, 2) and score.num_archs == 3
    with pytest.raises(ValueError, match="read every ground-truth seed"):
        bench.score(Estimates(replayed.scores, seeds_read=frozenset([0, 1, 2])))


def test_regret_is_measured_from_the_best_of_the_space(tiny_table):
    bench = load(tiny_table)
    truth = dict(zip(bench.archs, bench.finals()))
    worst = min(truth, key=truth.get)
    score = bench.score(Estimates({worst: 1.0, max(truth, key=truth.get): 0.0}))
    assert score.regret == pytest.approx(100 * (max(truth.values()) - truth[worst]))


def test_unknown_architecture_and_seed_are_named(tiny_table):
    bench = load(tiny_table)
    with pytest.raises(ValueError, match="'conv5x5' .*not in space 'tiny'"):
        bench.curve("conv5x5", 0)
    with pytest.raises(ValueError, match="seed 7 is not in"):
        bench.curve("conv3x3", 7)


def test_missing_corrupt_truncated_and_mismatched_tables_are_named(tiny_table, tmp_path):
    with pytest.raises(ValueError, match="no table file .*nope.json.gz"):
        load(tmp_path / "nope.json.gz")
    corrupt = tmp_path / "corrupt.json.gz"
    corrupt.write_bytes(b"not a table")
    with pytest.raises(ValueError, match="corrupt.json.gz is not a readable nasedu table"):
        load(corrupt)
    truncated = tmp_path / "truncated.json.gz"
    truncated.write_bytes(Path(tiny_table).read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated.json.gz is not a readable nasedu table"):
        load(truncated)
    with pytest.raises(ValueError, match="built for space 'tiny'"):
        load(tiny_table, space="convpool")
    with pytest.raises(ValueError, match="built with protocol"):
        load(tiny_table, protocol=Protocol())


def test_incomplete_table_is_named(tiny_table, tmp_path):
    table = json.loads(gzip.decompress(Path(tiny_table).read_bytes()))
    table["runs"] = table["runs"][:-1]
    path = tmp_path / "incomplete.json.gz"
    path.write_bytes(gzip.compress(json.dumps(table).encode()))
    with pytest.raises(ValueError, match="incomplete.json.gz: table is incomplete: 1 runs"):
        load(path)


def test_bad_build_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="workers=0"):
        build(TINY, tmp_path / "x.json.gz", workers=0)
    with pytest.raises(ValueError, match="distinct"):
        build(TINY, tmp_path / "x.json.gz", seeds=(1, 1))
    with pytest.raises(ValueError, match="unknown dataset"):
        build(TINY, tmp_path / "x.json.gz", protocol=Protocol(dataset="imagenet"))


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines()
                          if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.add(int(status.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_a_killed_parallel_build_leaves_no_worker_behind(tmp_path):
    command = [sys.executable, "-m", "nasedu", "bench", "build", "--space", "convpool",
               "--seeds", "3", "--epochs", "12", "--workers", "2", "--quiet",
               "--out", str(tmp_path / "t.json.gz")]
    process = subprocess.Popen(command, cwd=tmp_path)
    deadline = time.monotonic() + 120
    workers: set[int] = set()
    while len(workers) < 2 and time.monotonic() < deadline:  # the pool's spawned workers
        workers = {pid for pid in _children(process.pid)
                   if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")}
        time.sleep(0.1)
    assert workers, "the build started no worker process"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)


@pytest.mark.slow
def test_build_runs_from_a_plain_script_without_a_main_guard(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        "from nasedu.build import build\n"
        "from nasedu.protocol import Protocol\n"
        "from nasedu.space import SearchSpace\n"
        "from nasedu.train import TrainConfig\n"
        "print('built', build(SearchSpace(('conv3x3', 'avgpool3x3'), 2, name='tiny'), 't.json.gz',"
        " seeds=(0, 1), protocol=Protocol(train=TrainConfig(epochs=1)), workers=2))\n")
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("built") == 1  # the workers did not run the script again
    assert len(load(tmp_path / "t.json.gz").archs) == 4


def test_a_partial_record_without_a_seed_is_run_again(tiny_table, tmp_path):
    out = tmp_path / "t.json.gz"
    partial = interrupted_build(TINY, out, QUICK)
    broken = sorted(partial.glob("*_seed0.json"))[0]
    broken.write_text(json.dumps({"arch": json.loads(broken.read_text())["arch"]}))
    table = load(build(TINY, out, seeds=(0,), protocol=QUICK))
    assert table.table["built"]["resumed_runs"] == TINY.size - 1
    assert runs_by_key(out) == {key: run for key, run in runs_by_key(tiny_table).items()
                                if key[1] == 0}


@pytest.mark.parametrize("bad, error, message", [
    (None, TypeError, "name_or_path must be a shipped table's name"),
    (123, TypeError, "name_or_path must be"),
])
def test_load_names_a_bad_argument(bad, error, message):
    with pytest.raises(error, match=message):
        load(bad)


def test_score_refuses_what_is_not_estimates():
    with pytest.raises(TypeError, match="estimates must be an Estimates"):
        load("convpool").score({"conv3x3-conv3x3-conv3x3": 1.0})


def test_a_new_table_records_the_latency_of_every_architecture_and_old_ones_still_load(
        tiny_table):
    bench = load(tiny_table)
    latency = table_latency(bench.table)
    assert set(latency) == set(bench.archs)
    assert all(seconds > 0 for times in latency.values() for seconds in times.values())
    old = {key: value for key, value in bench.table.items() if key != "latency"}
    with pytest.raises(ValueError, match="records no latency"):
        table_latency(old)
    assert load("convpool").finals().shape == (8,)  # shipped before latency: still readable
