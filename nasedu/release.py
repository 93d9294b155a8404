"""Graded exercises: release student copies from the solution source, and grade submissions.

``solutions/`` is the single source. A solution cell marks its answer with nbgrader's
``### BEGIN SOLUTION`` / ``### END SOLUTION`` and a check cell its hidden tests with
``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``; both carry nbgrader cell metadata
(``grade_id``, ``points``, ``solution``, ``grade``, ``locked``), so nbgrader accepts the
notebooks as they are. This module is the small equivalent of the two nbgrader steps the
course needs (clearing solutions and autograding), built on nbformat and nbclient: nbgrader
itself pulls in a course database, a web server and their dependencies, and stays an
instructor-only extra.

Grading never trusts a submission's check cells: it rebuilds the notebook from the source,
takes only the student's solution cells (matched by ``grade_id``), and runs that copy in a
fresh kernel with a time limit for the whole notebook.
"""
from __future__ import annotations

import csv
import io
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .files import write_atomically

BADGE_TAG = "colab-badge"  # the "Open in Colab" cell tools/sync_notebooks.py writes
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STUB = 'raise NotImplementedError("Replace this line with your solution.")'
RAISES = "# NBVAL_RAISES_EXCEPTION"  # nbval: this cell of a released exercise may raise


def nbgrader_metadata(cell: nbformat.NotebookNode) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_solution(cell: nbformat.NotebookNode) -> bool:
    return bool(nbgrader_metadata(cell).get("solution"))


def is_check(cell: nbformat.NotebookNode) -> bool:
    return bool(nbgrader_metadata(cell).get("grade"))


def strip_block(source: str, begin: str, end: str, stub: str | None) -> str:
    """``source`` with every ``begin`` ... ``end`` block (markers included) removed, and
    replaced by ``stub`` at the marker's indentation when ``stub`` is given."""
    lines, inside = [], False
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip() == begin:
            if inside:
                raise ValueError(f"line {number}: {begin!r} inside another {begin!r}")
            inside = True
            if stub is not None:
                lines.append(line[:len(line) - len(line.lstrip())] + stub)
        elif line.strip() == end:
            if not inside:
                raise ValueError(f"line {number}: {end!r} without {begin!r}")
            inside = False
        elif not inside:
            lines.append(line)
    if inside:
        raise ValueError(f"{begin!r} without {end!r}")
    return "\n".join(lines)


def released_cell(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student's copy of one cell: no solution, no hidden tests, no outputs."""
    cell = nbformat.from_dict(json.loads(json.dumps(cell)))
    if cell.cell_type != "code":
        return cell
    cell.outputs, cell.execution_count = [], None
    if is_solution(cell):
        cell.source = strip_block(cell.source, BEGIN_SOLUTION, END_SOLUTION, STUB)
    if is_check(cell):
        cell.source = strip_block(cell.source, BEGIN_HIDDEN, END_HIDDEN, None)
    if is_solution(cell) or is_check(cell):
        cell.source = f"{RAISES}\n{cell.source}"
    return cell


def released(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The exercise generated from a solution notebook."""
    copy = nbformat.from_dict(json.loads(json.dumps(notebook)))
    copy.cells = [released_cell(cell) for cell in notebook.cells]
    return copy


def source_notebooks(source_dir: str | Path) -> list[Path]:
    paths = sorted(Path(source_dir).glob("*.ipynb"))
    if not paths:
        raise ValueError(f"no notebooks (*.ipynb) in {str(source_dir)!r}")
    return paths


def release(source_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Write the exercise of every notebook of ``source_dir`` into ``out_dir`` (same names);
    the paths written. Files of ``out_dir`` that are not notebooks (a README) are kept.

    A solution cell's ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` block becomes a stub
    that raises ``NotImplementedError``, hidden tests disappear, outputs are cleared, stub
    and check cells get ``# NBVAL_RAISES_EXCEPTION`` so nbval runs the exercises too, and
    the Colab badge points at the exercise.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"output folder {str(out_dir)!r} is a file")
    written = []
    for path in source_notebooks(source_dir):
        try:
            exercise = released(nbformat.read(path, as_version=4))
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from error
        for cell in exercise.cells:  # the badge opens the exercise, not the solution
            if BADGE_TAG in cell.metadata.get("tags", []):
                cell.source = cell.source.replace(f"/{path.parent.name}/{path.name})",
                                                  f"/{out_dir.name}/{path.name})")
        out_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(out_dir / path.name, nbformat.writes(exercise).encode() + b"\n")
        written.append(out_dir / path.name)
    return written


@dataclass(frozen=True)
class Task:
    """One graded task of a source notebook: its check cell and the solution cells before it."""

    grade_id: str                 # the check cell's grade_id
    points: float
    solution_ids: tuple[str, ...]  # grade_ids of the solution cells it checks


def tasks(notebook: nbformat.NotebookNode) -> list[Task]:
    found, pending = [], []
    for cell in notebook.cells:
        if is_solution(cell):
            pending.append(nbgrader_metadata(cell)["grade_id"])
        if is_check(cell):
            meta = nbgrader_metadata(cell)
            found.append(Task(meta["grade_id"], float(meta.get("points", 0)), tuple(pending)))
            pending = []
    return found


@dataclass(frozen=True)
class Result:
    """One row of the grades: a task's points for one submission, and why when not full."""

    student: str
    notebook: str
    task: str
    points: float
    max_points: float
    reason: str = ""


class BadSubmission(ValueError):
    """A submission that cannot be graded at all (unreadable, empty, not a notebook)."""


def read_submission(path: Path) -> nbformat.NotebookNode:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise BadSubmission(f"cannot read the file: {error}") from error
    if not text.strip():
        raise BadSubmission("the file is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadSubmission(f"not valid notebook JSON: {error}") from error
    if not isinstance(data, dict):
        raise BadSubmission(f"not a notebook: the JSON holds a {type(data).__name__}, "
                            f"not an object with cells")
    try:
        notebook = nbformat.reads(text, as_version=4)
        nbformat.validate(notebook)
    except (nbformat.ValidationError, KeyError, TypeError) as error:  # nbformat's own checks
        first_line = (str(error).splitlines() or [type(error).__name__])[0]
        raise BadSubmission(f"not a valid notebook: {first_line}") from error
    return notebook


def grading_copy(source: nbformat.NotebookNode, submission: nbformat.NotebookNode
                 ) -> tuple[nbformat.NotebookNode, set[str]]:
    """The source notebook with each solution cell replaced by the submission's cell of the
    same ``grade_id`` (its stub where the submission lacks it); the ids that were missing."""
    answers = {}
    for cell in submission.cells:
        grade_id = nbgrader_metadata(cell).get("grade_id")
        if cell.cell_type == "code" and is_solution(cell) and grade_id not in answers:
            answers[grade_id] = cell.source
    copy, missing = released(source), set()
    for cell, original in zip(copy.cells, source.cells):
        if is_check(cell):
            cell.source = original.source  # visible and hidden tests, from the source
        if is_solution(cell):
            grade_id = nbgrader_metadata(cell)["grade_id"]
            if grade_id in answers:
                cell.source = answers[grade_id]
            else:
                missing.add(grade_id)
    return copy, missing


def error_text(cell: nbformat.NotebookNode) -> str | None:
    """``ErrorName: message`` of the cell's first error output, or None when it ran cleanly."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}".strip()
    return None


def execute(notebook: nbformat.NotebookNode, timeout: float) -> tuple[int, str] | None:
    """Run ``notebook`` in place in a fresh kernel, in a scratch folder, within ``timeout``
    seconds in all; None when every cell ran, else the index of the cell that stopped the
    run and why."""
    deadline = time.monotonic() + timeout
    index = 0
    with tempfile.TemporaryDirectory(prefix="nasedu-grade-") as scratch:
        client = NotebookClient(notebook, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": scratch}})
        try:
            with client.setup_kernel():
                for index, cell in enumerate(notebook.cells):
                    if cell.cell_type == "code":
                        client.timeout = max(1, round(deadline - time.monotonic()))
                        client.execute_cell(cell, index)
        except CellTimeoutError:
            return index, f"the notebook ran past its time limit of {timeout:g} s"
        except DeadKernelError:
            return index, "the kernel died (out of memory, or the code exited Python)"
    return None


def task_reason(task: Task, cells: dict, missing: set[str],
                stopped: tuple[int, str] | None) -> str:
    """Why ``task`` loses its points, or "" when its check passed."""
    absent = [grade_id for grade_id in task.solution_ids if grade_id in missing]
    if absent:
        return f"solution cell {absent[0]!r} is missing from the submission"
    if stopped is not None:
        stop_index, why = stopped
        for grade_id in task.solution_ids:
            if cells[grade_id][0] == stop_index:
                return f"solution cell {grade_id!r} did not finish: {why}"
        if cells[task.grade_id][0] >= stop_index:
            return f"not run: {why}"
    for grade_id in task.solution_ids:
        if error_text(cells[grade_id][1]):
            return f"solution cell {grade_id!r} raised {error_text(cells[grade_id][1])}"
    if error_text(cells[task.grade_id][1]):
        return f"check failed: {error_text(cells[task.grade_id][1])}"
    return ""


def grade_notebook(student: str, name: str, source: nbformat.NotebookNode,
                   submission: nbformat.NotebookNode, timeout: float) -> list[Result]:
    copy, missing = grading_copy(source, submission)
    stopped = execute(copy, timeout)
    # grade_id -> (position in the notebook, executed cell)
    cells = {nbgrader_metadata(cell).get("grade_id"): (index, cell)
             for index, cell in enumerate(copy.cells)}
    results = []
    for task in tasks(source):
        reason = task_reason(task, cells, missing, stopped)
        points = 0.0 if reason else task.points
        results.append(Result(student, name, task.grade_id, points, task.points, reason))
    return results


def student_of(path: Path) -> str:
    """The student a submission belongs to: its folder, as in ``submitted/<student>/*.ipynb``."""
    return path.resolve().parent.name


def grade(submissions: Iterable[str | Path], source_dir: str | Path,
          out_csv: str | Path, timeout: float = 120) -> list[Result]:
    """Grade every submission against the notebook of the same name in ``source_dir`` and
    write ``out_csv`` (one row per task, then a ``total`` row per student); the task rows.

    Each submission runs in a fresh kernel with ``timeout`` seconds for the whole notebook.
    Only its solution cells count: checks, hidden tests and every other cell come from the
    source. A submission that cannot be read or run gets zero points with the reason on
    each task it could not earn; the others are graded normally. Submissions are only read.
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, but got {timeout=}")
    sources = {path.name: path for path in source_notebooks(source_dir)}
    results: list[Result] = []
    for path in map(Path, submissions):
        student = student_of(path)
        if path.name not in sources:
            results.append(Result(student, path.name, "-", 0.0, 0.0,
                                  f"no exercise of this name in {str(source_dir)!r}; "
                                  f"expected one of {sorted(sources)}"))
            continue
        source = nbformat.read(sources[path.name], as_version=4)
        try:
            submission = read_submission(path)
        except BadSubmission as error:
            results += [Result(student, path.name, task.grade_id, 0.0, task.points, str(error))
                        for task in tasks(source)]
            continue
        results += grade_notebook(student, path.name, source, submission, timeout)
    write_atomically(Path(out_csv), grades_csv(results).encode())
    return results


def grades_csv(results: Sequence[Result]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "notebook", "task", "points", "max_points", "reason"])
    totals: dict[str, list[float]] = {}
    for row in results:
        writer.writerow([row.student, row.notebook, row.task, f"{row.points:g}",
                         f"{row.max_points:g}", row.reason])
        total = totals.setdefault(row.student, [0.0, 0.0])
        total[0] += row.points
        total[1] += row.max_points
    for student, (points, max_points) in totals.items():
        writer.writerow([student, "", "total", f"{points:g}", f"{max_points:g}", ""])
    return buffer.getvalue()
