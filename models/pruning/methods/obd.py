"""Optimal Brain Damage (LeCun, Denker & Solla 1990): saliency ``½ · h_ii · w_i²``.

``h_ii`` is the diagonal of the Hessian of the mean training loss over ``context.data``
(see :mod:`models.pruning.hessian`):

* ``hessian="gauss-newton"`` (default) — the Gauss–Newton / Levenberg–Marquardt diagonal
  LeCun et al. used, computed exactly per sample (non-negative; for ReLU networks equal to
  the exact diagonal);
* ``hessian="exact"`` — the true second derivatives by double back-propagation (one
  backward pass per weight: small networks only).

Without data there is no Hessian, and OBD says so (it never falls back to magnitude).
"""

from __future__ import annotations

from models.pruning.errors import PruningError, check_positive_int
from models.pruning.hessian import exact_hessian_diagonal, gauss_newton_diagonal
from models.pruning.methods.base import PruningMethod, register_pruning_method

__all__ = ["OptimalBrainDamage"]

_HESSIANS = {"gauss-newton": gauss_newton_diagonal, "exact": exact_hessian_diagonal}


@register_pruning_method("obd")
class OptimalBrainDamage(PruningMethod):
    """``½ h_ii w²`` with the Gauss–Newton (default) or exact Hessian diagonal.

    Parameters
    ----------
    hessian:
        ``"gauss-newton"`` or ``"exact"``.
    max_batches:
        Use only the first ``max_batches`` batches of the data (default: all).
    """

    needs_data = True

    def __init__(self, *, hessian: str = "gauss-newton", max_batches: int | None = None):
        if hessian not in _HESSIANS:
            raise PruningError(
                f"The 'hessian' parameter of obd must be one of {sorted(_HESSIANS)}. "
                f"Got {hessian!r} instead."
            )
        if max_batches is not None:
            check_positive_int(max_batches, name="max_batches", where="obd")
        self.hessian = hessian
        self.max_batches = max_batches

    def hessian_diagonal(self, model, targets, context):
        """``h_ii`` for every target (the expensive part, timed by the benchmark)."""
        batches = context.batches("obd", self.max_batches, device=targets[0].tensor.device)
        return _HESSIANS[self.hessian](model, [t.tensor for t in targets], batches, context.loss)

    def saliency(self, model, targets, context):
        diagonals = self.hessian_diagonal(model, targets, context)
        return [0.5 * h * t.tensor.detach() ** 2 for h, t in zip(diagonals, targets, strict=True)]

    def __repr__(self) -> str:
        return f"OptimalBrainDamage(hessian={self.hessian!r})"
