"""What a seed may be, checked in one place for every ``seed=`` argument of the library.

>>> check_seed(7)
7
"""
from __future__ import annotations

from .checks import check_integer

# Seeds go into torch (manual_seed takes up to 2**64 - 1), numpy's Generator (any size) and
# scikit-learn's random_state (numpy's legacy generator: at most 2**32 - 1); one range for all.
MAX_SEED = 2**32 - 1


def check_seed(seed: object, name: str = "seed") -> int:
    """Return ``seed`` as an int if it is an integer (Python's or numpy's) in [0, MAX_SEED];
    otherwise (a float, a string, a bool, a negative or too large number) raise ValueError
    naming ``name`` and the range."""
    return check_integer(name, seed, 0, MAX_SEED)
