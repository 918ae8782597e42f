"""The torch device a study trains on: parsed when a config is made, checked before it runs.

Every study config has a ``device`` field (default ``cpu``) that is stored with the study but
is not part of its id: the same study on CPU or GPU is the same study. A device string that
torch cannot parse is refused when the config is made (:func:`parse_device`); a device this
machine does not have is refused before a study writes anything (:func:`check_device`).
"""

from __future__ import annotations

import torch

__all__ = ["check_device", "parse_device"]


def parse_device(device: str, *, where: str) -> None:
    """Refuse a string that is not a torch device (``cpu``, ``cuda:0``, ``mps``, …).

    Raises
    ------
    ValueError
        Naming ``where`` (e.g. "the priors study") and the value.
    """
    try:
        torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"The 'device' parameter of {where} must be a torch device such as cpu or cuda:0. "
            f"Got {device!r} instead ({exc})."
        ) from None


def check_device(device: str) -> torch.device:
    """``device`` as a torch device, or a clear error if this machine cannot train on it.

    Raises
    ------
    ValueError
        Unknown device string, ``meta`` (holds no data, cannot train), CUDA/MPS unavailable
        or an index beyond the devices present, or any device a tensor cannot be put on.
    """
    try:
        target = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"Unknown torch device {device!r}: {exc}") from None
    if target.type == "meta":
        raise ValueError("Device 'meta' holds no data, so networks cannot be trained on it.")
    if target.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"Device {device!r} is not available: this torch build or machine has no CUDA "
            "GPU (torch.cuda.is_available() is False). Use --device cpu."
        )
    if target.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"Device {device!r} is not available: no Apple MPS here. Use cpu.")
    try:
        torch.zeros(1, device=target)
    except (RuntimeError, AssertionError) as exc:
        raise ValueError(f"Device {device!r} is not available: {exc}") from None
    return target
