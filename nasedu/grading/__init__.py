"""Grading submitted exercises so that a student cannot game it and one submission cannot
break it: verdicts from plain values compared outside the student's kernel, confined kernels,
a time limit per task, and one-line reasons for every lost point (see :func:`grade`).

``grade``, ``Result`` and ``Limits`` are imported on first use (PEP 562): a student's kernel
that imports ``nasedu.grading.feedback`` for its checks does not pay for nbformat and jsonschema,
which only the grader needs.
"""
from __future__ import annotations

from ..lazy import lazy_names

_HOMES = {"Result": "grade", "grade": "grade", "Limits": "kernel"}

__all__ = ["Limits", "Result", "grade"]

__getattr__, __dir__ = lazy_names(__name__, _HOMES, globals())
