"""Finding and ending every process a student's kernel started, without cgroups.

The grader makes itself a *child subreaper* (Linux ``prctl``): a process that leaves the
kernel's tree (double fork, ``setsid``, a daemon) is re-parented to the grader instead of to
init, so it stays among the grader's descendants, read from ``/proc``, and is killed with the
rest at the end of each submission.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from pathlib import Path
from typing import Iterator

PR_SET_CHILD_SUBREAPER = 36  # from <linux/prctl.h>
KILL_ROUNDS = 200            # a process may fork while the others die; each round kills more


def set_subreaper(enabled: bool) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, int(enabled), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


@contextlib.contextmanager
def subreaper() -> Iterator[None]:
    """Orphans of this process's descendants come back to it while the block runs."""
    set_subreaper(True)
    try:
        yield
    finally:
        set_subreaper(False)


def parents() -> dict[int, int]:
    """``pid -> parent pid`` of every process visible in /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # it ended while we looked
            continue
        # the command name, in parentheses, may itself hold spaces and parentheses
        fields = stat[stat.rindex(")") + 2:].split()
        found[int(entry.name)] = int(fields[1])
    return found


def descendants(root: int, keep: set[int] = frozenset()) -> set[int]:
    """Every process below ``root``, leaving out the subtrees of the pids in ``keep``."""
    children: dict[int, list[int]] = {}
    for pid, parent in parents().items():
        children.setdefault(parent, []).append(pid)
    found, stack = set(), [pid for pid in children.get(root, []) if pid not in keep]
    while stack:
        pid = stack.pop()
        found.add(pid)
        stack += [child for child in children.get(pid, []) if child not in keep]
    return found


def user_tasks() -> int:
    """Processes and threads of this process's real user, as ``RLIMIT_NPROC`` counts them."""
    count, uid = 0, os.getuid()
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text() if entry.name.isdigit() else ""
        except OSError:  # it ended while we looked
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields and int(fields["Uid"].split()[0]) == uid:
            count += int(fields["Threads"])
    return count


def kill_descendants(keep: set[int]) -> None:
    """SIGKILL every descendant of this process outside ``keep`` and reap the direct ones,
    round after round until none is left."""
    for _ in range(KILL_ROUNDS):
        targets = descendants(os.getpid(), keep)
        if not targets:
            return
        for pid in targets:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in targets:
            with contextlib.suppress(ChildProcessError):  # not our child: its parent reaps it
                os.waitpid(pid, 0)
    raise RuntimeError(f"processes of a kernel survived {KILL_ROUNDS} rounds of SIGKILL")
