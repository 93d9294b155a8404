"""Argument types and checks for the command line: each names what it allows when a value is
refused, and every one runs before any training or timing starts."""
from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import Callable

MAX_EPOCHS = 1000    # one network, 1000 epochs on digits: minutes; a typo such as 1e9 is refused
MAX_SEEDS = 100      # seeds of a table build (runs = architectures x seeds)


def integer(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high] (no upper bound if ``high`` is None)."""
    allowed = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, but got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {allowed}, but got {value}")
        return value

    return parse


def number(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a finite number in (low, high]."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not low < value <= high:
            raise argparse.ArgumentTypeError(f"must be a number in ({low:g}, {high:g}], but got "
                                             f"{text!r}")
        return value

    return parse


positive_int = integer(1)


def check_writable(option: str, path: str, *, folder: bool) -> Path:
    """Raise ValueError naming ``option`` unless ``path`` can be written (as a folder if
    ``folder``, else as a file), without creating anything: run before the work, so that a bad
    output path costs nothing."""
    if not str(path).strip():
        raise ValueError(f"{option} must be a path, but got an empty string")
    target = Path(path)
    if target.exists() and folder and not target.is_dir():
        raise ValueError(f"{option} {str(path)!r} is a file; give a folder")
    if target.exists() and not folder and target.is_dir():
        raise ValueError(f"{option} {str(path)!r} is a folder; give a file name")
    existing = target if target.exists() else target.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(f"{option} {str(path)!r} lies under {str(existing)!r}, which is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{option} {str(path)!r}: {str(existing)!r} is not writable")
    return target
