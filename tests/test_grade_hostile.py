"""Hostile and broken submissions, graded in one run with honest students: what was not solved
scores nothing, the honest students keep full marks, the run never aborts and no process of a
student outlives grading. With ``--sandbox`` (bubblewrap) also: the source stays out of reach,
the grader cannot be killed and no file outside the grader's output changes."""
import csv
import json
import os
import shutil
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from nasedu.__main__ import main
from nasedu.bench import load
from nasedu.grading import Limits, capstone, grade
from nasedu.grading.grade import MAX_REASON
from nasedu.release import released

MARKER = "nasedu-hostile-test-process"  # in the command line of every process a student starts
LIMIT = 8  # seconds per task


def graded_cell(grade_id, source, **nbgrader):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "locked": False, "schema_version": 3,
                                 "solution": False, "grade": False, "task": False, **nbgrader}
    return cell


def tiny_source():
    """Two tasks, add (1 point) and double (2 points); checks compare with math.isclose and
    with a helper of the notebook, as the course's checks compare with nasedu."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell("import math\n\n\ndef reference_add(a, b):\n    return a + b"),
        graded_cell("add", "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n"
                           "    ### END SOLUTION", solution=True),
        graded_cell("add_check", "assert math.isclose(add(1, 2), reference_add(1, 2))\n"
                                 "### BEGIN HIDDEN TESTS\n"
                                 'graded_values = {"add(-1, 1)": add(-1, 1), "add(2, 5)": add(2, 5)}\n'
                                 "### END HIDDEN TESTS\nprint(\"pass\")",
                    grade=True, locked=True, points=1),
        graded_cell("double", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                              "    ### END SOLUTION", solution=True),
        graded_cell("double_check", "assert double(4) == 8\n### BEGIN HIDDEN TESTS\n"
                                    'graded_values = {"double(-3)": double(-3)}\n'
                                    "### END HIDDEN TESTS", grade=True, locked=True, points=2),
    ]
    return notebook


def submission(add=None, double=None):
    """The exercise with the given answers; a cell left None keeps its stub."""
    notebook = released(tiny_source())
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        answer = {"add": add, "double": double}.get(grade_id)
        if answer is not None:
            cell.source = textwrap.dedent(answer)
    return nbformat.writes(notebook)


SOLVED_ADD = "def add(a, b):\n    return a + b"
SOLVED_DOUBLE = "def double(x):\n    return x + x"
FIND_FILES = """
        import glob, os
        def find(pattern):
            return sorted(glob.glob(f"CLASS_FOLDER/**/{pattern}", recursive=True))
        """  # the attacks below are indented as this is, for textwrap.dedent
DETACH = f"""
        import subprocess
        subprocess.Popen(["setsid", "sleep", "300", "{MARKER}"])
        script = ("import os, sys, time\\n"
                  "if os.fork(): sys.exit()\\n"
                  "os.setsid()\\n"
                  "time.sleep(3)\\n"
                  "for path in {{paths}}:\\n"
                  "    open(path, 'w').write('student,total\\\\nmallory,1000\\\\n')\\n"
                  "# {MARKER}")
        """
# student -> (submission text, points expected for add_check and double_check)
HOSTILE = {
    "display_hook": (submission(add="get_ipython().showtraceback = lambda *a, **k: None\n"
                                    "get_ipython()._showtraceback = lambda *a, **k: None"),
                     (0, 0)),
    "exception_handler": (submission(
        add="get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)"), (0, 0)),
    "input_transformer": (submission(
        add="get_ipython().input_transformers_post.append(lambda lines: ['print(1)\\n'])"),
        (0, 0)),
    "patched_comparisons": (submission(add="""
        import math
        import numpy
        math.isclose = numpy.allclose = lambda *args, **kwargs: True
        reference_add = lambda a, b: add(a, b)
        def add(a, b):
            return a * b
        """), (0, 0)),
    "always_equal": (submission(add="""
        class Yes(int):
            def __eq__(self, other):
                return True
            __hash__ = int.__hash__
        class Anything:
            __eq__ = lambda self, other: True
        def add(a, b):
            return Yes(0)
        def double(x):
            return Anything()
        """, double="pass"), (0, 0)),
    "memory_hog": (submission(add="data = bytearray(3 * 2**30)", double=SOLVED_DOUBLE), (0, 2)),
    "output_flood": (submission(add="for _ in range(300):\n    print('x' * 2**20)",
                                double=SOLVED_DOUBLE), (0, 2)),
    "endless_loop": (submission(add="while True:\n    pass", double=SOLVED_DOUBLE), (0, 2)),
    "crash": (submission(add="import os\nos.kill(os.getpid(), 9)", double=SOLVED_DOUBLE),
              (0, 2)),
    "huge_message": (submission(add="raise ValueError('x\\n' * 1_000_000)",
                                double=SOLVED_DOUBLE), (0, 2)),
    "overwrites_later_submission": (submission(add=FIND_FILES + """
        for path in find("honest_last/tiny.ipynb"):
            open(path, "w").write("{}")
        """), (0, 0)),
    "rewrites_source_checks": (submission(add=FIND_FILES + """
        import json
        for path in find("source/tiny.ipynb"):
            notebook = json.load(open(path))
            for cell in notebook["cells"]:
                if cell["metadata"].get("nbgrader", {}).get("grade"):
                    cell["source"] = "graded_values = {}"
            json.dump(notebook, open(path, "w"))
        """), (0, 0)),
    "detached_processes": (submission(add=FIND_FILES + DETACH + """
        subprocess.Popen(["python", "-c", script.format(paths=find("grades.csv"))],
                         start_new_session=True)
        """), (0, 0)),
}
# Attacks only a sandbox stops: without it the kernel runs as the grader's user.
SANDBOX_ONLY = {
    "reads_the_source": (submission(add=FIND_FILES + """
        import json
        for path in find("*.ipynb") + find("*/*.ipynb"):
            try:
                cells = json.load(open(path))["cells"]
            except (OSError, ValueError):
                continue
            for cell in cells:
                text = "".join(cell["source"])
                if "### BEGIN SOLUTION" in text and text.startswith("def "):
                    exec(text)
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                print(open(f"/proc/{pid}/cmdline").read(), os.readlink(f"/proc/{pid}/cwd"))
            except OSError:
                pass
        """), (0, 0)),
    "kills_everything": (submission(add="""
        import os, signal
        for pid in filter(str.isdigit, os.listdir("/proc")):
            if int(pid) != os.getpid():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass
        os.kill(os.getppid(), signal.SIGKILL)
        """), (0, 0)),
}
MALFORMED = {
    "nbgrader_string": lambda data: data["cells"][1]["metadata"].update(nbgrader="solution"),
    "nbgrader_list": lambda data: data["cells"][1]["metadata"].update(nbgrader=[1]),
    "grade_id_list": lambda data: data["cells"][1]["metadata"]["nbgrader"].update(
        grade_id=["add"]),
    "nbformat_99": lambda data: data.update(nbformat=99),
    "nbformat_text": lambda data: data.update(nbformat="4"),
    "nbformat_null": lambda data: data.update(nbformat=None),
    "nbformat_missing": lambda data: data.pop("nbformat"),
    "cells_text": lambda data: data.update(cells="cells"),
    "source_number": lambda data: data["cells"][1].update(source=7),
}


def malformed(change):
    data = json.loads(submission(add=SOLVED_ADD, double=SOLVED_DOUBLE))
    change(data)
    return json.dumps(data)


def surviving_processes():
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and MARKER in (entry / "cmdline").read_text():
                found.append(entry.name)
        except OSError:
            continue
    return found


def run_class(folder, sandbox):
    """Honest students first and last, every hostile and broken one between, one run."""
    (folder / "source").mkdir()
    nbformat.write(tiny_source(), folder / "source" / "tiny.ipynb")
    students = {"honest_first": (submission(add=SOLVED_ADD, double=SOLVED_DOUBLE), (1, 2))}
    students.update(HOSTILE)
    if sandbox:
        students.update(SANDBOX_ONLY)
    students.update({name: (malformed(change), (0, 0)) for name, change in MALFORMED.items()})
    students["blank_after_source_rewrite"] = (submission(), (0, 0))
    students["honest_last"] = (submission(add=SOLVED_ADD, double=SOLVED_DOUBLE), (1, 2))
    paths = []
    for student, (text, _) in students.items():
        (folder / student).mkdir()
        # the attacks look for files in the class's folder only, never elsewhere on the machine
        (folder / student / "tiny.ipynb").write_text(text.replace("CLASS_FOLDER", str(folder)))
        paths.append(folder / student / "tiny.ipynb")
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    before = {path: path.read_bytes() for path in files}
    out = folder / "out" / "grades.csv"
    results = grade(paths, folder / "source", out, Limits(timeout=LIMIT, sandbox=sandbox))
    time.sleep(4)  # longer than the detached writer waits
    return {"results": results, "expected": {s: points for s, (_, points) in students.items()},
            "before": before, "out": out, "written": out.read_text(),
            "surviving": surviving_processes(), "sandbox": sandbox}


def sandbox_available():
    return shutil.which("bwrap") is not None


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "sandbox"])
def graded_class(request, tmp_path_factory):
    if request.param and not sandbox_available():
        pytest.skip("--sandbox needs bubblewrap: apt-get install bubblewrap")
    graded = run_class(tmp_path_factory.mktemp("class"), sandbox=request.param)
    yield graded
    for pid in graded["surviving"]:  # never leave a stray process, even when a test fails
        if Path(f"/proc/{pid}").exists():
            os.kill(int(pid), 9)


def points_of(graded):
    found = {}
    for row in graded["results"]:
        found.setdefault(row.student, []).append(row.points)
    return {student: tuple(points) for student, points in found.items()}


def test_every_student_gets_exactly_what_was_solved(graded_class):
    assert points_of(graded_class) == graded_class["expected"]


def test_reasons_are_one_bounded_line_without_kernel_noise(graded_class):
    for row in graded_class["results"]:
        assert "\n" not in row.reason and len(row.reason) <= MAX_REASON, row
        assert "Traceback" not in row.reason and "zmq" not in row.reason.lower(), row
        assert bool(row.reason) == (row.points < row.max_points), row


def test_broken_notebooks_say_what_is_wrong(graded_class):
    rows = {row.student: row.reason for row in graded_class["results"]}
    assert "metadata.nbgrader must be an object" in rows["nbgrader_string"]
    assert "grade_id must be a string" in rows["grade_id_list"]
    assert "nbformat is 99" in rows["nbformat_99"]
    assert "nbformat is None" in rows["nbformat_missing"]


def test_a_loop_and_a_crash_cost_only_their_task(graded_class):
    rows = {(row.student, row.task): row.reason for row in graded_class["results"]}
    assert rows[("endless_loop", "add_check")] == (
        f"solution cell 'add' did not finish: ran past the time limit of {LIMIT} s")
    assert "printed more than" in rows[("output_flood", "add_check")]
    assert "kernel died" in rows[("crash", "add_check")]


def test_the_csv_is_the_graders_and_no_student_process_survives(graded_class):
    assert graded_class["surviving"] == []
    with open(graded_class["out"], newline="") as file:
        rows = [row for row in csv.DictReader(file) if row["task"] != "total"]
    assert len(rows) == len(graded_class["results"])
    assert "mallory" not in graded_class["written"]


def test_attacks_on_files_change_no_grade_and_in_the_sandbox_no_file(graded_class):
    if graded_class["sandbox"]:  # out of reach: no file outside the output changes
        for path, content in graded_class["before"].items():
            assert path.read_bytes() == content, path
        return
    # Without the sandbox a student's kernel can write the grader's files (the README says
    # so), but everything was read first: the grades stay right.
    folder = graded_class["out"].parents[1]
    assert (folder / "honest_last" / "tiny.ipynb").read_text() == "{}"
    assert "graded_values = {}" in (folder / "source" / "tiny.ipynb").read_text()
    assert points_of(graded_class)["honest_last"] == (1, 2)
    assert points_of(graded_class)["blank_after_source_rewrite"] == (0, 0)


def test_the_output_is_checked_before_anything_is_graded(tmp_path, capsys):
    (tmp_path / "source").mkdir()
    nbformat.write(tiny_source(), tmp_path / "source" / "tiny.ipynb")
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "tiny.ipynb").write_text(submission())
    for out, why in [(tmp_path, "is a folder"), ("", "must name a CSV file"),
                     (tmp_path / "source" / "grades.csv", "inside the source folder"),
                     (tmp_path / "alice" / "tiny.ipynb", "is one of the submissions")]:
        started = time.monotonic()
        with pytest.raises(SystemExit) as stopped:
            main(["grade", str(tmp_path / "alice" / "tiny.ipynb"), "--source",
                  str(tmp_path / "source"), "--out", str(out)])
        assert stopped.value.code == 2 and why in capsys.readouterr().err
        assert time.monotonic() - started < 2, "the output was checked after grading"


def test_the_real_exercises_give_nothing_for_a_forged_verdict(course_grades):
    """The course's own checks: a silenced traceback ("display_hook") and patched comparisons
    ("patched") on 01_cost, submissions of conftest.py's run of the course."""
    points = [row["points"] for row in course_grades["rows"]
              if row["student"] in ("display_hook", "patched") and row["task"] != "total"]
    assert points and points == ["0"] * len(points)


# The capstone: scores ranked by the grader against seeds the kernel cannot read (under the
# sandbox), every epoch read counted by the grader, the budget held across views and kernels.
CAPSTONE_SOLUTION = """
        import math
        import numpy as np
        def estimate(view):
            curves = view.read(view.archs, 2)
            signals = [[float(np.mean(curves[a])) for a in view.archs],
                       [math.log(view.parameters(a)) for a in view.archs]]
            total = sum((np.array(s) - np.mean(s)) / np.std(s) for s in signals)
            return dict(zip(view.archs, total.tolist()))
        """
CAPSTONE_CHECK = ('scores = estimate(view)\n### BEGIN HIDDEN TESTS\n'
                  'graded_values = {"scores": {a.compact(): float(scores[a]) '
                  'for a in view.archs}}\n### END HIDDEN TESTS\nprint("pass")')


def capstone_source():
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = tiny_source().metadata["kernelspec"]
    check = graded_cell("entry_check", CAPSTONE_CHECK, grade=True, locked=True, points=6)
    check.metadata["nasedu"] = {"verdict": "capstone"}
    notebook.cells = [
        nbformat.v4.new_code_cell("from nasedu.grading.view import open_view\nview = open_view()"),
        graded_cell("entry", textwrap.dedent(CAPSTONE_SOLUTION).replace(
            "def estimate(view):\n", "def estimate(view):\n    ### BEGIN SOLUTION\n") +
            "    ### END SOLUTION", solution=True),
        check]
    return notebook


def capstone_entry(code):
    notebook = released(capstone_source())
    notebook.cells[1].source = textwrap.dedent(code)
    return nbformat.writes(notebook)


CAPSTONE_ENTRIES = {  # student -> (entry, points expected)
    "honest": (capstone_entry(CAPSTONE_SOLUTION), 6.0),
    "size_only": (capstone_entry("""
        def estimate(view):
            return {arch: view.parameters(arch) for arch in view.archs}
        """), 1.0),
    "over_budget": (capstone_entry("""
        def estimate(view):
            return {a: c[-1] for a, c in view.read(view.archs, view.max_epochs).items()}
        """), 0.0),
    "second_view": (capstone_entry(CAPSTONE_SOLUTION + """
        from nasedu.grading.view import open_view
        def estimate(view, first=estimate):
            open_view().read(view.archs, 3)  # another view, the same budget
            return first(view)
        """), 0.0),
    "forged_cost": (capstone_entry(CAPSTONE_SOLUTION + """
        import nasedu.grading.meter as meter
        meter.Ledger.cost_of = lambda self, reached: 0.0
        def estimate(view, first=estimate):
            view.cost, view.budget = 0.0, 1e9
            view.read(view.archs, view.max_epochs)
            return first(view)
        """), 0.0),
}
CAPSTONE_SANDBOX_ONLY = {
    "reads_the_truth": (capstone_entry("""
        from nasedu.bench import load
        def estimate(view):
            return dict(zip(view.archs, load("five-op").finals([1, 2]).tolist()))
        """), 0.0),
}


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "sandbox"])
def graded_capstone(request, tmp_path_factory):
    """A class of capstone entries; the scale's anchors are set so that the honest entry
    reaches the top (computing them trains a supernet, which this test need not wait for)."""
    if request.param and not sandbox_available():
        pytest.skip("--sandbox needs bubblewrap: apt-get install bubblewrap")
    folder = tmp_path_factory.mktemp("capstone")
    (folder / "source").mkdir()
    nbformat.write(capstone_source(), folder / "source" / "capstone.ipynb")
    entries = {**CAPSTONE_ENTRIES, **(CAPSTONE_SANDBOX_ONLY if request.param else {})}
    paths = []
    for student, (text, _) in entries.items():
        (folder / student).mkdir()
        (folder / student / "capstone.ipynb").write_text(text)
        paths.append(folder / student / "capstone.ipynb")
    bench = load(capstone.TABLE)
    scale = capstone.Scale(capstone.truth_of(bench), "parameter count", proxy_tau=0.7,
                           sharing_tau=0.72, ceiling_tau=0.8)
    patch = pytest.MonkeyPatch()
    patch.setattr(capstone.Capstone, "prepare", classmethod(lambda cls: cls(bench, scale)))
    try:
        results = grade(paths, folder / "source", folder / "grades.csv",
                        Limits(timeout=60, sandbox=request.param))
    finally:
        patch.undo()
    return {"rows": {row.student: row for row in results},
            "expected": {student: points for student, (_, points) in entries.items()}}


def test_capstone_entries_get_the_points_of_what_they_read_within_the_budget(graded_capstone):
    assert {student: row.points for student, row in graded_capstone["rows"].items()} == \
        graded_capstone["expected"]


def test_capstone_reasons_say_what_was_measured_or_refused(graded_capstone):
    rows = graded_capstone["rows"]
    assert rows["honest"].reason == ""
    assert "Kendall tau" in rows["size_only"].reason and "after reading 0.0%" in \
        rows["size_only"].reason
    for student in ("over_budget", "second_view", "forged_cost"):
        assert "over the budget" in rows[student].reason, rows[student]
    if "reads_the_truth" in rows:
        assert "five-op" in rows["reads_the_truth"].reason
