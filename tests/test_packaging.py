"""The conda environment and the pip metadata must declare the same runtime packages."""
import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch", "ray": "ray-client"}  # pip -> conda-forge name, where they differ
NOT_IN_CONDA = {"torchvision"}       # optional extras a conda user installs by hand


def requirement_name(text):
    return re.split(r"[<>=!~\[; ]", text.strip(), maxsplit=1)[0].lower()


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def conda_packages():
    """Package names under ``dependencies:``, leaving out the nested pip section."""
    text = (ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    entries = re.findall(r"^  - (.+)$", text, re.M)  # two-space indent: not the pip list
    return {requirement_name(entry) for entry in entries} - {"python", "pip", "pip:"}


def pip_packages():
    project = pyproject()["project"]
    names = {requirement_name(r) for r in project["dependencies"]}
    for extra, requirements in project["optional-dependencies"].items():
        names |= {requirement_name(r) for r in requirements if not r.startswith("nasedu")}
    return {CONDA_NAMES.get(name, name) for name in names - NOT_IN_CONDA}


def test_conda_environment_matches_pyproject():
    assert conda_packages() == pip_packages()


def test_conda_environment_uses_conda_forge_only_and_installs_the_project():
    text = (ROOT / "environment.yml").read_text()
    channels = re.search(r"channels:\n((?:\s+- .*\n)+)", text).group(1).split()
    assert [c for c in channels if c != "-"] == ["conda-forge"]
    assert text.rstrip().endswith("- -e .")


def test_torch_requirement_stays_a_loose_range():
    torch_requirement = [r for r in pyproject()["project"]["dependencies"]
                         if requirement_name(r) == "torch"]
    assert torch_requirement == ["torch>=2.1"]
