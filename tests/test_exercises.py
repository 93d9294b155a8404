"""The course's graded exercises as a whole: what the README promises, what the setup cells
give away, and every notebook graded through the command line, solved and untouched."""
import ast
import re
from pathlib import Path

import nbformat
import pytest

from nasedu.grading.notebooks import read_source

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def tasks_of(path):
    return read_source(path.name, path.read_bytes()).tasks


def test_the_readme_lists_every_notebook_with_its_tasks_and_points():
    rows = re.findall(r"^\| `(\w+)` \| (\d+) \| (\d+) \|", (ROOT / "exercises" / "README.md")
                      .read_text(), flags=re.MULTILINE)
    assert rows == [(path.stem, str(len(tasks_of(path))),
                     f"{sum(task.points for task in tasks_of(path)):g}") for path in SOLUTIONS]


def defined_names(source):
    """The names a cell's code defines or imports at its top level."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.Assign):
            names |= {target.id for target in node.targets if isinstance(target, ast.Name)}
    return names


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_no_setup_cell_defines_or_imports_what_a_task_asks_for(path):
    cells = [cell for cell in nbformat.read(path, as_version=4).cells
             if cell.cell_type == "code" and "colab-install" not in cell.metadata.get("tags", [])]
    asked = set()
    for cell in cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            asked |= defined_names(cell.source)
    for cell in cells:
        if "nbgrader" not in cell.metadata:
            assert not asked & defined_names(cell.source), cell.source[:200]


@pytest.mark.parametrize("path", sorted((ROOT / "exercises").glob("*.ipynb")),
                         ids=lambda p: p.name)
def test_students_read_no_marker_lines(path):
    for cell in nbformat.read(path, as_version=4).cells:
        assert "NBVAL" not in cell.source and "### BEGIN" not in cell.source


@pytest.mark.slow
def test_every_notebook_grades_solved_at_full_points_and_untouched_at_zero(course_grades):
    """The whole course through `python -m nasedu grade` (conftest.py's run): the solutions as
    submissions, and the exercises as released."""
    assert set(course_grades["codes"]) == {0}
    rows = [row for row in course_grades["rows"] if row["task"] != "total"]
    expected = {(path.name, task.grade_id): task.points for path in SOLUTIONS
                for task in tasks_of(path)}
    for student, points_of in [("solved", lambda points: points), ("untouched", lambda _: 0)]:
        got = {(row["notebook"], row["task"]): float(row["points"]) for row in rows
               if row["student"] == student}
        assert got == {key: points_of(points) for key, points in expected.items()}, student
    untouched = [row["reason"] for row in rows if row["student"] == "untouched"]
    assert all("NotImplementedError" in reason for reason in untouched), untouched
