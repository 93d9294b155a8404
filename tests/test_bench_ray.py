"""The ground-truth build on Ray: the same table as the local backend, resumable, loud failures."""
import builtins
import os
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason='the Ray backend needs pip install "nasedu[cluster]"')

from nasedu import build as build_module  # noqa: E402
from nasedu.__main__ import main  # noqa: E402
from nasedu.bench import load  # noqa: E402
from nasedu.build import build  # noqa: E402
from nasedu.protocol import Protocol  # noqa: E402
from nasedu.train import TrainConfig  # noqa: E402

QUICK = Protocol(train=TrainConfig(epochs=1), final_epochs=1)


def runs_by_key(path):
    # Everything a run's result depends on; wall seconds legitimately differ.
    return {(r["arch"], r["seed"]): (r["curve"], r["parameters"], r["macs"], r["cost_epochs"])
            for r in load(path).table["runs"]}


@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance for the module (it takes seconds to start); builds reuse it."""
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def local_table(tmp_path_factory):
    return build("convpool", tmp_path_factory.mktemp("local") / "local.json.gz", seeds=(0,),
                 protocol=QUICK, workers=2)


def test_ray_builds_the_same_table_as_the_local_backend(local_ray, local_table, tmp_path):
    out = build("convpool", tmp_path / "ray.json.gz", seeds=(0,), protocol=QUICK, workers=2,
                backend="ray")
    assert runs_by_key(out) == runs_by_key(local_table)
    assert load(out).table["built"]["backend"] == "ray"
    assert not Path(str(out) + ".partial").exists()


def crash_worker_on(target, marker=None):
    """A stand-in for build._run_job whose worker process dies on ``target`` (only the first
    time when ``marker`` is a file path: it is created then); Ray pickles it by value."""
    run_job = build_module._run_job

    def job_or_crash(job):
        if job[:2] == target and (marker is None or not os.path.exists(marker)):
            if marker is not None:
                open(marker, "w").close()
            os._exit(1)
        return run_job(job)
    return job_or_crash


def test_a_worker_that_dies_once_is_retried(local_ray, local_table, tmp_path, monkeypatch):
    marker = tmp_path / "crashed"
    monkeypatch.setattr(build_module, "_run_job",
                        crash_worker_on(("conv3x3-conv3x3-conv3x3", 0), str(marker)))
    out = build("convpool", tmp_path / "ray.json.gz", seeds=(0,), protocol=QUICK, workers=2,
                backend="ray")
    assert marker.exists() and runs_by_key(out) == runs_by_key(local_table)


def test_a_failed_run_is_named_and_the_build_resumes_without_redoing_saved_runs(
        local_ray, local_table, tmp_path, monkeypatch):
    out = tmp_path / "ray.json.gz"
    partial = Path(str(out) + ".partial")
    with monkeypatch.context() as patch:
        patch.setattr(build_module, "RAY_RETRIES", 1)
        patch.setattr(build_module, "_run_job", crash_worker_on(("maxpool3x3-conv3x3-conv3x3", 0)))
        with pytest.raises(RuntimeError, match=r"1 run\(s\) failed .*'maxpool3x3-conv3x3-conv3x3'"
                                               r", seed 0"):
            build("convpool", out, seeds=(0,), protocol=QUICK, workers=2, backend="ray")
    assert len(list(partial.glob("*_seed*.json"))) == 7 and not out.exists()

    build("convpool", out, seeds=(0,), protocol=QUICK, workers=2, backend="ray")
    assert load(out).table["built"]["resumed_runs"] == 7
    assert runs_by_key(out) == runs_by_key(local_table)


def test_an_unreachable_address_is_named_and_nothing_is_written(tmp_path, capsys):
    out = tmp_path / "ray.json.gz"
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "build", "--space", "convpool", "--seeds", "1", "--epochs", "1",
              "--backend", "ray", "--address", "ray://127.0.0.1:1", "--out", str(out)])
    assert exit_info.value.code == 2
    assert "no Ray cluster answers at 'ray://127.0.0.1:1'" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_missing_ray_names_the_extra_to_install(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def import_without_ray(name, *args, **kwargs):
        if name == "ray":
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", import_without_ray)
    with pytest.raises(ValueError, match=r'pip install "nasedu\[cluster\]"'):
        build("convpool", tmp_path / "ray.json.gz", seeds=(0,), protocol=QUICK, backend="ray")
    assert list(tmp_path.iterdir()) == []


def test_bad_ray_arguments_are_named(tmp_path):
    with pytest.raises(ValueError, match="unknown backend 'dask'"):
        build("convpool", tmp_path / "x.json.gz", backend="dask")
    with pytest.raises(ValueError, match="address is for the Ray backend"):
        build("convpool", tmp_path / "x.json.gz", address="auto")
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        build("convpool", tmp_path / "x.json.gz", backend="ray", device="cuda:1")
