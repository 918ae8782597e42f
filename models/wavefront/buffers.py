"""Work buffers of the wavefront sweep, kept between sweeps of one plan.

A training run calls the sweep thousands of times, and the shapes change with every batch
(the padded sequence length sets the number of sweep steps). Fresh multi-megabyte buffers
cost page faults every time (about 1,300 minor faults per training step of a 12-network
GRU pack, measured with ``getrusage``), so a plan keeps one flat *storage* per name that
only grows (:class:`Workspace`): a buffer is a view of its first elements, lent to a sweep's
autograd node until the node dies (:class:`Lease`). Per-step views of the buffers are cached
by the buffers' addresses and shapes, so a sweep of a shape seen before makes none.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

__all__ = ["Lease", "Workspace"]

# Cached view sets per name before the oldest are dropped (a training run sees one per
# distinct padded length and batch size: a few dozen).
_MAX_VIEW_SETS = 256


class Workspace:
    """One reusable, growing storage per name; a buffer is either lent out or kept here."""

    def __init__(self) -> None:
        self._free: dict[str, torch.Tensor] = {}  # name -> flat storage
        self._constants: dict[tuple, torch.Tensor] = {}
        self._views: dict[str, dict[tuple, Any]] = {}

    def take(self, name: str, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        """An uninitialised contiguous buffer of ``shape`` with ``like``'s dtype and device
        (a view of the name's storage, which grows when it is too small)."""
        size = math.prod(shape)
        storage = self._free.pop(name, None)
        if (
            storage is None
            or storage.numel() < size
            or storage.dtype != like.dtype
            or storage.device != like.device
        ):
            if storage is not None:  # cached views keep the old storage alive: drop them
                self._views.clear()
            storage = like.new_empty(size)
        return storage[:size].view(shape)

    def give(self, **buffers: torch.Tensor | None) -> None:
        """Return buffers (views that :meth:`take` made) for later sweeps."""
        for name, buffer in buffers.items():
            if buffer is not None:
                self._free[name] = buffer if buffer._base is None else buffer._base

    def views(self, name: str, buffers: tuple[torch.Tensor, ...], make: Callable[[], Any]) -> Any:
        """``make()`` (views of ``buffers``), made once per set of buffer addresses, shapes
        and strides.

        Per-step views of the work buffers cost about a microsecond each; a sweep uses
        hundreds, and a training run sweeps a few dozen shapes over and over.
        """
        cache = self._views.setdefault(name, {})
        key = tuple((b.data_ptr(), b.shape, b.stride()) for b in buffers)
        entry = cache.get(key)
        if entry is None:
            if len(cache) >= _MAX_VIEW_SETS:
                cache.pop(next(iter(cache)))
            entry = cache[key] = make()
        return entry

    def constant(self, key: tuple, make: Callable[[], torch.Tensor]) -> torch.Tensor:
        """The tensor ``make()`` returned for ``key`` (made once; never written to)."""
        value = self._constants.get(key)
        if value is None:
            value = self._constants[key] = make()
        return value


class Lease:
    """Buffers a sweep's autograd node holds; they go back to the workspace when it dies."""

    def __init__(self, workspace: Workspace, **buffers: torch.Tensor | None) -> None:
        self.workspace, self.buffers = workspace, buffers

    def __del__(self) -> None:
        self.workspace.give(**self.buffers)
