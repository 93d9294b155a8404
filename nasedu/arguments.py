"""Argument types for the command line: each names what it allows when a value is refused."""
from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, but got {value}")
    return value
