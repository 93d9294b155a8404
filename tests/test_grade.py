"""Batch grading: points when a check's values equal the solution's, a reason for every lost
point, and submissions that are only ever read. Hostile submissions: test_grade_hostile.py."""
import csv
from pathlib import Path

import nbformat
import pytest

from nasedu.__main__ import main
from nasedu.grading import Limits, grade
from nasedu.grading.notebooks import read_source
from nasedu.release import released

ROOT = Path(__file__).resolve().parents[1]


def solution_cell(grade_id, source):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": False,
                                 "schema_version": 3, "solution": True, "task": False}
    return cell


def check_cell(grade_id, points, source):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True,
                                 "points": points, "schema_version": 3, "solution": False,
                                 "task": False}
    return cell


def tiny_source():
    """Two tasks: add (1 point, with a hidden test) and double (2 points)."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Tiny exercise"),
        solution_cell("add", "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n"
                             "    ### END SOLUTION"),
        check_cell("add_check", 1, 'assert add(1, 2) == 3, "add(1, 2) should be 3"\n'
                                   "### BEGIN HIDDEN TESTS\n"
                                   'graded_values = {"add(-1, 1)": add(-1, 1)}\n'
                                   "### END HIDDEN TESTS\nprint(\"pass\")"),
        solution_cell("double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                                "    ### END SOLUTION"),
        check_cell("double_check", 2, 'assert double(4) == 8, "double(4) should be 8"\n'
                                      "### BEGIN HIDDEN TESTS\n"
                                      'graded_values = {"double(4)": double(4)}\n'
                                      "### END HIDDEN TESTS"),
    ]
    return notebook


def answer(notebook, grade_id, source):
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
    return notebook


def exercise():
    return released(tiny_source())


def solved():
    notebook = exercise()
    answer(notebook, "add", "def add(a, b):\n    return a + b")
    return answer(notebook, "double", "def double(x):\n    return x * 2")


def reordered():
    notebook = solved()
    notebook.cells = notebook.cells[::-1]
    return notebook


def deleted_solution():
    notebook = solved()
    notebook.cells = [c for c in notebook.cells
                      if c.metadata.get("nbgrader", {}).get("grade_id") != "add"]
    return notebook


def edited_check():
    """Wrong code, and the check cell rewritten to pass anyway."""
    notebook = answer(solved(), "double", "def double(x):\n    return x")
    return answer(notebook, "double_check", 'print("pass")')


SUBMISSIONS = {
    "good": solved,
    "untouched": exercise,
    "visible_only": lambda: answer(solved(), "add", "def add(a, b):\n    return 3"),
    "syntax": lambda: answer(solved(), "add", "def add(a, b)\n    return a + b"),
    "raises": lambda: answer(solved(), "add", "raise RuntimeError('oops')"),
    "loops": lambda: answer(solved(), "double", "while True:\n    pass"),
    "reordered": reordered,
    "deleted": deleted_solution,
    "edited_check": edited_check,
}
BROKEN_FILES = {"invalid_json": '{"cells": [', "empty": ""}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every kind of submission of the tiny exercise in one run."""
    folder = tmp_path_factory.mktemp("grading")
    (folder / "source").mkdir()
    nbformat.write(tiny_source(), folder / "source" / "tiny.ipynb")
    paths = []
    for student, make in SUBMISSIONS.items():
        (folder / student).mkdir()
        nbformat.write(make(), folder / student / "tiny.ipynb")
        paths.append(folder / student / "tiny.ipynb")
    for student, text in BROKEN_FILES.items():
        (folder / student).mkdir()
        (folder / student / "tiny.ipynb").write_text(text)
        paths.append(folder / student / "tiny.ipynb")
    (folder / "stranger").mkdir()
    nbformat.write(solved(), folder / "stranger" / "other.ipynb")
    paths.append(folder / "stranger" / "other.ipynb")
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in paths}
    results = grade(paths, folder / "source", folder / "grades.csv", Limits(timeout=10))
    rows = {(r.student, r.task): r for r in results}
    return {"rows": rows, "before": before, "csv": folder / "grades.csv"}


def points(graded, student):
    return {task: row.points for (name, task), row in graded["rows"].items() if name == student}


def reason(graded, student, task):
    return graded["rows"][(student, task)].reason


def test_a_solved_submission_gets_every_point(graded):
    assert points(graded, "good") == {"add_check": 1, "double_check": 2}
    assert reason(graded, "good", "add_check") == ""


def test_an_untouched_exercise_gets_nothing_and_says_so(graded):
    assert points(graded, "untouched") == {"add_check": 0, "double_check": 0}
    assert "NotImplementedError" in reason(graded, "untouched", "add_check")


def test_hidden_tests_count(graded):
    assert points(graded, "visible_only") == {"add_check": 0, "double_check": 2}
    assert reason(graded, "visible_only", "add_check") == (
        "check failed: graded_values['add(-1, 1)'] is 3, expected 0")


def test_a_syntax_error_costs_only_its_task(graded):
    assert points(graded, "syntax") == {"add_check": 0, "double_check": 2}
    assert "'add' raised SyntaxError" in reason(graded, "syntax", "add_check")


def test_a_solution_that_raises_costs_only_its_task(graded):
    assert points(graded, "raises") == {"add_check": 0, "double_check": 2}
    assert "RuntimeError: oops" in reason(graded, "raises", "add_check")


def test_an_endless_loop_hits_the_time_limit(graded):
    assert points(graded, "loops") == {"add_check": 1, "double_check": 0}
    assert reason(graded, "loops", "double_check") == (
        "solution cell 'double' did not finish: ran past the time limit of 10 s")


def test_reordered_cells_are_graded_in_the_source_order(graded):
    assert points(graded, "reordered") == {"add_check": 1, "double_check": 2}


def test_a_deleted_solution_cell_costs_its_task(graded):
    assert points(graded, "deleted") == {"add_check": 0, "double_check": 2}
    assert "'add' is missing" in reason(graded, "deleted", "add_check")


def test_an_edited_check_cell_gains_nothing(graded):
    assert points(graded, "edited_check") == {"add_check": 1, "double_check": 0}
    assert "double(4) should be 8" in reason(graded, "edited_check", "double_check")


@pytest.mark.parametrize("student, why", [("invalid_json", "not valid notebook JSON"),
                                          ("empty", "the file is empty")])
def test_unreadable_files_get_a_reason_on_every_task(graded, student, why):
    assert points(graded, student) == {"add_check": 0, "double_check": 0}
    assert why in reason(graded, student, "add_check")


def test_a_notebook_of_no_exercise_is_named(graded):
    assert "no exercise of this name" in reason(graded, "stranger", "-")


def test_submissions_are_never_modified(graded):
    for path, (content, mtime) in graded["before"].items():
        assert path.read_bytes() == content and path.stat().st_mtime_ns == mtime, path


def test_the_csv_has_a_row_per_task_and_a_total_per_student(graded):
    with open(graded["csv"], newline="") as file:
        rows = list(csv.DictReader(file))
    totals = {row["student"]: row for row in rows if row["task"] == "total"}
    assert totals["good"]["points"] == "3" and totals["good"]["max_points"] == "3"
    assert totals["loops"]["points"] == "1"
    assert sum(1 for row in rows if row["student"] == "good") == 3


@pytest.fixture(scope="module")
def graded_real(course_grades):
    """One real exercise, 01_cost, solved, untouched and half solved, through the command line
    (conftest.py's run of the course): each student's points and max points on it."""
    assert set(course_grades["codes"]) == {0}
    totals = {}
    for row in course_grades["rows"]:
        if row["notebook"] == "01_cost.ipynb" and row["task"] != "total":
            total = totals.setdefault(row["student"], [0.0, 0.0])
            total[0] += float(row["points"])
            total[1] += float(row["max_points"])
    return totals


def test_the_solution_scores_full_marks(graded_real):
    source = ROOT / "solutions" / "01_cost.ipynb"
    total = sum(task.points for task in read_source(source.name, source.read_bytes()).tasks)
    assert graded_real["solved"] == [total, total]


def test_an_untouched_exercise_scores_zero(graded_real):
    assert graded_real["untouched"][0] == 0


def test_a_partly_solved_exercise_gets_the_points_of_its_solved_tasks(graded_real):
    assert graded_real["partial"][0] == 2  # cost_projection is worth 2


def test_limits_reject_a_non_positive_timeout():
    with pytest.raises(ValueError, match="timeout must be positive, but got timeout=0"):
        Limits(timeout=0)


def test_the_grade_command_names_a_source_folder_without_notebooks(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        (tmp_path / "empty").mkdir()
        main(["grade", str(tmp_path / "a.ipynb"), "--source", str(tmp_path / "empty"),
              "--out", str(tmp_path / "grades.csv")])
    assert stopped.value.code == 2 and "no notebooks" in capsys.readouterr().err
    assert not (tmp_path / "grades.csv").exists()


def test_a_source_check_without_values_is_named_before_any_submission_runs(tmp_path):
    source = tiny_source()
    answer(source, "double_check", 'assert double(4) == 8\nprint("pass")')
    (tmp_path / "source").mkdir()
    nbformat.write(source, tmp_path / "source" / "tiny.ipynb")
    (tmp_path / "alice").mkdir()
    nbformat.write(solved(), tmp_path / "alice" / "tiny.ipynb")
    with pytest.raises(ValueError, match="double_check fails on the solution: the check did "
                                         "not compute its values"):
        grade([tmp_path / "alice" / "tiny.ipynb"], tmp_path / "source", tmp_path / "g.csv")
