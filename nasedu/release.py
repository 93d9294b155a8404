"""Graded exercises: release student copies from the solution source.

``solutions/`` is the single source. A solution cell marks its answer with nbgrader's
``### BEGIN SOLUTION`` / ``### END SOLUTION`` and a check cell its hidden tests with
``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``; both carry nbgrader cell metadata
(``grade_id``, ``points``, ``solution``, ``grade``, ``locked``), so nbgrader accepts the
notebooks as they are. This module is the small equivalent of the two nbgrader steps the
course needs (clearing solutions and autograding), built on nbformat and nbclient: nbgrader
itself pulls in a course database, a web server and their dependencies, and stays an
instructor-only extra.

Grading (:mod:`nasedu.grading`) takes only a submission's solution cells, runs them with the
source's other cells in confined kernels, and decides each task outside the student's kernel.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from .files import write_atomically

BADGE_TAG = "colab-badge"  # the "Open in Colab" cell tools/sync_notebooks.py writes
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
STUB = 'raise NotImplementedError("Replace this line with your solution.")'
RAISES_TAG = "raises-exception"  # nbval's cell tag: this cell of a released exercise may raise


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
    """The student's copy of one cell: no solution, no hidden tests, no outputs; a stub or
    check cell is tagged for nbval, which then expects it to raise, instead of carrying a
    marker line the student would read."""
    cell = copy.deepcopy(cell)
    if cell.cell_type != "code":
        return cell
    cell.outputs, cell.execution_count = [], None
    if is_solution(cell):
        cell.source = strip_block(cell.source, BEGIN_SOLUTION, END_SOLUTION, STUB)
    if is_check(cell):
        cell.source = strip_block(cell.source, BEGIN_HIDDEN, END_HIDDEN, None)
    if (is_solution(cell) or is_check(cell)) and RAISES_TAG not in cell.metadata.get("tags", []):
        cell.metadata["tags"] = [*cell.metadata.get("tags", []), RAISES_TAG]
    return cell


def released(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The exercise generated from a solution notebook."""
    exercise = copy.deepcopy(notebook)
    exercise.cells = [released_cell(cell) for cell in notebook.cells]
    return exercise


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
    and check cells get nbval's ``raises-exception`` tag so nbval runs the exercises too,
    and the Colab badge points at the exercise.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"output folder {str(out_dir)!r} is a file")
    if out_dir.resolve().is_relative_to(Path(source_dir).resolve()):
        raise ValueError(f"output folder {str(out_dir)!r} is the source folder "
                         f"{str(source_dir)!r} or inside it: the exercises would replace "
                         f"the solutions; choose another folder")
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
