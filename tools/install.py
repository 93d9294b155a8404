"""Install nasedu and its PyTorch in one command, without CUDA libraries on a machine without
an NVIDIA GPU:

    python tools/install.py            # then: python -m nasedu compare

On Linux, PyPI's ``torch`` is a CUDA build of several GB whether or not the machine has a GPU.
So: a torch already installed (>= 2.1) is kept; otherwise a machine with an NVIDIA GPU (or
``--cuda``) gets PyPI's build and any other Linux machine (or ``--cpu``) PyTorch's CPU build
from PyTorch's own package index; macOS and Windows get PyPI's build, which is CPU-only
there (with Apple's MPS on macOS). Then the package is installed, editable, with ``--extras``
(default ``dev``: JupyterLab, pytest, nbval). Standard library only: it runs before anything
is installed.
"""
from __future__ import annotations

import argparse
import importlib.metadata
import platform
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH = "torch>=2.1"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def installed_torch() -> str | None:
    """The version of torch installed in this interpreter, or None."""
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return None


def recent_enough(version: str) -> bool:
    major, minor = (int(part) for part in version.split("+")[0].split(".")[:2])
    return (major, minor) >= (2, 1)


def torch_command(build: str, system: str, has_gpu: bool, version: str | None) -> list[str] | None:
    """The pip arguments that install torch here, or None to keep the installed one.

    ``build`` is "auto", "cpu" or "cuda"; ``system`` is ``platform.system()``.
    """
    if build not in ("auto", "cpu", "cuda"):
        raise ValueError(f"build must be 'auto', 'cpu' or 'cuda', but got {build!r}")
    if version is not None and recent_enough(version) and build == "auto":
        return None
    cpu_only = build == "cpu" or (build == "auto" and not has_gpu)
    if cpu_only and system == "Linux":
        return ["install", TORCH, "--index-url", CPU_INDEX]
    return ["install", TORCH]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    build = parser.add_mutually_exclusive_group()
    build.add_argument("--cpu", dest="build", action="store_const", const="cpu",
                       help="install PyTorch's CPU build (even where a torch is installed)")
    build.add_argument("--cuda", dest="build", action="store_const", const="cuda",
                       help="install PyPI's build, with CUDA on Linux")
    parser.add_argument("--extras", default="dev",
                        help="comma-separated extras of nasedu to install (default %(default)s; "
                             "others: lab, test, grading, cluster, bench, browser, vision)")
    args = parser.parse_args(argv)
    has_gpu = shutil.which("nvidia-smi") is not None
    pip = [sys.executable, "-m", "pip"]
    command = torch_command(args.build or "auto", platform.system(), has_gpu, installed_torch())
    if command is None:
        print(f"keeping the installed torch {installed_torch()}")
    else:
        print("installing " + ("PyTorch's CPU build" if CPU_INDEX in command else "torch"))
        if subprocess.run(pip + command).returncode != 0:
            print(f"error: could not install torch with `pip {' '.join(command)}`. Install a "
                  f"torch >= 2.1 yourself (a CPU build on a machine without a GPU), then run "
                  f"this command again: it keeps an installed torch.", file=sys.stderr)
            return 1
    extras = ",".join(part.strip() for part in args.extras.split(",") if part.strip())
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    return subprocess.run(pip + ["install", "-e", target]).returncode


if __name__ == "__main__":
    sys.exit(main())
