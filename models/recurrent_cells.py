"""Recurrent cells and the conventions every sparse recurrent model shares.

A *cell* names the update rule of a recurrent neuron: ``"tanh"`` and ``"relu"`` (Elman RNN),
``"lstm"`` and ``"gru"``. Cells live in a registry (:func:`register_cell`, :func:`get_cell`,
:func:`list_cells`) so the pruning study, the priors study and the CLI accept the same names.

Gate-stacked weights
--------------------
torch stores the weights of gated cells as *contiguous blocks of rows*, one block per gate
(LSTM: ``i, f, g, o``; GRU: ``r, z, n``): ``weight_ih`` has shape ``(gates * hidden, input)``
and rows ``g * hidden + j`` belong to unit ``j`` in gate ``g``. A per-unit connectivity
``(hidden, input)`` therefore becomes a mask by repeating the *whole block* once per gate
(:func:`gate_stacked_mask`), never by repeating each row (``repeat_interleave``), which would
put connections on the wrong units.

Also here: validation of padded sequence batches (:func:`check_padded_batch`) and the helper
that turns gate-stacked weights into neuron-to-neuron edges (:func:`add_unit_edges`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import networkx as nx
import torch

from models.wavefront.cells import GRU_SWEEP, LSTM_SWEEP, RELU_SWEEP, TANH_SWEEP, SweepStep

__all__ = [
    "RecurrentCell",
    "add_unit_edges",
    "check_padded_batch",
    "check_size",
    "gate_stacked_mask",
    "get_cell",
    "list_cells",
    "register_cell",
    "unit_biases",
    "unit_weights",
]


@dataclass(frozen=True)
class RecurrentCell:
    """A recurrent update rule as torch implements it.

    Attributes
    ----------
    name:
        Registry name (``"tanh"``, ``"relu"``, ``"lstm"``, ``"gru"``).
    gates:
        Number of gate blocks stacked in ``weight_ih`` / ``weight_hh`` (1 for plain RNNs).
    fused:
        torch's fused multi-step kernel (``torch.rnn_tanh``, ``torch.rnn_relu``,
        ``torch.lstm``, ``torch.gru``), used by
        :class:`models.masked_recurrent.MaskedRecurrentLayer`.
    has_cell_state:
        True for LSTM, whose state is the pair ``(h, c)``.
    sweep:
        The step math of the wavefront sweep (:class:`models.wavefront.cells.SweepStep`), used
        by :class:`models.structured_rnn.StructuredRNN`; None if the cell cannot run there
        (the structured RNN then refuses it when it is built).
    """

    name: str
    gates: int
    fused: Callable
    has_cell_state: bool = False
    sweep: SweepStep | None = None


_CELLS: dict[str, RecurrentCell] = {}


def register_cell(
    name: str,
    *,
    gates: int,
    fused: Callable,
    has_cell_state: bool = False,
    sweep: SweepStep | None = None,
) -> RecurrentCell:
    """Register a cell under ``name`` and return its description.

    Raises
    ------
    ValueError
        If ``name`` is taken, ``gates`` is not a positive integer, ``fused`` is not callable,
        or ``sweep`` disagrees with ``has_cell_state``.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"The 'name' parameter of register_cell must be a non-empty str. Got {name!r}."
        )
    if name in _CELLS:
        raise ValueError(
            f"register_cell: a cell named {name!r} is already registered; choose another name."
        )
    check_size(gates, name="gates", where="register_cell")
    if not callable(fused):
        raise ValueError(
            "The 'fused' parameter of register_cell must be callable (a fused multi-step "
            f"kernel such as torch.rnn_tanh). Got {fused!r} instead."
        )
    if sweep is not None and (
        not isinstance(sweep, SweepStep) or sweep.has_cell_state != has_cell_state
    ):
        raise ValueError(
            "The 'sweep' parameter of register_cell must be a SweepStep whose has_cell_state "
            f"equals the cell's ({has_cell_state}). Got {sweep!r} instead."
        )
    cell = RecurrentCell(
        name=name, gates=gates, fused=fused, has_cell_state=has_cell_state, sweep=sweep
    )
    _CELLS[name] = cell
    return cell


def list_cells() -> list[str]:
    """Names of the registered cells."""
    return sorted(_CELLS)


def get_cell(name: str, *, where: str = "get_cell") -> RecurrentCell:
    """The cell registered as ``name``.

    Raises
    ------
    ValueError
        If ``name`` is not registered; the message lists the valid names.
    """
    if not isinstance(name, str) or name not in _CELLS:
        raise ValueError(
            f"The 'cell' parameter of {where} must be one of {list_cells()}. Got {name!r} instead."
        )
    return _CELLS[name]


def gate_stacked_mask(unit_mask: torch.Tensor, cell: str) -> torch.Tensor:
    """Repeat a per-unit mask ``(hidden, inputs)`` once per gate block of ``cell``.

    Returns a ``(gates * hidden, inputs)`` boolean mask whose block ``g`` (rows
    ``g * hidden ... (g + 1) * hidden - 1``) equals ``unit_mask``: the connection ``i -> j`` is
    kept or removed in every gate of unit ``j`` at once.

    >>> gate_stacked_mask(torch.tensor([[1, 0], [0, 1]]), "gru").int().tolist()
    [[1, 0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1]]
    """
    gates = get_cell(cell, where="gate_stacked_mask").gates
    if not isinstance(unit_mask, torch.Tensor) or unit_mask.dim() != 2:
        raise ValueError(
            "The 'unit_mask' parameter of gate_stacked_mask must be a 2-D tensor "
            f"(hidden, inputs). Got {getattr(unit_mask, 'shape', type(unit_mask).__name__)}."
        )
    return torch.cat([unit_mask.bool()] * gates, dim=0)


def unit_weights(weight: torch.Tensor, gates: int) -> torch.Tensor:
    """Collapse a gate-stacked weight ``(gates * rows, cols)`` to one value per unit pair.

    One gate: the signed weight itself. Several gates: the L2 norm over the gates, so a
    connection counts as present when any gate uses it.
    """
    rows = weight.shape[0] // gates
    stacked = weight.detach().reshape(gates, rows, weight.shape[1])
    if gates == 1:
        return stacked[0].clone()
    return stacked.pow(2).sum(0).sqrt()


def unit_biases(
    bias_ih: torch.Tensor | None, bias_hh: torch.Tensor | None, gates: int, units: int
) -> list[float]:
    """Effective bias of every unit: ``bias_ih + bias_hh``, L2 norm over the gates when gated.

    Zeros when the layer has no bias.
    """
    if bias_ih is None:
        return [0.0] * units
    return unit_weights((bias_ih + bias_hh).detach()[:, None], gates)[:, 0].tolist()


def add_unit_edges(
    graph: nx.DiGraph,
    weight: torch.Tensor,
    *,
    gates: int,
    sources: Sequence[Hashable],
    targets: Sequence[Hashable],
    recurrent: bool = False,
) -> None:
    """Add an edge ``sources[c] -> targets[r]`` for every non-zero unit weight ``(r, c)``.

    ``weight`` is gate-stacked (see :func:`unit_weights`); edges carry ``weight`` (float) and,
    when ``recurrent``, ``recurrent=True``.
    """
    values = unit_weights(weight, gates)
    present = (weight.detach().reshape(gates, -1, weight.shape[1]) != 0).any(0)
    rows, cols = torch.nonzero(present, as_tuple=True)
    attrs = {"recurrent": True} if recurrent else {}
    graph.add_edges_from(
        (sources[c], targets[r], {"weight": float(values[r, c]), **attrs})
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True)
    )


def check_padded_batch(
    x: torch.Tensor, lengths: torch.Tensor | None, *, input_size: int, where: str
) -> torch.Tensor:
    """Validate a padded batch ``x`` of shape ``(batch, time, input_size)`` and its lengths.

    Returns the lengths as a CPU int64 tensor (all ``time`` when ``lengths`` is None).

    Raises
    ------
    ValueError
        If ``x`` has the wrong rank or feature size, or ``lengths`` has the wrong shape or a
        value outside ``[1, time]``.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[-1] != input_size:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(
            f"The 'x' parameter of {where} must be a tensor of shape (batch, time, {input_size}). "
            f"Got {shape} instead."
        )
    batch, time = x.shape[0], x.shape[1]
    if batch == 0 or time == 0:
        raise ValueError(
            f"The 'x' parameter of {where} must hold at least one step of one sequence."
        )
    if lengths is None:
        return torch.full((batch,), time, dtype=torch.int64)
    lengths = torch.as_tensor(lengths).to("cpu")
    if lengths.dim() != 1 or lengths.shape[0] != batch or lengths.is_floating_point():
        raise ValueError(
            f"The 'lengths' parameter of {where} must be a 1-D integer tensor of size {batch}. "
            f"Got shape {tuple(lengths.shape)} and dtype {lengths.dtype} instead."
        )
    lengths = lengths.to(torch.int64)
    if bool((lengths < 1).any()) or bool((lengths > time).any()):
        raise ValueError(
            f"The 'lengths' parameter of {where} must lie in [1, {time}]. "
            f"Got values from {int(lengths.min())} to {int(lengths.max())} instead."
        )
    return lengths


def check_size(value: object, *, name: str, where: str) -> int:
    """Return ``value`` if it is a positive integer, else raise a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"The {name!r} parameter of {where} must be a positive integer. Got {value!r} instead."
        )
    return value


# torch's public fused kernels (the ones nn.RNN / nn.LSTM / nn.GRU call).
register_cell("tanh", gates=1, fused=torch.rnn_tanh, sweep=TANH_SWEEP)
register_cell("relu", gates=1, fused=torch.rnn_relu, sweep=RELU_SWEEP)
register_cell("lstm", gates=4, fused=torch.lstm, has_cell_state=True, sweep=LSTM_SWEEP)
register_cell("gru", gates=3, fused=torch.gru, sweep=GRU_SWEEP)
