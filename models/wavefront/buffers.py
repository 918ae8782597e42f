"""Work buffers of the wavefront sweep, kept between sweeps of one plan.

A training run calls the sweep thousands of times with the same shapes; fresh
multi-megabyte buffers cost page faults every time, so a plan keeps one buffer per name
(:class:`Workspace`) and lends it to a sweep's autograd node until the node dies
(:class:`Lease`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

__all__ = ["Lease", "Workspace"]


class Workspace:
    """One reusable buffer per name; a buffer is either lent out or kept here."""

    def __init__(self) -> None:
        self._free: dict[str, torch.Tensor] = {}
        self._constants: dict[tuple, torch.Tensor] = {}
        self._views: dict[str, tuple[tuple[torch.Tensor, ...], Any]] = {}

    def take(self, name: str, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        """An uninitialised buffer of ``shape`` with ``like``'s dtype and device."""
        buffer = self._free.pop(name, None)
        if (
            buffer is None
            or tuple(buffer.shape) != shape
            or buffer.dtype != like.dtype
            or buffer.device != like.device
        ):
            buffer = like.new_empty(shape)
        return buffer

    def give(self, **buffers: torch.Tensor | None) -> None:
        """Return buffers for later sweeps."""
        self._free.update((name, b) for name, b in buffers.items() if b is not None)

    def views(self, name: str, buffers: tuple[torch.Tensor, ...], make: Callable[[], Any]) -> Any:
        """``make()`` (views of ``buffers``), made again only when a buffer was replaced.

        Per-step views of the work buffers cost about a microsecond each; a sweep uses
        hundreds, and the buffers rarely change between sweeps.
        """
        entry = self._views.get(name)
        if entry is None or not _same(entry[0], buffers):
            entry = self._views[name] = (buffers, make())
        return entry[1]

    def constant(self, key: tuple, make: Callable[[], torch.Tensor]) -> torch.Tensor:
        """The tensor ``make()`` returned for ``key`` (made once; never written to)."""
        value = self._constants.get(key)
        if value is None:
            value = self._constants[key] = make()
        return value


def _same(old: tuple[torch.Tensor, ...], new: tuple[torch.Tensor, ...]) -> bool:
    """Whether two tuples hold the very same tensor objects."""
    return len(old) == len(new) and all(a is b for a, b in zip(old, new, strict=True))


class Lease:
    """Buffers a sweep's autograd node holds; they go back to the workspace when it dies."""

    def __init__(self, workspace: Workspace, **buffers: torch.Tensor | None) -> None:
        self.workspace, self.buffers = workspace, buffers

    def __del__(self) -> None:
        self.workspace.give(**self.buffers)
