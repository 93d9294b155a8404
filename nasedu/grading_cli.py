"""The instructors' commands: ``release`` (exercises from solutions) and ``grade``."""
from __future__ import annotations

import argparse

from .arguments import positive_int


def command_release(args: argparse.Namespace) -> None:
    from .release import release
    for path in release(args.source_dir, args.out_dir):
        print(f"wrote {path}")


def command_grade(args: argparse.Namespace) -> None:
    from .grading import Limits, grade
    limits = Limits(timeout=args.timeout, memory_mib=args.memory, sandbox=args.sandbox)
    results = grade(args.submissions, args.source, args.out, limits)
    graded = len({(row.student, row.notebook) for row in results})
    failed = sum(1 for row in results if row.reason)
    print(f"graded {graded} submission(s); {failed} task(s) without full points "
          f"(reasons in the file)")
    print(f"wrote {args.out}")


def add_grading_commands(commands) -> None:
    """Add ``release`` and ``grade`` to the command line's sub-parsers."""
    release_cmd = commands.add_parser(
        "release", help="generate exercise notebooks from solution notebooks",
        description="Write the exercise of every solution notebook: solution blocks become "
                    "stubs that raise NotImplementedError, hidden tests and outputs go.")
    release_cmd.add_argument("source_dir", help="folder of solution notebooks, e.g. solutions")
    release_cmd.add_argument("out_dir", help="folder to write the exercises to, e.g. exercises "
                                             "(not the source folder nor inside it)")
    release_cmd.set_defaults(run=command_release)

    grade_cmd = commands.add_parser(
        "grade", help="grade submitted exercise notebooks into a CSV",
        description="Run each submission's solution cells in confined kernels with the other "
                    "cells of the solution notebook of the same name, and score a task when "
                    "the values its check computes equal the solution's; write points per "
                    "task and a total per student (the submission's folder). Submissions "
                    "are only read.")
    grade_cmd.add_argument("submissions", nargs="+", help="e.g. submitted/*/01_cost.ipynb")
    grade_cmd.add_argument("--source", default="solutions", help="folder of solution notebooks")
    grade_cmd.add_argument("--out", default="grades.csv", help="CSV file to write")
    grade_cmd.add_argument("--timeout", type=positive_int, default=120,
                           help="seconds each task may run, and each setup cell "
                                "(default %(default)s)")
    grade_cmd.add_argument("--memory", type=positive_int, default=2048,
                           help="MiB of address space each kernel process may use "
                                "(default %(default)s)")
    grade_cmd.add_argument("--sandbox", action="store_true",
                           help="run each kernel under bubblewrap (bwrap): no network, a "
                                "read-only system, nothing of the grader's files visible")
    grade_cmd.set_defaults(run=command_grade)
