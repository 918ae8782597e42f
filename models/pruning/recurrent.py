"""Recurrent pruning targets: the input-to-hidden and/or hidden-to-hidden weights of every layer.

The paper (section 4.2) prunes the *i2h* weights (``weight_ih``), the *h2h* weights
(``weight_hh``) or *both* of every recurrent layer of a trained model. This module turns that
choice into the engine's ordinary :class:`~models.pruning.targets.PrunableParameter` list —
the masks are the layers' own ``weight_ih_mask`` / ``weight_hh_mask`` buffers
(:class:`~models.masked_recurrent.MaskedRecurrentLayer`), so there is no second mask
mechanism, and every method, scheme and run of the engine accepts the result as ``targets=``.

Each target's class (``group``) is its layer: with ``"both"`` a layer's two matrices share
one class, so a per-layer threshold (the paper's percentile rule,
:mod:`models.pruning.percentile`, or class-uniform magnitude pruning) is taken over both.

Gates
-----
An LSTM / GRU weight matrix is gate-stacked as torch stores it: rows ``[i|f|g|o]`` (LSTM) or
``[r|z|n]`` (GRU), each block ``hidden_size`` rows (see :mod:`models.recurrent_cells`). A
mask has exactly the matrix's shape, so a pruned weight is zero in the gate block it belongs
to and nowhere else; :func:`gate_blocks` names the blocks and :func:`gate_sparsity` reports
the pruned fraction per layer, matrix and gate.

Example
-------
>>> from models.masked_recurrent import MaskedRecurrent
>>> body = MaskedRecurrent("gru", 3, [4, 4])
>>> [(t.name, t.group) for t in recurrent_targets(body, "h2h")]
[('layers.0.weight_hh', 'layers.0'), ('layers.1.weight_hh', 'layers.1')]
>>> [(name, rows.start, rows.stop) for name, rows in gate_blocks(body.layers[0])]
[('r', 0, 4), ('z', 4, 8), ('n', 8, 12)]
"""

from __future__ import annotations

from torch import nn

from models.masked_recurrent import MaskedRecurrentLayer
from models.pruning.errors import PruningError
from models.pruning.targets import PrunableParameter

__all__ = [
    "GATE_NAMES",
    "RECURRENT_TARGETS",
    "gate_blocks",
    "gate_sparsity",
    "recurrent_layers",
    "recurrent_targets",
]

RECURRENT_TARGETS = {
    "i2h": ("weight_ih",),  # input-to-hidden
    "h2h": ("weight_hh",),  # hidden-to-hidden (recurrent)
    "both": ("weight_ih", "weight_hh"),
}
"""Target name -> the masked matrices of every recurrent layer it prunes."""

GATE_NAMES = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
"""torch's gate order of the gated cells; single-gate cells (tanh, relu) have one block ``h``."""


def recurrent_layers(model: nn.Module) -> list[tuple[str, MaskedRecurrentLayer]]:
    """``(qualified name, layer)`` of every :class:`MaskedRecurrentLayer` in ``model``, in order.

    Raises
    ------
    PruningError
        If ``model`` has none (a recurrent target needs recurrent layers).
    """
    layers = [
        (name, module)
        for name, module in model.named_modules()
        if isinstance(module, MaskedRecurrentLayer)
    ]
    if not layers:
        raise PruningError(
            f"The model ({type(model).__name__}) has no recurrent layers (MaskedRecurrentLayer): "
            f"the recurrent targets {list(RECURRENT_TARGETS)} prune the i2h / h2h weights of "
            "recurrent layers only; use models.pruning.prunable_parameters for other models."
        )
    return layers


def recurrent_targets(model: nn.Module, target: str = "both") -> list[PrunableParameter]:
    """The prunable parameters of ``target`` (``"i2h"``, ``"h2h"``, ``"both"``), a class per layer.

    Raises
    ------
    PruningError
        If ``target`` is unknown (the message lists the valid ones) or ``model`` has no
        recurrent layer.
    """
    if not isinstance(target, str) or target not in RECURRENT_TARGETS:
        raise PruningError(
            f"The 'target' parameter of recurrent_targets must be one of "
            f"{list(RECURRENT_TARGETS)}. Got {target!r} instead."
        )
    return [
        PrunableParameter(
            f"{prefix}.{matrix}" if prefix else matrix, layer, matrix, prefix or "layer"
        )
        for prefix, layer in recurrent_layers(model)
        for matrix in RECURRENT_TARGETS[target]
    ]


def gate_blocks(layer: MaskedRecurrentLayer) -> list[tuple[str, slice]]:
    """``(gate name, rows)`` of every gate block of ``layer``'s gate-stacked matrices."""
    gates = layer.gates
    names = GATE_NAMES.get(
        layer.cell, ("h",) if gates == 1 else tuple(f"g{k}" for k in range(gates))
    )
    size = layer.hidden_size
    return [(name, slice(k * size, (k + 1) * size)) for k, name in enumerate(names)]


def gate_sparsity(model: nn.Module) -> dict[tuple[str, str, str], float]:
    """Pruned fraction (masked entries) per ``(layer, matrix, gate)`` of every recurrent layer.

    >>> from models.masked_recurrent import MaskedRecurrent
    >>> body = MaskedRecurrent("lstm", 2, [3])
    >>> gate_sparsity(body)[("layers.0", "weight_hh", "f")]
    0.0
    """
    result = {}
    for prefix, layer in recurrent_layers(model):
        for matrix in ("weight_ih", "weight_hh"):
            mask = layer.get_mask(matrix)
            for gate, rows in gate_blocks(layer):
                block = mask[rows]
                result[(prefix, matrix, gate)] = float((~block).sum()) / block.numel()
    return result
