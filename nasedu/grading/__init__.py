"""Grading submitted exercises so that a student cannot game it and one submission cannot
break it: verdicts from plain values compared outside the student's kernel, confined kernels,
a time limit per task, and one-line reasons for every lost point (see :func:`grade`)."""
from .grade import Result, grade
from .kernel import Limits

__all__ = ["Limits", "Result", "grade"]
