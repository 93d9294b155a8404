"""Names a package imports on first use (PEP 562), so that importing the package stays cheap.

>>> import nasedu.grading
>>> "grade" in dir(nasedu.grading), nasedu.grading.grade.__module__
(True, 'nasedu.grading.grade')
"""
from __future__ import annotations

from importlib import import_module
from typing import Callable, Mapping


def lazy_names(package: str, homes: Mapping[str, str],
               namespace: dict) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: each name of ``homes`` is imported
    from its submodule (``homes[name]``, relative to ``package``) when first read, and kept in
    the package's ``namespace`` (its ``globals()``)."""

    def __getattr__(name: str) -> object:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f".{homes[name]}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *homes})

    return __getattr__, __dir__
