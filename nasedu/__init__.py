"""nasedu: how neural architecture search estimates candidate networks without training each one.

The names below are imported on first use (PEP 562), so that ``import nasedu`` and the parts
that need no network, such as the grader (``nasedu.grading``, ``nasedu.release``), start
without importing torch. ``from nasedu import train, Architecture`` works as usual.
"""
from __future__ import annotations

import sys
from types import ModuleType

from .lazy import lazy_names

__version__ = "0.1.0"

# Each public name and the module that defines it.
_HOMES = {"ALIASES": "space", "OPS": "space", "SPACES": "space", "Architecture": "space",
          "SearchSpace": "space", "get_space": "space", "ChildNet": "models", "Cost": "cost",
          "Dataset": "data", "load_dataset": "data", "resolve_device": "devices",
          "LearningCurve": "learning_curve", "TrainConfig": "train", "TrainResult": "train",
          "train": "train"}

__all__ = sorted(_HOMES)


__getattr__, __dir__ = lazy_names(__name__, _HOMES, globals())


class _Package(ModuleType):
    """Importing the submodule ``nasedu.train`` binds it as this package's ``train``, where
    the public name is the function ``nasedu.train.train``: keep the function there."""

    def __setattr__(self, name: str, value: object) -> None:
        if name == "train" and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
