"""Running a notebook's cells in confined kernels, task by task.

Each task (its solution cells and its check) has its own time limit, and each setup cell too.
When a cell breaks the kernel (a loop past the limit, a crash, an output flood), that cell
loses, the kernel and everything it started are killed, and a fresh kernel re-runs the setup
cells and the solution cells that had finished, then goes on with the next cell.
"""
from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from .kernel import Kernel, KernelBroken, Limits
from .meter import Metered
from .notebooks import Cell
from .values import NoValues, decode, export_code, new_marker


@dataclass
class Outcome:
    """What happened to one graded cell."""

    error: str = ""             # "Name: message" it raised, or why it did not finish
    broken: bool = False        # it did not finish: time limit, crash or output flood
    values: list | None = None  # a check's exported [values, tolerance], when it ran cleanly


class Runner:
    """Runs cells in order in a kernel it restarts when a cell breaks it; ``metered`` (the
    capstone's) serves a ledger to every kernel it starts."""

    def __init__(self, limits: Limits, hidden: tuple[Path, ...], with_tolerance: bool,
                 metered: Metered | None = None):
        self.limits, self.hidden, self.with_tolerance = limits, hidden, with_tolerance
        self.metered = metered
        self.kernel: Kernel | None = None
        self.folder: tempfile.TemporaryDirectory | None = None
        self.replay: list[Cell] = []  # what a fresh kernel re-runs before going on

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        if self.kernel is not None:
            kernel, self.kernel = self.kernel, None
            kernel.__exit__(None, None, None)
        if self.metered is not None:
            self.metered.detach()
        if self.folder is not None:
            folder, self.folder = self.folder, None
            folder.cleanup()

    def start(self) -> None:
        """A fresh kernel in a fresh folder, with the replayed cells run again; a replayed
        cell that breaks the kernel now is dropped from the replay and the start retried."""
        while True:
            self.stop()
            self.folder = tempfile.TemporaryDirectory(prefix="nasedu-kernel-")
            folder = Path(self.folder.name)
            served = self.metered.attach(folder) if self.metered is not None else {}
            self.kernel = Kernel(folder, self.limits, self.hidden, served).__enter__()
            try:
                for cell in self.replay:
                    self.kernel.run(cell.source, self.limits.timeout)
                return
            except KernelBroken:
                self.replay.remove(cell)

    def run(self, cells: Sequence[Cell]) -> dict[str, Outcome]:
        """Each graded cell's outcome by ``grade_id``; setup cells' errors under
        ``"setup N"`` (N counts setup cells from 1) when they raised or broke."""
        outcomes: dict[str, Outcome] = {}
        deadline = None  # of the task under way, from its first solution cell to its check
        setups = 0
        for cell in cells:
            setups += cell.kind == "setup"
            if cell.kind == "solution" and deadline is None:
                deadline = time.monotonic() + self.limits.timeout
            limit = self.limits.timeout
            if cell.kind != "setup" and deadline is not None:
                limit = max(deadline - time.monotonic(), 0.0)
            if cell.kind == "check":
                deadline = None
            try:
                if self.kernel is None:
                    self.start()
                outcome = self.run_cell(cell, limit)
            except KernelBroken as why:
                outcome = Outcome(error=str(why), broken=True)
                self.stop()
            if not outcome.error and cell.kind != "check":
                self.replay.append(cell)
            if outcome.error or cell.kind != "setup":
                outcomes[cell.grade_id or f"setup {setups}"] = outcome
        self.stop()
        return outcomes

    def run_cell(self, cell: Cell, limit: float) -> Outcome:
        started = time.monotonic()
        reply = self.kernel.run(cell.source, limit)
        if cell.kind != "check" or reply.error:
            return Outcome(error=reply.error)
        marker = new_marker()
        remaining = max(limit - (time.monotonic() - started), 1.0)
        exported = self.kernel.run(export_code(marker, self.with_tolerance), remaining)
        try:
            return Outcome(values=decode(exported.stdout, marker))
        except NoValues as why:
            return Outcome(error=str(why))
