"""What grading reads from a notebook: its tasks from the source, the answers from a submission.

A submission is untrusted data. It is read as plain JSON and checked field by field, so that
any malformed file (a string where metadata belongs, an unknown ``nbformat``, a list as a
``grade_id``) becomes one :class:`BadSubmission` with a one-line reason, never a traceback.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

MAX_NOTEBOOK_BYTES = 50 * 2**20  # a notebook of the course is a few hundred KiB
# How a check's values become points (a check cell's metadata "nasedu": {"verdict": ...}):
# "values" when they equal the solution's, "capstone" along the capstone's published scale.
VERDICTS = ("values", "capstone")


class BadSubmission(ValueError):
    """A submission that cannot be graded at all (unreadable, empty, not a notebook)."""


@dataclass(frozen=True)
class Cell:
    """One code cell to run: the source's code, or a student's answer in a solution cell."""

    kind: str      # "setup" (any ungraded cell), "solution" or "check"
    grade_id: str  # "" for setup cells
    source: str


@dataclass(frozen=True)
class Task:
    """One graded task of a source notebook: its check cell and the solution cells before it."""

    grade_id: str                  # the check cell's grade_id
    points: float
    solution_ids: tuple[str, ...]  # grade_ids of the solution cells it checks
    verdict: str = "values"        # one of VERDICTS


def text_of(source: object, where: str) -> str:
    """A cell's source as one string (notebooks store it as a string or a list of lines)."""
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    raise BadSubmission(f"{where}: source must be a string or a list of strings, "
                        f"but got {type(source).__name__}")


def nbgrader_of(cell: dict, where: str) -> dict:
    """The cell's nbgrader metadata ({} when absent), checked for the fields grading reads."""
    metadata = cell.get("metadata", {})
    if not isinstance(metadata, dict):
        raise BadSubmission(f"{where}: metadata must be an object, "
                            f"but got {type(metadata).__name__}")
    nbgrader = metadata.get("nbgrader", {})
    if not isinstance(nbgrader, dict):
        raise BadSubmission(f"{where}: metadata.nbgrader must be an object, "
                            f"but got {type(nbgrader).__name__}")
    if "grade_id" in nbgrader and not isinstance(nbgrader["grade_id"], str):
        raise BadSubmission(f"{where}: grade_id must be a string, "
                            f"but got {type(nbgrader['grade_id']).__name__}")
    return nbgrader


def code_cells(data: object) -> list[tuple[dict, str]]:
    """Each code cell of a parsed notebook with its nbgrader metadata checked; raises
    :class:`BadSubmission` naming the first field that is not what nbformat 4 allows."""
    if not isinstance(data, dict):
        raise BadSubmission(f"not a notebook: the JSON holds a {type(data).__name__}, "
                            f"not an object with cells")
    if data.get("nbformat") != 4 or isinstance(data.get("nbformat"), bool):
        raise BadSubmission(f"not a notebook of format 4: nbformat is {data.get('nbformat')!r}")
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise BadSubmission(f"not a notebook: cells must be a list, "
                            f"but got {type(cells).__name__}")
    found = []
    for number, cell in enumerate(cells, start=1):
        where = f"cell {number}"
        if not isinstance(cell, dict):
            raise BadSubmission(f"{where} must be an object, but got {type(cell).__name__}")
        if cell.get("cell_type") == "code":
            found.append(({**cell, "source": text_of(cell.get("source", ""), where)},
                          nbgrader_of(cell, where)))
        else:
            nbgrader_of(cell, where)
    return found


def answers(payload: bytes) -> dict[str, str]:
    """A submission's solution cells, ``grade_id -> source`` (the first cell of each id)."""
    if len(payload) > MAX_NOTEBOOK_BYTES:
        raise BadSubmission(f"the file has {len(payload)} bytes, more than the "
                            f"{MAX_NOTEBOOK_BYTES} a notebook may have")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadSubmission(f"cannot read the file: {error}") from error
    if not text.strip():
        raise BadSubmission("the file is empty")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise BadSubmission(f"not valid notebook JSON: {error}") from error
    found: dict[str, str] = {}
    for cell, nbgrader in code_cells(data):
        if nbgrader.get("solution") is True and "grade_id" in nbgrader:
            found.setdefault(nbgrader["grade_id"], cell["source"])
    return found


@dataclass(frozen=True)
class Source:
    """A source notebook as grading uses it: its code cells in order, and its tasks."""

    name: str
    cells: tuple[Cell, ...]
    tasks: tuple[Task, ...]


def read_source(name: str, payload: bytes) -> Source:
    """Parse a solution notebook; ValueError naming the notebook and the cell when its
    nbgrader metadata cannot be graded (no grade_id, points that are not a number)."""
    try:
        data = json.loads(payload.decode("utf-8"))
        cells, tasks, pending = [], [], []
        for cell, nbgrader in code_cells(data):
            grade_id = nbgrader.get("grade_id", "")
            if nbgrader.get("solution") is True:
                cells.append(Cell("solution", required_id(grade_id), cell["source"]))
                pending.append(grade_id)
            elif nbgrader.get("grade") is True:
                cells.append(Cell("check", required_id(grade_id), cell["source"]))
                tasks.append(Task(grade_id, points_of(nbgrader), tuple(pending),
                                  verdict_of(cell, grade_id)))
                pending = []
            else:
                cells.append(Cell("setup", "", cell["source"]))
    except (UnicodeDecodeError, json.JSONDecodeError, BadSubmission) as error:
        raise ValueError(f"source notebook {name}: {error}") from error
    ids = [cell.grade_id for cell in cells if cell.grade_id]
    if len(ids) != len(set(ids)):
        raise ValueError(f"source notebook {name}: grade_ids must be unique, but got {ids}")
    return Source(name, tuple(cells), tuple(tasks))


def required_id(grade_id: str) -> str:
    if not grade_id:
        raise BadSubmission("a graded cell has no grade_id")
    return grade_id


def points_of(nbgrader: dict) -> float:
    points = nbgrader.get("points", 0)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
        raise BadSubmission(f"check {nbgrader['grade_id']!r}: points must be a number >= 0, "
                            f"but got {points!r}")
    return float(points)


def verdict_of(cell: dict, grade_id: str) -> str:
    settings = cell.get("metadata", {}).get("nasedu", {})
    verdict = settings.get("verdict", "values") if isinstance(settings, dict) else settings
    if verdict not in VERDICTS:
        raise BadSubmission(f"check {grade_id!r}: verdict must be one of {list(VERDICTS)}, "
                            f"but got {verdict!r}")
    return verdict
