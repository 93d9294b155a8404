"""Resolving ``device=`` arguments once, with a clear error when a device is not there."""
from __future__ import annotations

import torch


def available_devices() -> list[str]:
    """The device types usable here, best first: e.g. ``['cuda', 'cpu']``."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn ``"auto"`` (CUDA, then MPS, then CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or
    ``"mps"`` into a ``torch.device`` that exists on this machine, or raise ValueError.

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, torch.device):
        name = str(device)
    elif isinstance(device, str):
        name = device.strip().lower()
    else:
        raise ValueError(f"device must be a string such as 'auto' or 'cpu', but got {device!r}")
    here = available_devices()
    if name == "auto":
        return torch.device(here[0])
    try:
        resolved = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {device!r}; choose from {['auto'] + here}") from None
    if resolved.type not in here:
        raise ValueError(f"device {device!r} is not available on this machine; "
                         f"choose from {['auto'] + here}")
    if resolved.type == "cuda" and resolved.index is not None \
            and resolved.index >= torch.cuda.device_count():
        raise ValueError(f"device {device!r} does not exist: this machine has "
                         f"{torch.cuda.device_count()} CUDA device(s)")
    return resolved
