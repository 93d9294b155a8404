"""``grade --sandbox``: the kernel under bubblewrap (``bwrap``, Debian's ``bubblewrap``).

Inside, the kernel sees the system (``/usr``, ``/etc``, the Python environment and the
``nasedu`` package) read-only, an empty ``/tmp``, its own writable folder, no network, no other
process (a new PID namespace whose processes all die with it), and nothing else of the
grader's machine: not the solution notebooks, not the other submissions, not the grades.
"""
from __future__ import annotations

import shutil
import site
import sys
from pathlib import Path

SYSTEM = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64")


def bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise ValueError("--sandbox needs bubblewrap (bwrap), which is not installed: "
                         "apt-get install bubblewrap, or grade without --sandbox in a "
                         "container of its own")
    return path


def shown_paths() -> list[Path]:
    """The folders the kernel needs to run Python and import the course's packages: the
    environment and the ``nasedu`` package folder (an editable install lives outside it)."""
    paths = [Path(sys.prefix), Path(sys.base_prefix), Path(__file__).resolve().parents[1]]
    paths += [Path(path) for path in site.getsitepackages()]
    found = []
    for path in paths:
        resolved = path.resolve()
        if resolved.exists() and resolved not in found:
            found.append(resolved)
    return found


def system_arguments() -> list[str]:
    """The system folders, read-only; merged-/usr links (``/lib -> usr/lib``) as links."""
    arguments = []
    for name in SYSTEM:
        path = Path(name)
        if path.is_symlink():
            arguments += ["--symlink", str(path.readlink()), name]
        elif path.is_dir():
            arguments += ["--ro-bind", name, name]
    return arguments


def sandbox_command(folder: Path, hidden: tuple[Path, ...]) -> list[str]:
    """The bwrap prefix that runs a command in ``folder`` with only :func:`shown_paths`
    visible (read-only) and every path of ``hidden`` that lies inside them masked."""
    shown = shown_paths()
    command = [bwrap(), "--unshare-all", "--die-with-parent", "--new-session",
               *system_arguments(), "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for path in shown:
        command += ["--ro-bind", str(path), str(path)]
    for path in hidden:
        resolved = path.resolve()
        inside = [Path("/usr"), Path("/etc"), *shown]
        if resolved.is_dir() and any(resolved.is_relative_to(root) for root in inside):
            command += ["--tmpfs", str(resolved)]
    command += ["--bind", str(folder), str(folder), "--chdir", str(folder), "--"]
    return command
