"""The ground-truth tables shipped inside the package: complete, fast, and true to the code."""
import platform
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from nasedu.__main__ import describe_bench
from nasedu.bench import SHIPPED, load
from nasedu.build import run_one
from nasedu.learning_curve import LearningCurve
from nasedu.space import get_space

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_table_is_complete(name):
    bench = load(name, space=name)
    assert bench.archs == get_space(name).enumerate() and len(bench.seeds) == 3


def same_machine_kind(built):
    return (built["torch"] == torch.__version__ and built["machine"] == platform.machine()
            and built.get("cpu_capability") == torch.backends.cpu.get_cpu_capability())


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_retraining_random_rows_reproduces_the_table(name):
    """Bit for bit on the same kind of machine (torch version, CPU architecture and vector
    instructions); elsewhere floating-point sums may round differently, so the final
    accuracy must agree within 3 points."""
    bench = load(name)
    rows = random.Random(0).sample([(a, s) for a in bench.archs for s in bench.seeds], 2)
    for arch, seed in rows:
        record = run_one(arch, seed, bench.protocol)
        if same_machine_kind(bench.table["built"]):
            assert record["curve"] == bench.curve(arch, seed).to_dict(), (arch, seed)
        else:
            tail = bench.protocol.final_epochs
            assert LearningCurve.from_dict(record["curve"]).final(tail) == \
                pytest.approx(bench.curve(arch, seed).final(tail), abs=0.03), (arch, seed)
        assert record["parameters"] == bench.parameters(arch)


def test_wheel_carries_the_shipped_tables(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                    "--no-build-isolation", "--quiet", "-w", str(tmp_path)], check=True,
                   timeout=300)
    wheel, = tmp_path.glob("nasedu-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for table in SHIPPED.values():
        assert f"nasedu/tables/{table}" in names


def test_shipped_tables_are_small():
    total = sum((ROOT / "nasedu" / "tables" / table).stat().st_size for table in SHIPPED.values())
    assert total < 5 * 2 ** 20


def test_readme_ground_truth_figures_are_what_bench_info_prints():
    readme = (ROOT / "README.md").read_text()
    for name in SHIPPED:
        assert describe_bench(load(name)) in readme, f"README's {name} summary is stale"
