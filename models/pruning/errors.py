"""The pruning engine's error type and its boundary checks.

Every check names the parameter, the function and the offending value (scikit-learn's
``_param_validation`` style), e.g. "The 'amount' parameter of prune must be a float in
[0, 1]. Got 1.5 instead."
"""

from __future__ import annotations

import math
import numbers

__all__ = ["PruningError", "check_fraction", "check_positive_int"]


class PruningError(ValueError):
    """A pruning request that cannot be carried out (bad parameter, nothing to prune, ...)."""


def check_fraction(value: object, *, name: str, where: str) -> float:
    """``value`` as a float in [0, 1], or a :class:`PruningError` naming ``name`` and ``where``.

    >>> check_fraction(0.25, name="amount", where="prune")
    0.25
    >>> check_fraction(1.5, name="amount", where="prune")
    Traceback (most recent call last):
    ...
    models.pruning.errors.PruningError: The 'amount' parameter of prune must be a float in [0, 1]. Got 1.5 instead.
    """  # noqa: E501
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(float(value))
        or not 0.0 <= float(value) <= 1.0
    ):
        raise PruningError(
            f"The '{name}' parameter of {where} must be a float in [0, 1]. Got {value!r} instead."
        )
    return float(value)


def check_positive_int(value: object, *, name: str, where: str) -> int:
    """``value`` as a positive int, or a :class:`PruningError` naming ``name`` and ``where``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise PruningError(
            f"The '{name}' parameter of {where} must be a positive integer. Got {value!r} instead."
        )
    return int(value)
