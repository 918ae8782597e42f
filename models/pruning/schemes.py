"""Pruning schemes: how many elements each step of a pruning run removes (a registry).

A scheme is asked before every step, :meth:`PruningScheme.next_count`, with the number of
elements in total and still alive, and answers the number to remove now (``0``: skip this
event, ``None``: the schedule is over). Counts are rounded to the nearest integer (halves
up). Amounts are fractions in [0, 1]:

* ``one_shot(amount)`` — one step to ``amount`` of all elements pruned;
* ``fixed_size(amount)`` — every step removes ``amount`` of *all* elements (the same number);
* ``percentage(amount)`` — every step removes ``amount`` of the *remaining* elements;
* ``bucket(size)`` — every step removes the lowest-saliency elements while their summed
  saliency fits in a bucket of ``size`` (a saliency sum, not a fraction);
* ``gradual_cubic(final, initial=0, steps=n)`` — Zhu & Gupta (2017): event ``t = 0 … n``
  prunes to ``s_t = s_f + (s_0 − s_f)(1 − t/n)³`` of all elements.

Example
-------
>>> scheme = create_pruning_scheme("percentage", amount=0.5)
>>> [scheme.next_count(event=i, total=100, alive=a) for i, a in enumerate([100, 50, 25])]
[50, 25, 13]
"""

from __future__ import annotations

import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import torch

from models.pruning.errors import PruningError, check_fraction, check_positive_int
from models.pruning.registry import Registry

__all__ = [
    "Bucket",
    "FixedSize",
    "GradualCubic",
    "OneShot",
    "Percentage",
    "PruningScheme",
    "create_pruning_scheme",
    "list_pruning_schemes",
    "nearest",
    "register_pruning_scheme",
]

_SCHEMES = Registry("pruning scheme")


def nearest(value: float) -> int:
    """``value`` rounded to the nearest integer, halves up (not banker's rounding)."""
    return int(math.floor(value + 0.5 + 1e-9))


class PruningScheme(ABC):
    """Base class of schemes; ``needs_scores`` schemes receive sorted alive saliencies."""

    name = ""
    needs_scores = False

    @abstractmethod
    def next_count(
        self,
        *,
        event: int,
        total: int,
        alive: int,
        sorted_scores: Callable[[], torch.Tensor] | None = None,
    ) -> int | None:
        """Elements to remove at event ``event`` (0-based), ``0`` to skip, ``None`` to stop."""


def register_pruning_scheme(name: str):
    """Class decorator registering a :class:`PruningScheme` subclass as ``name``."""
    return _SCHEMES.register(name)


def create_pruning_scheme(name: str, **options: Any) -> PruningScheme:
    """The scheme ``name`` with keyword ``options``; unknown names list the valid ones."""
    return _SCHEMES.create(name, **options)


def list_pruning_schemes() -> list[str]:
    """Names of the registered pruning schemes, sorted."""
    return _SCHEMES.names()


@register_pruning_scheme("one_shot")
class OneShot(PruningScheme):
    """A single step to ``amount`` of all elements pruned."""

    def __init__(self, *, amount: float) -> None:
        self.amount = check_fraction(amount, name="amount", where="one_shot")

    def next_count(self, *, event, total, alive, sorted_scores=None):
        if event > 0:
            return None
        count = nearest(self.amount * total) - (total - alive)
        if count < 0:
            raise PruningError(
                f"The 'amount' parameter of one_shot ({self.amount}) is below the fraction "
                f"already pruned ({(total - alive) / total:.4g})."
            )
        return count

    def __repr__(self) -> str:
        return f"OneShot(amount={self.amount})"


@register_pruning_scheme("fixed_size")
class FixedSize(PruningScheme):
    """The same number of elements, ``amount`` of all of them, every step."""

    def __init__(self, *, amount: float) -> None:
        self.amount = check_fraction(amount, name="amount", where="fixed_size")
        if self.amount == 0:
            raise PruningError(
                "The 'amount' parameter of fixed_size must be above 0: a step must remove "
                "something. Got 0.0 instead."
            )

    def next_count(self, *, event, total, alive, sorted_scores=None):
        if alive == 0:
            return None
        count = max(1, nearest(self.amount * total))
        return min(count, alive)

    def __repr__(self) -> str:
        return f"FixedSize(amount={self.amount})"


@register_pruning_scheme("percentage")
class Percentage(PruningScheme):
    """``amount`` of the remaining elements every step (ends when that rounds to 0)."""

    def __init__(self, *, amount: float) -> None:
        self.amount = check_fraction(amount, name="amount", where="percentage")

    def next_count(self, *, event, total, alive, sorted_scores=None):
        count = min(nearest(self.amount * alive), alive)
        return count if count > 0 else None

    def __repr__(self) -> str:
        return f"Percentage(amount={self.amount})"


@register_pruning_scheme("bucket")
class Bucket(PruningScheme):
    """The lowest-saliency elements whose summed saliency fits in ``size``, every step."""

    needs_scores = True

    def __init__(self, *, size: float) -> None:
        if (
            isinstance(size, bool)
            or not isinstance(size, numbers.Real)
            or not math.isfinite(size)
            or size <= 0
        ):
            raise PruningError(
                f"The 'size' parameter of bucket must be a positive float. Got {size!r} instead."
            )
        self.size = float(size)

    def next_count(self, *, event, total, alive, sorted_scores=None):
        if alive == 0:
            return None
        if sorted_scores is None:
            raise PruningError("The bucket scheme needs the saliencies of the alive elements.")
        filled = torch.cumsum(sorted_scores().to(torch.float64), dim=0)
        count = int((filled <= self.size).sum())
        return count if count > 0 else None

    def __repr__(self) -> str:
        return f"Bucket(size={self.size})"


@register_pruning_scheme("gradual_cubic")
class GradualCubic(PruningScheme):
    """Zhu & Gupta's ``s_t = s_f + (s_0 − s_f)(1 − t/n)³`` for ``t = 0 … n``."""

    def __init__(self, *, final: float, initial: float = 0.0, steps: int = 10) -> None:
        self.final = check_fraction(final, name="final", where="gradual_cubic")
        self.initial = check_fraction(initial, name="initial", where="gradual_cubic")
        if self.initial > self.final:
            raise PruningError(
                f"The 'initial' parameter of gradual_cubic ({self.initial}) must not exceed "
                f"'final' ({self.final})."
            )
        self.steps = check_positive_int(steps, name="steps", where="gradual_cubic")

    def sparsity(self, t: int) -> float:
        """``s_t``, the fraction of all elements pruned after event ``t``."""
        return self.final + (self.initial - self.final) * (1 - t / self.steps) ** 3

    def next_count(self, *, event, total, alive, sorted_scores=None):
        if event > self.steps:
            return None
        return max(0, min(alive, nearest(self.sparsity(event) * total) - (total - alive)))

    def __repr__(self) -> str:
        return f"GradualCubic(final={self.final}, initial={self.initial}, steps={self.steps})"
