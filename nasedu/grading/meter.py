"""Reading one seed of a ground-truth table, charged for every epoch read, within a budget.

A :class:`Ledger` holds one seed's recorded validation curves and charges a read as replayed
training: reading architecture ``a`` up to epoch ``e`` costs ``e / max_epochs`` of that run's
recorded cost in epoch-equivalents, once (reading a shorter prefix again is free). A read that
would bring the total over the budget is refused, and nothing of it is charged. Everything it
holds and answers is plain JSON data, so the grader can serve it to a student's kernel over a
Unix socket (:class:`MeterServer`) and keep the count where the student's code cannot reach it.

>>> ledger = Ledger({"a": [0.5, 0.6], "b": [0.4, 0.7]}, {"a": 2.0, "b": 2.0}, budget=3.0)
>>> ledger.read([["a", 1], ["b", 2]]), ledger.charged
([[0.5], [0.4, 0.7]], 3.0)
"""
from __future__ import annotations

import json
import socketserver
import threading
from pathlib import Path

MAX_REQUEST = 2**20  # bytes of one request: the whole space asked for at once fits easily
REQUEST_SECONDS = 2  # a connection that sends nothing for this long is dropped
SOCKET_NAME = "view.sock"
ENVIRONMENT = "NASEDU_VIEW_SOCKET"  # where a kernel finds the socket


class Ledger:
    """One seed's curves (``curves[arch] = validation accuracies per epoch``), each run's
    recorded cost in epoch-equivalents (``run_cost[arch]``) and a budget in the same unit;
    ``info`` is what a view shows for free (the space, the protocol, parameter counts)."""

    def __init__(self, curves: dict[str, list[float]], run_cost: dict[str, float],
                 budget: float, info: dict | None = None) -> None:
        if sorted(curves) != sorted(run_cost):
            raise ValueError("curves and run_cost must name the same architectures")
        self.curves, self.run_cost, self.budget = curves, run_cost, float(budget)
        self.max_epochs = min(len(curve) for curve in curves.values())
        self.info = {**(info or {}), "max_epochs": self.max_epochs, "budget": self.budget,
                     "exhaustive": sum(run_cost.values())}
        self.reached: dict[str, int] = {}
        self.lock = threading.Lock()

    def cost_of(self, reached: dict[str, int]) -> float:
        return sum(self.run_cost[arch] * epochs / self.max_epochs
                   for arch, epochs in reached.items())

    @property
    def charged(self) -> float:
        """Epoch-equivalents charged so far."""
        return self.cost_of(self.reached)

    def read(self, requests: object) -> list[list[float]]:
        """The first ``epoch`` accuracies of each ``[arch, epoch]`` of ``requests``, charged;
        ValueError (nothing charged) for a request that is malformed or over the budget."""
        if not isinstance(requests, list) or not requests:
            raise ValueError("a read is a non-empty list of [architecture, epoch] pairs")
        for request in requests:
            if (not isinstance(request, list) or len(request) != 2
                    or not isinstance(request[0], str) or request[0] not in self.curves
                    or isinstance(request[1], bool)
                    or not isinstance(request[1], int)
                    or not 1 <= request[1] <= self.max_epochs):
                raise ValueError(f"cannot read {str(request)[:80]}: ask for [architecture, "
                                 f"epoch] with an architecture of the table in compact form "
                                 f"and an epoch in [1, {self.max_epochs}]")
        with self.lock:
            reached = dict(self.reached)
            for arch, epoch in requests:
                reached[arch] = max(reached.get(arch, 0), epoch)
            total = self.cost_of(reached)
            if total > self.budget * (1 + 1e-9):
                raise ValueError(f"reading these would bring the replayed training to "
                                 f"{total:.1f} epoch-equivalents, over the budget of "
                                 f"{self.budget:.1f}; {self.charged:.1f} are spent")
            self.reached = reached
        return [self.curves[arch][:epoch] for arch, epoch in requests]

    def answer(self, request: object) -> dict:
        """The reply to one request: ``{"describe": true}`` or ``{"read": [[arch, epoch],
        ...]}``; errors become ``{"error": why}``."""
        try:
            if request == {"describe": True}:
                return {"info": self.info, "charged": self.charged}
            if isinstance(request, dict) and list(request) == ["read"]:
                return {"curves": self.read(request["read"]), "charged": self.charged}
            raise ValueError("a request is {\"describe\": true} or {\"read\": [[arch, epoch]]}")
        except ValueError as error:
            return {"error": str(error)}


class _Handler(socketserver.StreamRequestHandler):
    timeout = REQUEST_SECONDS

    def handle(self) -> None:
        line = self.rfile.readline(MAX_REQUEST + 1)
        try:
            if len(line) > MAX_REQUEST or not line.endswith(b"\n"):
                raise ValueError(f"a request is one line of JSON of at most {MAX_REQUEST} bytes")
            reply = self.server.ledger.answer(json.loads(line))
        except (ValueError, RecursionError) as error:
            reply = {"error": f"unreadable request: {error}"[:300]}
        self.wfile.write(json.dumps(reply, allow_nan=False).encode() + b"\n")


class _Server(socketserver.UnixStreamServer):
    def handle_error(self, request, client_address) -> None:
        """A client that hung up or stalled costs only its own request: nothing to report."""


class MeterServer:
    """Serves ``ledger`` on a Unix socket in ``folder`` (``path``), one request per connection,
    from a thread of the grader; ``stop()`` closes it."""

    def __init__(self, ledger: Ledger, folder: Path) -> None:
        self.path = Path(folder) / SOCKET_NAME
        self.server = _Server(str(self.path), _Handler)
        self.server.ledger = ledger
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class Metered:
    """A ledger served to every kernel a runner starts, at the path the environment names."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.server: MeterServer | None = None

    def attach(self, folder: Path) -> dict[str, str]:
        """Serve the ledger in ``folder``; the kernel's extra environment."""
        self.detach()
        self.server = MeterServer(self.ledger, folder)
        return {ENVIRONMENT: str(self.server.path)}

    def detach(self) -> None:
        if self.server is not None:
            server, self.server = self.server, None
            server.stop()
