"""Resolving ``device=`` arguments once, with a clear error when a device is not there."""
from __future__ import annotations

import re

import torch

DEVICE_FORMS = "auto, cpu, cuda, cuda:N, mps"
_DEVICE_PATTERN = re.compile(r"auto|cpu|mps|cuda(:\d{1,4})?")  # cuda:N, N below 10000


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
    here = available_devices()
    if isinstance(device, torch.device):
        resolved = device
    elif isinstance(device, str):
        name = device.strip().lower()
        if not _DEVICE_PATTERN.fullmatch(name):
            raise ValueError(f"unknown device {device!r}: write one of {DEVICE_FORMS}; "
                             f"on this machine choose from {['auto'] + here}")
        resolved = torch.device(here[0] if name == "auto" else name)
    else:
        raise ValueError(f"device must be a string ({DEVICE_FORMS}) or a torch.device, "
                         f"but got device={device!r}")
    if resolved.type not in here:
        raise ValueError(f"device {device!r} is not available on this machine; "
                         f"choose from {['auto'] + here}")
    if resolved.type == "cuda" and resolved.index is not None \
            and resolved.index >= torch.cuda.device_count():
        raise ValueError(f"device {device!r} does not exist: this machine has "
                         f"{torch.cuda.device_count()} CUDA device(s)")
    return resolved
