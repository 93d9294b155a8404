"""A student's kernel, confined: its own empty folder, a scrubbed environment, resource
limits, its own session, and every process it started killed when it stops.

The kernel talks to the grader over Unix sockets in its folder (ZMQ's ``ipc`` transport),
which also work inside a sandbox without a network. Its own stdout and stderr go nowhere:
only the replies to what the grader asks are read, and only a bounded number of bytes.
"""
from __future__ import annotations

import os
import queue
import resource
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.connect import write_connection_file

from .processes import descendants, kill_descendants, user_tasks
from .sandbox import sandbox_command

STARTUP_SECONDS = 60   # a kernel that is not ready by then does not start
POLL_SECONDS = 0.2     # how often a wait looks whether the kernel is still alive
# Settings that select how the kernel computes, never secrets; everything else is dropped.
PASSED_ENVIRONMENT = ("LANG", "LC_ALL", "TZ", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
KERNEL_OPTIONS = ["--HistoryManager.enabled=False", "--IPKernelApp.quiet=True"]


@dataclass(frozen=True)
class Limits:
    """What a kernel may use; every limit also binds each process the kernel starts."""

    timeout: float = 120        # wall seconds for each task (and for each setup cell)
    memory_mib: int = 2048      # address space of each process
    cpu_seconds: int = 3600     # CPU time of each process, a backstop behind ``timeout``
    processes: int = 256        # processes and threads beyond those the user already runs
    file_mib: int = 64          # largest file a process may write
    output_mib: int = 8         # bytes of output one request may send before it is stopped
    sandbox: bool = False       # run the kernel under bubblewrap: no network, read-only system

    def __post_init__(self) -> None:
        for name in ("timeout", "memory_mib", "cpu_seconds", "processes", "file_mib",
                     "output_mib"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"{name} must be positive, but got {name}={value!r}")


class KernelBroken(RuntimeError):
    """The kernel ran past its time, flooded its output, or died: it must be restarted."""


@dataclass(frozen=True)
class Reply:
    """What one piece of code did: its error (``"Name: message"``, "" if none) and its
    standard output (at most ``Limits.output_mib``)."""

    error: str
    stdout: str


def set_limits(limits: Limits, user_tasks: int) -> None:
    """Runs in the kernel's process before it starts (inherited by all it starts).
    ``RLIMIT_NPROC`` counts every process and thread of the user (root is exempt), so the
    kernel may start ``limits.processes`` more than the ``user_tasks`` already running."""
    mib = 2**20
    for kind, value in [(resource.RLIMIT_AS, limits.memory_mib * mib),
                        (resource.RLIMIT_CPU, limits.cpu_seconds),
                        (resource.RLIMIT_NPROC, user_tasks + limits.processes),
                        (resource.RLIMIT_FSIZE, limits.file_mib * mib),
                        (resource.RLIMIT_CORE, 0)]:
        resource.setrlimit(kind, (value, value))


def kernel_environment(folder: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A scrubbed environment: no grader paths, tokens or settings, home in ``folder``; plus
    ``extra``, what the grader serves the kernel (the capstone view's socket)."""
    environment = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
    environment.update(extra or {})
    environment.update(PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin", HOME=str(folder),
                       TMPDIR=str(folder), MPLBACKEND="agg", MPLCONFIGDIR=str(folder),
                       IPYTHONDIR=str(folder / ".ipython"), PYTHONNOUSERSITE="1")
    return environment


class Kernel:
    """A fresh IPython kernel in ``folder`` (an empty folder only the grader made).

    ``hidden`` are paths the sandbox masks even where they lie inside what it shows;
    ``environment`` adds to the kernel's scrubbed environment. Use as a context manager:
    leaving it kills the kernel and everything it started.
    """

    def __init__(self, folder: Path, limits: Limits, hidden: tuple[Path, ...] = (),
                 environment: dict[str, str] | None = None):
        self.folder, self.limits, self.hidden = folder, limits, hidden
        self.environment = environment or {}
        self.process: subprocess.Popen | None = None
        self.client: BlockingKernelClient | None = None
        self.others: set[int] = set()

    def __enter__(self) -> Kernel:
        self.others = descendants(os.getpid())  # processes that are not the kernel's
        connection, info = write_connection_file(
            str(self.folder / "kernel.json"), transport="ipc", ip=str(self.folder / "ipc"),
            key=secrets.token_hex(16).encode())
        command = [sys.executable, "-m", "ipykernel_launcher", "-f", connection,
                   *KERNEL_OPTIONS]
        if self.limits.sandbox:
            command = sandbox_command(self.folder, self.hidden) + command
        running = user_tasks()
        try:
            self.process = subprocess.Popen(
                command, cwd=self.folder, env=kernel_environment(self.folder, self.environment),
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True, preexec_fn=lambda: set_limits(self.limits, running))
            self.client = BlockingKernelClient()
            self.client.load_connection_info(info)
            self.client.start_channels()
            self.wait_until_ready()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            self.check_alive("before it was ready")
            try:
                self.client.wait_for_ready(timeout=POLL_SECONDS * 5)
                return
            except RuntimeError:  # not ready yet
                continue
        raise KernelBroken(f"the kernel did not start within {STARTUP_SECONDS} s")

    def check_alive(self, when: str) -> None:
        if self.process.poll() is not None:
            raise KernelBroken(f"the kernel died {when} (out of memory, a crash, or the code "
                               f"exited Python)")

    def __exit__(self, *exc_info) -> None:
        if self.client is not None:
            self.client.stop_channels()
        kill_descendants(self.others)

    def run(self, code: str, timeout: float) -> Reply:
        """Execute ``code``; :class:`KernelBroken` when it runs past ``timeout`` seconds,
        prints more than the output limit, or the kernel dies."""
        message_id = self.client.execute(code, store_history=False, allow_stdin=False,
                                         stop_on_error=False)
        deadline = time.monotonic() + timeout
        budget = self.limits.output_mib * 2**20
        stdout, error, idle, replied = [], "", False, False
        while not (idle and replied):
            if time.monotonic() > deadline:
                raise KernelBroken(f"ran past the time limit of {self.limits.timeout:g} s")
            self.check_alive("while running")
            try:
                message = self.client.get_iopub_msg(timeout=POLL_SECONDS)
            except queue.Empty:
                replied = replied or self.has_reply(message_id)
                continue
            if message["parent_header"].get("msg_id") != message_id:
                continue
            kind, content = message["msg_type"], message["content"]
            budget -= len(str(content))
            if budget < 0:
                raise KernelBroken(f"printed more than {self.limits.output_mib} MiB")
            if kind == "stream" and content.get("name") == "stdout":
                stdout.append(str(content.get("text", "")))
            elif kind == "error" and not error:
                name, value = str(content.get("ename", "")), str(content.get("evalue", ""))
                error = f"{name}: {value}" if value else name
            elif kind == "status" and content.get("execution_state") == "idle":
                idle = True
            replied = replied or self.has_reply(message_id)
        return Reply(error, "".join(stdout))

    def has_reply(self, message_id: str) -> bool:
        """Whether the shell channel answered ``message_id`` (other replies are dropped)."""
        while True:
            try:
                message = self.client.get_shell_msg(timeout=0)
            except queue.Empty:
                return False
            if message["parent_header"].get("msg_id") == message_id:
                return True
