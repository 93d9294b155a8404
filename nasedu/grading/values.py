"""Verdicts from plain data: a check's values leave the kernel as JSON, and the grader compares
them with the solution's values here, where the student's code cannot reach.

A check cell ends by assigning ``graded_values``, a dict of plain values (numbers, strings,
booleans, None, lists, string-keyed dicts) computed from the student's functions, and may
assign ``graded_tolerance``, the absolute tolerance of its numbers (read from the solution's
kernel only). The grader asks the kernel to print them after a random marker it cannot know in
advance and decodes them with ``json``: a display hook, an exception handler, an object whose
``__eq__`` is always true or a patched ``math.isclose`` changes nothing here.
"""
from __future__ import annotations

import json
import math
import secrets

VALUES, TOLERANCE = "graded_values", "graded_tolerance"
RELATIVE_TOLERANCE = 1e-6  # numbers closer than this are equal (float summation order)
MAX_SHOWN = 60             # characters of a value quoted in a reason


class NoValues(ValueError):
    """The kernel did not hand over the check's values (missing, not plain data, forged)."""


def export_code(marker: str, with_tolerance: bool) -> str:
    """Code that prints the marker and the check's values as one JSON line, and forgets them
    so that the next check cannot hand them over again."""
    names = f"{VALUES!r}, {TOLERANCE!r}" if with_tolerance else f"{VALUES!r}"
    return (f"print({marker!r} + __import__('json').dumps("
            f"[globals().pop(name, None) for name in ({names},)], allow_nan=False))")


def new_marker() -> str:
    return f"graded-{secrets.token_hex(16)}:"


def decode(stdout: str, marker: str) -> list:
    """The values printed after ``marker``; :class:`NoValues` unless exactly one line has it
    and it holds a dict of values (and a tolerance: a number or None)."""
    lines = [line[len(marker):] for line in stdout.splitlines() if line.startswith(marker)]
    if len(lines) != 1:
        raise NoValues("the check's values could not be read from the kernel")
    try:
        exported = json.loads(lines[0])
    except (json.JSONDecodeError, RecursionError) as error:
        raise NoValues(f"the check's values are not plain data: {error}") from error
    values = exported[0] if isinstance(exported, list) and exported else None
    if not isinstance(values, dict):
        raise NoValues("the check did not compute its values")
    return exported


def difference(got: object, expected: object, tolerance: float, where: str = "") -> str:
    """Where ``got`` first differs from ``expected`` and how, or "" when they agree."""
    if isinstance(expected, bool) or expected is None or isinstance(expected, str):
        same = type(got) is type(expected) and got == expected
    elif isinstance(expected, (int, float)):
        same = (isinstance(got, (int, float)) and not isinstance(got, bool)
                and math.isclose(got, expected, rel_tol=RELATIVE_TOLERANCE, abs_tol=tolerance))
    elif isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return mismatch(got, expected, where)
        for index, (item, wanted) in enumerate(zip(got, expected)):
            found = difference(item, wanted, tolerance, f"{where}[{index}]")
            if found:
                return found
        return ""
    else:
        if not isinstance(got, dict) or sorted(got) != sorted(expected):
            return mismatch(got, expected, where)
        for key in expected:
            found = difference(got[key], expected[key], tolerance, f"{where}[{key!r}]")
            if found:
                return found
        return ""
    return "" if same else mismatch(got, expected, where)


def mismatch(got: object, expected: object, where: str) -> str:
    return f"{where or 'value'} is {shown(got)}, expected {shown(expected)}"


def shown(value: object) -> str:
    text = json.dumps(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 3] + "..."
