"""Grading submissions into a CSV: points per task, a reason for every lost point.

Every file is read before any student code runs (so no submission can change the source or
another submission), the solution's values are computed once per source notebook in a clean
kernel, and each submission runs in kernels of its own (see :mod:`.runner`). Its rows reach the
CSV, atomically, as soon as it is graded. A capstone task (:mod:`.capstone`) is scored along
its scale instead, from the table the grader loaded before any student code ran, and its
kernels read the table only through a ledger the grader keeps.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from ..files import write_atomically
from ..release import source_notebooks
from .kernel import Limits
from .meter import Metered
from .notebooks import BadSubmission, Cell, Source, Task, answers, read_source
from .processes import subreaper
from .runner import Outcome, Runner
from .values import VALUES, difference

if TYPE_CHECKING:
    from .capstone import Capstone

MAX_REASON = 300  # characters: a reason is one line of the CSV, not a log


@dataclass(frozen=True)
class Result:
    """One row of the grades: a task's points for one submission, and why when not full."""

    student: str
    notebook: str
    task: str
    points: float
    max_points: float
    reason: str = ""


class Setting:
    """How one source notebook is run: the paths its kernels must not see and, for a
    capstone, what the grader prepared for it (``None`` otherwise)."""

    def __init__(self, source: Source, hidden: tuple[Path, ...],
                 capstone: "Capstone | None" = None) -> None:
        self.source, self.capstone = source, capstone
        self.hidden = hidden + ((capstone.hidden,) if capstone is not None else ())

    def runner(self, limits: Limits, with_tolerance: bool) -> Runner:
        metered = Metered(self.capstone.ledger()) if self.capstone is not None else None
        return Runner(limits, self.hidden, with_tolerance, metered)


def one_line(text: str) -> str:
    """``text`` as one bounded line: control characters and runs of spaces become one space."""
    text = re.sub(r"[\x00-\x20\x7f-\x9f]+", " ", text).strip()
    return text if len(text) <= MAX_REASON else text[:MAX_REASON - 3] + "..."


def check_output(out_csv: str | Path, source_dir: Path, submissions: Sequence[Path]) -> Path:
    """``out_csv`` as a path, once it is known to be a file grading may write."""
    if str(out_csv).strip() == "":
        raise ValueError("the output must name a CSV file, but got ''")
    out = Path(out_csv)
    if out.is_dir():
        raise ValueError(f"the output {str(out)!r} is a folder; name a CSV file in it")
    resolved = out.resolve()
    if resolved.is_relative_to(source_dir.resolve()):
        raise ValueError(f"the output {str(out)!r} is inside the source folder "
                         f"{str(source_dir)!r}")
    if resolved in {path.resolve() for path in submissions}:
        raise ValueError(f"the output {str(out)!r} is one of the submissions")
    return out


def reference_values(setting: Setting, limits: Limits) -> dict[str, list]:
    """Each check's ``[values, tolerance]`` from the solution itself, in a clean kernel;
    ValueError naming the cell when the solution does not pass its own checks (or, for a
    capstone, does not earn every point)."""
    source = setting.source
    with setting.runner(limits, with_tolerance=True) as runner:
        outcomes = runner.run(source.cells)
    for key, outcome in outcomes.items():
        if outcome.error:
            raise ValueError(f"source notebook {source.name}: {key} fails on the solution: "
                             f"{one_line(outcome.error)}")
    references = {task.grade_id: outcomes[task.grade_id].values for task in source.tasks}
    for task in source.tasks:
        tolerance = references[task.grade_id][1]
        if tolerance is not None and (isinstance(tolerance, bool)
                                      or not isinstance(tolerance, (int, float))
                                      or tolerance < 0):
            raise ValueError(f"source notebook {source.name}: check {task.grade_id!r} sets "
                             f"graded_tolerance={tolerance!r}; it must be a number >= 0")
        if task.verdict == "capstone":
            share, why = setting.capstone.verdict(references[task.grade_id][0],
                                                  runner.metered.ledger)
            if share < 1:
                raise ValueError(f"source notebook {source.name}: the solution's own entry "
                                 f"of {task.grade_id!r} does not earn every point: {why}")
    return references


def grading_cells(source: Source, given: dict[str, str]) -> list[Cell]:
    """The source's cells with each solution cell replaced by the student's answer (the
    source's own cell is never used: a missing answer is not run at all)."""
    return [Cell(cell.kind, cell.grade_id, given[cell.grade_id]) if cell.kind == "solution"
            else cell for cell in source.cells
            if cell.kind != "solution" or cell.grade_id in given]


def task_result(task: Task, given: dict[str, str], outcomes: dict[str, Outcome],
                reference: list, setting: Setting, runner: Runner) -> tuple[float, str]:
    """The share of ``task``'s points earned and why not all ("" when all): all when its
    values equal the solution's, or for a capstone, the share its scale gives them."""
    for grade_id in task.solution_ids:
        if grade_id not in given:
            return 0.0, f"solution cell {grade_id!r} is missing from the submission"
        outcome = outcomes[grade_id]
        if outcome.broken:
            return 0.0, f"solution cell {grade_id!r} did not finish: {outcome.error}"
        if outcome.error:
            return 0.0, f"solution cell {grade_id!r} raised {outcome.error}"
    check = outcomes[task.grade_id]
    if check.broken:
        return 0.0, f"the check did not finish: {check.error}"
    if check.error:
        return 0.0, f"check failed: {check.error}"
    if task.verdict == "capstone":
        return setting.capstone.verdict(check.values[0], runner.metered.ledger)
    expected, tolerance = reference
    found = difference(check.values[0], expected, tolerance or 0.0, VALUES)
    return (0.0, f"check failed: {found}") if found else (1.0, "")


def grade_submission(student: str, name: str, setting: Setting, payload: bytes,
                     limits: Limits, reference: dict[str, list]) -> list[Result]:
    source = setting.source
    try:
        given = answers(payload)
    except BadSubmission as error:
        return [Result(student, name, task.grade_id, 0.0, task.points, one_line(str(error)))
                for task in source.tasks]
    with setting.runner(limits, with_tolerance=False) as runner:
        outcomes = runner.run(grading_cells(source, given))
    results = []
    for task in source.tasks:
        share, reason = task_result(task, given, outcomes, reference[task.grade_id],
                                    setting, runner)
        results.append(Result(student, name, task.grade_id, round(share * task.points, 2),
                              task.points, one_line(reason)))
    return results


def student_of(path: Path) -> str:
    """The student a submission belongs to: its folder, as in ``submitted/<student>/*.ipynb``."""
    return path.resolve().parent.name


def read_all(paths: Sequence[Path]) -> list[bytes | str]:
    """Each file's bytes, or why it cannot be read: everything before any code runs."""
    found: list[bytes | str] = []
    for path in paths:
        try:
            found.append(path.read_bytes())
        except OSError as error:
            found.append(f"cannot read the file: {error.strerror or error}")
    return found


def grade(submissions: Iterable[str | Path], source_dir: str | Path, out_csv: str | Path,
          limits: Limits = Limits()) -> list[Result]:
    """Grade every submission against the notebook of the same name in ``source_dir`` and
    write ``out_csv`` (one row per task, then a ``total`` row per student); the task rows.

    A task scores when the values its check computes from the student's functions equal the
    solution's (computed once per notebook in a clean kernel), compared here and not in the
    student's kernel; a capstone task scores the share of its points that its scale gives
    the scores it hands over (``nasedu.grading.capstone``). Only a submission's solution cells count. A submission that cannot be
    read, parsed or run gets zero on what it could not earn, with a one-line reason; grading
    goes on. Submissions and the source are only read, all of them before any code runs.
    """
    paths = [Path(path) for path in submissions]
    source_dir = Path(source_dir)
    out = check_output(out_csv, source_dir, paths)
    source_paths = source_notebooks(source_dir)
    sources = {path.name: read_source(path.name, path.read_bytes()) for path in source_paths}
    payloads = read_all(paths)
    hidden = (source_dir, out.parent, *{path.parent for path in paths})
    graded = sorted({path.name for path in paths} & set(sources))
    settings = settings_of([sources[name] for name in graded], hidden)
    results: list[Result] = []
    write_atomically(out, grades_csv(results).encode())
    with subreaper():
        references = {name: reference_values(settings[name], limits) for name in graded}
        for path, payload in zip(paths, payloads):
            student = student_of(path)
            if path.name not in sources:
                results.append(Result(student, path.name, "-", 0.0, 0.0, one_line(
                    f"no exercise of this name in {str(source_dir)!r}; "
                    f"expected one of {sorted(sources)}")))
            elif isinstance(payload, str):
                results += [Result(student, path.name, task.grade_id, 0.0, task.points,
                                   one_line(payload)) for task in sources[path.name].tasks]
            else:
                results += grade_submission(student, path.name, settings[path.name], payload,
                                            limits, references[path.name])
            write_atomically(out, grades_csv(results).encode())
    return results


def settings_of(sources: list[Source], hidden: tuple[Path, ...]) -> dict[str, Setting]:
    """How each source is run; the capstone's table is loaded and its scale computed here,
    once, before any student code runs."""
    capstone = None
    if any(task.verdict == "capstone" for source in sources for task in source.tasks):
        from .capstone import Capstone
        capstone = Capstone.prepare()
    return {source.name: Setting(source, hidden, capstone
                                 if any(task.verdict == "capstone" for task in source.tasks)
                                 else None) for source in sources}


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
