"""The paper's percentile rule for recurrent pruning (section 4.2).

"To prune p = 10% of weights for a given layer, the threshold is the 10th percentile of all
the absolute weights in that layer." So, for a percent ``p``:

* the threshold of a class (by default a recurrent layer: its chosen i2h and/or h2h matrices
  pooled, gate blocks included, see :mod:`models.pruning.recurrent`) is the ``p``-th
  percentile of **all** its absolute weights — zeros (already pruned entries) included —
  computed like ``numpy.percentile``'s default, ``method="linear"`` (position
  ``(n − 1) · p / 100`` of the sorted values, interpolated linearly between neighbours);
  here by ``torch.quantile(..., interpolation="linear")``, which is the same definition;
* every weight with ``|w| < threshold`` is pruned (as in the paper's published code), and at
  ``p = 100`` every chosen weight is (a strict ``<`` would keep the largest one);
* masks only shrink (:meth:`~models.masking.MaskedModule.combine_mask`), and a failure
  leaves the model as it was.

``p`` is given in percent, 0 to 100, and converted to a fraction at this boundary. The study
applies each ``p`` to the *trained base model* (not chained from the previous ``p``) and then
re-trains 0, 1, 2 epochs from that pruned model (:mod:`ingest.rnn_pruning`); a chained
variant is :func:`models.pruning.prune_iteratively` with the same ``targets=``.

``scope`` says what one threshold covers: ``"layer"`` (default; the paper's text — each
target's class), ``"network"`` (one threshold over all chosen matrices of all layers, as the
paper's published code, deepstruct's ``PruneRNN``, computes it) or ``"gate"`` (each gate
block of each layer separately).

Example
-------
>>> import torch
>>> from models.masked_recurrent import MaskedRecurrent
>>> body = MaskedRecurrent("tanh", 2, [2])
>>> with torch.no_grad():
...     _ = body.layers[0].weight_ih.copy_(torch.tensor([[1.0, -2.0], [3.0, 4.0]]))
...     _ = body.layers[0].weight_hh.copy_(torch.tensor([[0.5, 6.0], [-7.0, 8.0]]))
>>> prune_by_percentile(body, 50, target="both")  # median of 0.5 1 2 3 4 6 7 8
{'layers.0': 3.5}
>>> body.layers[0].weight_ih_mask.int().tolist(), body.layers[0].weight_hh_mask.int().tolist()
([[0, 0], [0, 1]], [[0, 1], [1, 1]])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch
from torch import nn

from models.masked_recurrent import MaskedRecurrentLayer
from models.pruning.errors import PruningError
from models.pruning.recurrent import gate_blocks, recurrent_targets
from models.pruning.step import restore_on_failure
from models.pruning.targets import PrunableParameter, check_targets

__all__ = ["SCOPES", "check_percent", "percentile_threshold", "prune_by_percentile"]

SCOPES = ("layer", "network", "gate")


def check_percent(value: object, *, name: str = "percent", where: str) -> float:
    """``value`` as a float percent in [0, 100], or a :class:`PruningError` naming it.

    >>> check_percent(150, where="prune_by_percentile")
    Traceback (most recent call last):
    ...
    models.pruning.errors.PruningError: The 'percent' parameter of prune_by_percentile must be a number in [0, 100] (a percent, not a fraction). Got 150 instead.
    """  # noqa: E501
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(float(value))
        or not 0.0 <= float(value) <= 100.0
    ):
        raise PruningError(
            f"The '{name}' parameter of {where} must be a number in [0, 100] (a percent, not a "
            f"fraction). Got {value!r} instead."
        )
    return float(value)


def percentile_threshold(weights: Sequence[torch.Tensor], percent: float) -> float:
    """The ``percent``-th percentile of ``|w|`` over every entry of ``weights`` (zeros included).

    Linear interpolation, ``numpy.percentile``'s default method.

    >>> percentile_threshold([torch.tensor([[-1.0, 2.0], [3.0, 0.0]])], 50)
    1.5
    """
    percent = check_percent(percent, where="percentile_threshold")
    if not weights:
        raise PruningError("The 'weights' parameter of percentile_threshold is empty.")
    values = torch.cat([w.detach().abs().reshape(-1).to(torch.float64) for w in weights])
    if values.numel() == 0:
        raise PruningError("The 'weights' parameter of percentile_threshold holds no entry.")
    fraction = percent / 100.0  # the boundary: percent in, fraction to torch
    return float(torch.quantile(values.cpu(), fraction, interpolation="linear"))


def prune_by_percentile(
    model: nn.Module,
    percent: float,
    *,
    target: str = "both",
    targets: Sequence[PrunableParameter] | None = None,
    scope: str = "layer",
) -> dict[str, float]:
    """Prune every chosen weight below its class's ``percent``-th percentile, in place.

    Parameters
    ----------
    model:
        A model with masked recurrent layers (or any masked model, with ``targets``).
    percent:
        ``p`` in [0, 100].
    target:
        ``"i2h"``, ``"h2h"`` or ``"both"`` (ignored when ``targets`` is given).
    targets:
        Explicit prunable parameters; their ``group`` is the class of ``scope="layer"``.
    scope:
        ``"layer"``, ``"network"`` or ``"gate"`` (see the module docstring).

    Returns
    -------
    The threshold of every class: by layer name, ``"network"``, or ``"<layer>/<gate>"``.

    Raises
    ------
    PruningError
        For ``percent`` outside [0, 100], an unknown target or scope, a model without
        recurrent layers (recurrent ``target``), or ``scope="gate"`` on non-recurrent targets.
    """
    where = "prune_by_percentile"
    percent = check_percent(percent, where=where)
    if scope not in SCOPES:
        raise PruningError(
            f"The 'scope' parameter of {where} must be one of {list(SCOPES)}. "
            f"Got {scope!r} instead."
        )
    chosen = recurrent_targets(model, target) if targets is None else targets
    chosen = check_targets(chosen, where=where)
    classes = _classes(chosen, scope, where)
    thresholds = {}
    with restore_on_failure(model):
        for name, members in classes.items():
            threshold = percentile_threshold([t.tensor[rows] for t, rows in members], percent)
            thresholds[name] = threshold
            for t, rows in members:
                keep = torch.ones_like(t.mask)
                if percent == 100.0:
                    keep[rows] = False
                else:
                    keep[rows] = t.tensor.detach()[rows].abs() >= threshold
                t.module.combine_mask(t.parameter, keep)
    return thresholds


def _classes(
    targets: list[PrunableParameter], scope: str, where: str
) -> dict[str, list[tuple[PrunableParameter, slice]]]:
    """Class name -> the (target, rows) whose weights share one threshold."""
    every = slice(None)
    if scope == "network":
        return {"network": [(t, every) for t in targets]}
    if scope == "layer":
        classes: dict[str, list[tuple[PrunableParameter, slice]]] = {}
        for t in targets:
            classes.setdefault(t.group, []).append((t, every))
        return classes
    classes = {}
    for t in targets:
        if not isinstance(t.module, MaskedRecurrentLayer):
            raise PruningError(
                f"The 'scope' parameter of {where} is 'gate', but {t.name!r} is not a weight of "
                "a recurrent layer (MaskedRecurrentLayer): only those have gate blocks."
            )
        for gate, rows in gate_blocks(t.module):
            classes.setdefault(f"{t.group}/{gate}", []).append((t, rows))
    return classes
