"""tools/install.py: the README's set-up command installs no CUDA build where no GPU is."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("install", ROOT / "tools" / "install.py")
install = importlib.util.module_from_spec(spec)
spec.loader.exec_module(install)


@pytest.mark.parametrize("build, system, gpu, version, expected", [
    ("auto", "Linux", False, None, ["install", "torch>=2.1", "--index-url", install.CPU_INDEX]),
    ("auto", "Linux", True, None, ["install", "torch>=2.1"]),
    ("auto", "Darwin", False, None, ["install", "torch>=2.1"]),
    ("auto", "Windows", False, None, ["install", "torch>=2.1"]),
    ("auto", "Linux", False, "2.13.0+cpu", None),            # an installed torch is kept
    ("auto", "Linux", False, "2.0.1", ["install", "torch>=2.1", "--index-url", install.CPU_INDEX]),
    ("cpu", "Linux", True, "2.13.0", ["install", "torch>=2.1", "--index-url", install.CPU_INDEX]),
    ("cuda", "Linux", False, None, ["install", "torch>=2.1"]),
])
def test_torch_comes_from_the_cpu_index_only_on_linux_without_a_gpu(build, system, gpu, version,
                                                                    expected):
    assert install.torch_command(build, system, gpu, version) == expected


def test_an_unknown_build_is_named():
    with pytest.raises(ValueError, match="build must be 'auto', 'cpu' or 'cuda', but got 'rocm'"):
        install.torch_command("rocm", "Linux", False, None)
