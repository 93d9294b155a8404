"""Every name the lessons, solutions, exercises and benchmarks import from nasedu exists.

The notebooks run under nbval too, but minutes later and one by one; this finds a name that a
change of the library moved or removed in a second, and names the file that still uses it.
"""
import ast
import importlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("solutions/*.ipynb"),
                  *ROOT.glob("exercises/*.ipynb"), *ROOT.glob("benchmarks/*.py")])


def code_of(path: Path) -> str:
    if path.suffix == ".py":
        return path.read_text()
    cells = json.loads(path.read_text())["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":  # IPython magics and shell lines are not Python
            lines += [line for line in "".join(cell["source"]).splitlines()
                      if not line.lstrip().startswith(("%", "!"))]
        lines.append("")
    return "\n".join(lines)


def nasedu_imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) for each ``from nasedu... import name`` and ``import nasedu...``."""
    found = []
    for node in ast.walk(ast.parse(code_of(path), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "nasedu":
            found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, None) for alias in node.names
                      if alias.name.split(".")[0] == "nasedu"]
    return found


def test_there_are_sources_to_check():
    assert len(SOURCES) >= 15 and any(nasedu_imports(path) for path in SOURCES)


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_nasedu_name_a_source_imports_exists(path):
    missing = []
    for module, name in nasedu_imports(path):
        try:
            imported = importlib.import_module(module)
        except ImportError as error:
            missing.append(f"{module} ({error})")
            continue
        if name is not None and name != "*" and not hasattr(imported, name):
            try:
                importlib.import_module(f"{module}.{name}")  # a submodule
            except ImportError:
                missing.append(f"{module}.{name}")
    assert not missing, f"{path.relative_to(ROOT)} imports what nasedu lacks: {missing}"
