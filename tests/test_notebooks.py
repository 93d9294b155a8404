"""The notebooks' shared conventions: Colab header cells, budgets, size, kernel."""
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import sync_notebooks  # noqa: E402

NOTEBOOKS = sync_notebooks.notebooks()
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_every_notebook_uses_the_repository_url_of_pyproject():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "sync_notebooks.py"),
                             "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_the_lessons_exist_in_reading_order():
    assert [path.name[:3] for path in LESSONS] == ["01_", "02_", "03_", "04_", "05_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_small_and_runs_on_the_plain_python3_kernel(path):
    assert path.stat().st_size < 500_000
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_keeps_its_budgets_in_one_parameters_cell(path):
    cells = nbformat.read(path, as_version=4).cells
    tagged = [cell for cell in cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code"


def test_the_colab_install_cell_does_nothing_outside_colab(monkeypatch):
    source = sync_notebooks.install_source("https://github.com/someone/fork")
    assert "git+https://github.com/someone/fork" in source
    ran = []
    namespace = {"get_ipython": lambda: type("Shell", (), {
        "run_line_magic": lambda self, *args: ran.append(args)})()}
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(TransformerManager().transform_cell(source), namespace)
    assert ran == []


def test_the_colab_install_cell_installs_on_colab(monkeypatch):
    source = sync_notebooks.install_source("https://github.com/someone/fork")
    ran = []
    colab = type(sys)("google.colab")
    colab.output = type(sys)("output")
    colab.output.enable_custom_widget_manager = lambda: ran.append("widgets")
    monkeypatch.setitem(sys.modules, "google", type(sys)("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    namespace = {"get_ipython": lambda: type("Shell", (), {
        "run_line_magic": lambda self, *args: ran.append(args)})()}
    exec(TransformerManager().transform_cell(source), namespace)
    assert ran[0][0] == "pip" and "git+https://github.com/someone/fork" in ran[0][1]
    assert ran[1] == "widgets"
