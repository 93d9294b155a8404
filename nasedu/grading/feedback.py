"""Small helpers for the exercises' check cells: a failure names what to fix, never a raw
traceback from inside the student's function.

They run in the student's kernel, so they only give feedback; grading decides from the
values a check hands over (:mod:`.values`).

>>> outcome(lambda: 1 / 0)
'ZeroDivisionError'
>>> expect_value_error(lambda: int("x"), "int('x')", "it is not a number")
"""
from __future__ import annotations

from typing import Callable


def outcome(call: Callable[[], object]) -> object:
    """What ``call()`` returns, or the name of the exception it raises: a value a check can
    hand over whatever the student's function does."""
    try:
        return call()
    except Exception as error:
        return type(error).__name__


def expect_value_error(call: Callable[[], object], what: str, why: str) -> None:
    """Pass when ``call()`` raises ValueError; otherwise AssertionError saying that ``what``
    must raise ValueError because ``why``, and what it did instead."""
    try:
        result = call()
    except ValueError:
        return
    except Exception as error:
        raise AssertionError(f"{what} raised {type(error).__name__} ({error}); raise "
                             f"ValueError instead, with a message saying why: {why}") from None
    raise AssertionError(f"{what} returned {result!r}; it must raise ValueError: {why}")
