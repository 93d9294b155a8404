import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nasedu.data import load_dataset

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser):
    parser.addoption("--browser", action="store_true", default=False,
                     help="also run the browser tests (tests/test_browser.py): the lessons in "
                          "a real JupyterLab, driven in Chromium by Playwright")


# Whole test modules that train, compare or grade for many seconds: left out of the fast loop
# (pytest -m "not slow"), run by the README's test command.
SLOW_MODULES = {"test_bench_ray", "test_compare", "test_grade", "test_grade_hostile",
                "test_shipped_tables"}


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: needs --browser, Chromium and Playwright")
    config.addinivalue_line("markers", "slow: trains, compares, grades or runs a notebook for "
                                       "seconds; left out by pytest -m 'not slow'")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.suffix == ".ipynb" or item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
    if config.getoption("--browser"):
        return
    skip = pytest.mark.skip(reason="a browser test: pass --browser to run it")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def digits():
    """The embedded default dataset, split with seed 0, on CPU."""
    return load_dataset("digits", seed=0, device="cpu")


# Hand-made submissions of the first exercise, graded in the course's run below: each
# student's answers by grade_id, None for the solution's own cell. test_grade.py reads
# "partial", test_grade_hostile.py the two that try to forge a verdict.
COST = "01_cost.ipynb"
COST_SUBMISSIONS = {
    "partial": {"cost_projection": None},  # cost_projection is worth 2 points
    "display_hook": {"cost_space_size": "get_ipython().showtraceback = lambda *a, **k: None"},
    "patched": {"cost_space_size": "import math, nasedu.bench\n"
                                   "math.isclose = lambda *a, **k: True\n"
                                   "def space_size(num_ops, num_layers):\n    return 0"},
}


def answered(answers):
    """The released 01_cost with ``answers`` in its solution cells, as notebook JSON."""
    import nbformat  # here, not above: it takes seconds, which only the slow tests need
    solution = {cell.metadata["nbgrader"]["grade_id"]: cell.source
                for cell in nbformat.read(ROOT / "solutions" / COST, as_version=4).cells
                if "nbgrader" in cell.metadata}
    notebook = nbformat.read(ROOT / "exercises" / COST, as_version=4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id] or solution[grade_id]
    return nbformat.writes(notebook)


COMMANDS = 2  # grading commands run at once: one per core of the machines the suite runs on


@pytest.fixture(scope="session")
def course_grades(tmp_path_factory):
    """The whole course through `python -m nasedu grade`: student "solved" submits every
    solution, "untouched" every exercise as released, and each of COST_SUBMISSIONS its 01_cost.
    COMMANDS commands run at once, each on every submission of its share of the notebooks, so
    that each solution's values are computed once and no notebook is graded twice. The
    commands' exit codes and the rows of their CSVs."""
    folder = tmp_path_factory.mktemp("course")
    for student, notebooks in [("solved", "solutions"), ("untouched", "exercises")]:
        (folder / student).mkdir()
        for path in sorted((ROOT / notebooks).glob("*.ipynb")):
            shutil.copy(path, folder / student / path.name)
    for student, answers in COST_SUBMISSIONS.items():
        (folder / student).mkdir()
        (folder / student / COST).write_text(answered(answers))
    submissions = sorted(folder.glob("*/*.ipynb"))
    names = sorted({path.name for path in submissions})
    commands = []
    for part in range(COMMANDS):
        out = folder / f"grades_{part}.csv"
        paths = [str(path) for path in submissions if path.name in names[part::COMMANDS]]
        commands.append((out, subprocess.Popen(
            [sys.executable, "-m", "nasedu", "grade", *paths, "--source", str(ROOT / "solutions"),
             "--out", str(out), "--timeout", "300"])))
    codes, rows = [], []
    for out, command in commands:
        codes.append(command.wait())
        with open(out, newline="") as file:
            rows += csv.DictReader(file)
    return {"codes": codes, "rows": rows}
