"""What the capstone's estimator may read of the ground truth: one seed, charged per epoch.

``open_view()`` returns a :class:`SeedView` of seed ``capstone.READABLE_SEED`` of the
``capstone.TABLE`` table. It is a trainer for the pruning rules (``max_epochs`` and
``advance(arch, epoch)``, as ``nasedu.pruning`` asks), it says what each architecture is for
free (``parameters``), and it charges every epoch it replays, as replayed training, up to
the budget (``cost``, ``budget``, ``exhaustive``: epoch-equivalents). Nothing else of the table
is in it: no other seed, no final accuracy.

On a student's machine the view reads the shipped table; when grading, it asks the grader over
a Unix socket (its path in the environment variable ``NASEDU_VIEW_SOCKET``), and the grader
keeps the count.
"""
from __future__ import annotations

import json
import os
import socket
from typing import Sequence

from ..protocol import Protocol
from ..space import Architecture, SearchSpace
from . import capstone
from .meter import ENVIRONMENT, MAX_REQUEST, Ledger


class LocalBackend:
    """The view's answers from a ledger in this process (and the scale computed here)."""

    def __init__(self, ledger: Ledger, bench) -> None:
        self.ledger, self.bench, self.scale_ = ledger, bench, None

    def request(self, payload: dict) -> dict:
        return self.ledger.answer(json.loads(json.dumps(payload)))

    def scale(self) -> capstone.Scale:
        if self.scale_ is None:
            self.scale_ = capstone.compute_scale(self.bench)
        return self.scale_


class SocketBackend:
    """The view's answers from the grader, one connection per request."""

    def __init__(self, path: str) -> None:
        self.path = path

    def request(self, payload: dict) -> dict:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(self.path)
            connection.sendall(json.dumps(payload).encode() + b"\n")
            reply = connection.makefile("rb").readline(16 * MAX_REQUEST)
        return json.loads(reply)

    def scale(self) -> capstone.Scale:
        return capstone.Scale.from_dict(self.request({"describe": True})["info"]["scale"])


class SeedView:
    """One seed of a ground-truth table, read epoch by epoch and charged for it."""

    def __init__(self, backend: LocalBackend | SocketBackend) -> None:
        self.backend = backend
        info = self.ask({"describe": True})["info"]
        self.space = SearchSpace(tuple(info["ops"]), info["num_layers"], name=info["space"])
        self.archs = self.space.enumerate()
        self.protocol = Protocol.from_dict(info["protocol"])
        self.seed, self.table = info["seed"], info["table"]
        self.max_epochs = info["max_epochs"]   # epochs of a full training
        self.budget = info["budget"]           # epoch-equivalents the view may replay
        self.exhaustive = info["exhaustive"]   # epoch-equivalents of training each arch once
        self.counts = info["parameters"]
        self.cost = 0.0                        # epoch-equivalents replayed so far

    def ask(self, payload: dict) -> dict:
        reply = self.backend.request(payload)
        if "error" in reply:
            raise ValueError(reply["error"])
        self.cost = reply["charged"]
        return reply

    def parameters(self, arch: Architecture | str) -> int:
        """The parameter count of ``arch``'s stand-alone network (free: no training)."""
        return self.counts[self.space.validate(arch).compact()]

    def read(self, archs: Sequence[Architecture | str], epoch: int) -> dict:
        """``{arch: its first epoch validation accuracies}`` for every arch of ``archs``,
        in one request; ValueError, and nothing charged, when it would pass the budget."""
        archs = [self.space.validate(arch) for arch in archs]
        if not archs:
            return {}
        reply = self.ask({"read": [[arch.compact(), epoch] for arch in archs]})
        return dict(zip(archs, reply["curves"]))

    def advance(self, arch: Architecture | str, epoch: int) -> list[float]:
        """``arch``'s validation accuracies up to ``epoch``, as a trainer returns them."""
        return self.read([arch], epoch)[self.space.validate(arch)]

    def scale(self) -> capstone.Scale:
        """The published scale the capstone is graded on."""
        return self.backend.scale()

    def __repr__(self) -> str:
        return (f"SeedView(seed {self.seed} of {self.table}: {len(self.archs)} architectures, "
                f"{self.max_epochs} epochs each; replayed {self.cost:.0f} of a budget of "
                f"{self.budget:.0f} epoch-equivalents)")


def open_view() -> SeedView:
    """The capstone's view: the grader's when grading, the shipped table's otherwise."""
    path = os.environ.get(ENVIRONMENT)
    if path:
        return SeedView(SocketBackend(path))
    from ..bench import load
    bench = load(capstone.TABLE)
    return SeedView(LocalBackend(capstone.ledger_for(bench), bench))
