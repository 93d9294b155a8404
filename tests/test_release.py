"""Releasing exercises: solutions/ is the single source and exercises/ is generated from it."""
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nasedu.__main__ import main
from nasedu.grading.notebooks import read_source
from nasedu.release import (BEGIN_HIDDEN, BEGIN_SOLUTION, RAISES_TAG, STUB, release,
                            released, strip_block)

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
NBGRADER_KEYS = {"grade_id", "solution", "grade", "locked", "schema_version"}


def normalized(path):
    return json.dumps(nbformat.read(path, as_version=4), sort_keys=True, indent=1)


def graded_cells(notebook):
    return [cell for cell in notebook.cells if "nbgrader" in cell.metadata]


def test_each_exercise_follows_a_lesson_and_the_capstone_comes_after_the_last():
    lessons = sorted((ROOT / "notebooks").glob("*.ipynb"))
    *exercises, capstone = SOLUTIONS
    assert {path.name[:3] for path in exercises} <= {path.name[:3] for path in lessons}
    assert capstone.name == f"{len(lessons) + 1:02d}_capstone.ipynb"


def test_the_course_grades_at_least_twenty_tasks():
    tasks = [task for path in SOLUTIONS
             for task in read_source(path.name, path.read_bytes()).tasks]
    assert len(tasks) >= 20


def test_the_committed_exercises_are_what_release_generates(tmp_path):
    written = release(ROOT / "solutions", tmp_path / "exercises")
    committed = sorted((ROOT / "exercises").glob("*.ipynb"))
    assert [path.name for path in written] == [path.name for path in committed]
    for generated, path in zip(written, committed):
        assert normalized(generated) == normalized(path), (
            f"{path.relative_to(ROOT)} differs from its solution: run "
            f"python -m nasedu release solutions exercises")


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_each_solution_has_one_to_six_tasks_with_nbgrader_metadata(path):
    notebook = nbformat.read(path, as_version=4)
    found = read_source(path.name, path.read_bytes()).tasks
    assert 1 <= len(found) <= 6
    assert all(task.points > 0 and len(task.solution_ids) == 1 for task in found)
    ids = [cell.metadata.nbgrader.grade_id for cell in graded_cells(notebook)]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    for cell in graded_cells(notebook):
        meta = cell.metadata.nbgrader
        assert NBGRADER_KEYS <= set(meta) and meta.schema_version == 3
        if meta.solution:
            assert BEGIN_SOLUTION in cell.source and not meta.locked
        if meta.grade:
            assert meta.locked and "points" in meta and 'print("pass")' in cell.source
            assert BEGIN_HIDDEN in cell.source, f"{meta.grade_id} has no hidden tests"
            hidden = cell.source[cell.source.index(BEGIN_HIDDEN):]
            assert "\ngraded_values = " in hidden, f"{meta.grade_id} hands no values over"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_release_strips_solutions_and_hidden_tests_and_tags_cells_for_nbval(path):
    source = nbformat.read(path, as_version=4)
    exercise = released(source)
    assert len(exercise.cells) == len(source.cells)
    for cell, original in zip(exercise.cells, source.cells):
        graded = "nbgrader" in cell.metadata and cell.cell_type == "code"
        tags = cell.metadata.get("tags", [])
        assert {**cell.metadata, "tags": [t for t in tags if t != RAISES_TAG]} == {
            **original.metadata, "tags": original.metadata.get("tags", [])}
        assert (RAISES_TAG in tags) == graded
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            assert "### BEGIN" not in cell.source and "### END" not in cell.source
            assert "NBVAL" not in cell.source
        if cell.metadata.get("nbgrader", {}).get("solution"):
            assert STUB in cell.source


def test_strip_block_keeps_the_indentation_and_rejects_unbalanced_markers():
    source = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\nx = 2"
    assert strip_block(source, BEGIN_SOLUTION, "### END SOLUTION", "stub()") == \
        "def f():\n    stub()\nx = 2"
    with pytest.raises(ValueError, match="without"):
        strip_block("### BEGIN SOLUTION\nx = 1", BEGIN_SOLUTION, "### END SOLUTION", None)
    with pytest.raises(ValueError, match="without"):
        strip_block("x = 1\n### END SOLUTION", BEGIN_SOLUTION, "### END SOLUTION", None)


def test_release_keeps_other_files_and_points_the_badge_at_the_exercise(tmp_path):
    (tmp_path / "README.md").write_text("kept")
    release(ROOT / "solutions", tmp_path)
    assert (tmp_path / "README.md").read_text() == "kept"
    badge = nbformat.read(tmp_path / SOLUTIONS[0].name, as_version=4).cells[0].source
    assert f"/{tmp_path.name}/{SOLUTIONS[0].name})" in badge and "/solutions/" not in badge


def test_the_release_command_writes_the_exercises_and_fails_cleanly(tmp_path, capsys):
    assert main(["release", str(ROOT / "solutions"), str(tmp_path / "out")]) == 0
    assert f"wrote {tmp_path / 'out' / SOLUTIONS[0].name}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stopped:
        (tmp_path / "empty").mkdir()
        main(["release", str(tmp_path / "empty"), str(tmp_path / "elsewhere")])
    assert stopped.value.code == 2
    assert "no notebooks" in capsys.readouterr().err


@pytest.mark.parametrize("inside", ["", "exercises"])
def test_release_refuses_to_write_into_its_source(tmp_path, inside):
    source = tmp_path / "solutions"
    release(ROOT / "solutions", source)  # a copy to release from
    before = {path: path.read_bytes() for path in source.iterdir()}
    with pytest.raises(ValueError, match="is the source folder .* or inside it"):
        release(source, source / inside)
    assert {path: path.read_bytes() for path in source.iterdir()} == before


def test_the_release_command_refuses_its_source_as_output(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["release", str(ROOT / "solutions"), str(ROOT / "solutions")])
    assert stopped.value.code == 2 and "inside it" in capsys.readouterr().err


def test_nbgrader_clears_the_solutions_as_release_does():
    preprocessors = pytest.importorskip(
        "nbgrader.preprocessors",
        reason="nbgrader is an instructor-only extra: pip install -e '.[grading]'")
    path = ROOT / "solutions" / "02_weight_sharing.ipynb"
    by_nbgrader = nbformat.read(path, as_version=4)
    by_nbgrader, _ = preprocessors.ClearSolutions(code_stub={"python": STUB}).preprocess(
        by_nbgrader, {})
    by_nbgrader, _ = preprocessors.ClearHiddenTests().preprocess(by_nbgrader, {})
    ours = released(nbformat.read(path, as_version=4))
    for theirs, mine in zip(graded_cells(by_nbgrader), graded_cells(ours)):
        assert mine.source == theirs.source


def test_the_grader_starts_without_torch():
    """Release and grading need no network: importing them must not import torch (seconds)."""
    code = ("import sys, nasedu.grading_cli, nasedu.grading, nasedu.release; "
            "print(sorted(name for name in sys.modules if name.split('.')[0] == 'torch')[:3])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    assert result.stdout.strip() == "[]"
