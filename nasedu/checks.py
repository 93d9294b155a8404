"""One check for the integer arguments of the whole library: a clear error naming the argument
and its range, never a traceback from inside torch, numpy or scikit-learn.

>>> check_integer("epochs", 12, 1, 10_000)
12
"""
from __future__ import annotations

import numbers


def check_integer(name: str, value: object, low: int, high: int | None = None) -> int:
    """Return ``value`` as an int if it is an integer (Python's or numpy's, not a bool) in
    [low, high] (no upper bound if ``high`` is None); otherwise raise ValueError naming
    ``name`` and the range."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low
            or (high is not None and value > high)):
        allowed = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
        raise ValueError(f"{name} must be {allowed}, but got {name}={value!r}")
    return int(value)
