"""Masked recurrent layers and deep masked recurrent networks (the pruning study's body).

:class:`MaskedRecurrentLayer` is one recurrent layer (cell ``"tanh"``, ``"relu"``, ``"lstm"`` or
``"gru"``) whose input-to-hidden weights ``weight_ih`` and hidden-to-hidden weights
``weight_hh`` carry separate masks (``weight_ih_mask``, ``weight_hh_mask``; see
:mod:`models.masking`), so i2h and h2h weights can be pruned individually or together (paper,
section 4.2). The recurrence runs in torch's fused kernel (``torch.rnn_tanh``, ``lstm``,
``gru``, ...) with the masked weights passed in; there is no Python loop over time steps, and
the parameter layout is torch's (gate blocks stacked as rows), so weights copy one-to-one from
and to ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``.

:class:`MaskedRecurrent` stacks such layers. Its ``forward(x, lengths)`` takes a padded batch
of embedded sequences and returns, for every sequence, the last layer's state at that
sequence's *own* last step: variable-length batches run as packed sequences, so padding never
reaches the prediction.

Example
-------
>>> body = MaskedRecurrent("gru", 4, [8, 8])
>>> body(torch.randn(2, 5, 4), torch.tensor([5, 3])).shape
torch.Size([2, 8])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import networkx as nx
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from models.masking import MaskedModule
from models.recurrent_cells import (
    add_unit_edges,
    check_padded_batch,
    check_size,
    gate_stacked_mask,
    get_cell,
    unit_biases,
)

__all__ = ["MaskedRecurrent", "MaskedRecurrentLayer"]

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


class MaskedRecurrentLayer(MaskedModule):
    """One recurrent layer with masked ``weight_ih`` and ``weight_hh``.

    Parameters
    ----------
    cell:
        ``"tanh"``, ``"relu"``, ``"lstm"`` or ``"gru"`` (see
        :func:`models.recurrent_cells.list_cells`).
    input_size, hidden_size:
        Feature sizes, as in ``nn.RNN``.
    bias:
        Whether the layer has ``bias_ih`` and ``bias_hh``.

    Attributes
    ----------
    weight_ih, weight_hh:
        ``(gates * hidden_size, input_size)`` and ``(gates * hidden_size, hidden_size)``, gate
        blocks stacked as in torch; masks ``weight_ih_mask`` and ``weight_hh_mask``.
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, *, bias: bool = True):
        super().__init__()
        where = "MaskedRecurrentLayer"
        self.cell = get_cell(cell, where=where).name
        self.input_size = check_size(input_size, name="input_size", where=where)
        self.hidden_size = check_size(hidden_size, name="hidden_size", where=where)
        self.bias = bool(bias)
        gates = get_cell(cell).gates
        self.weight_ih = nn.Parameter(torch.empty(gates * hidden_size, input_size))
        self.weight_hh = nn.Parameter(torch.empty(gates * hidden_size, hidden_size))
        if self.bias:
            self.bias_ih = nn.Parameter(torch.empty(gates * hidden_size))
            self.bias_hh = nn.Parameter(torch.empty(gates * hidden_size))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()
        self.register_mask("weight_ih")
        self.register_mask("weight_hh")

    @property
    def gates(self) -> int:
        """Number of gate blocks (1, 3 for GRU, 4 for LSTM)."""
        return get_cell(self.cell).gates

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """torch's initialisation: every entry uniform in ``±1/sqrt(hidden_size)``."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for parameter in self.parameters(recurse=False):
            parameter.uniform_(-bound, bound)
        if self.masked_parameter_names:
            self.apply_masks()

    def set_unit_masks(
        self, ih: torch.Tensor | None = None, hh: torch.Tensor | None = None
    ) -> None:
        """Set the masks from per-unit connectivity, the same in every gate.

        ``ih`` has shape ``(hidden_size, input_size)``, ``hh`` ``(hidden_size, hidden_size)``;
        entry ``(j, i)`` says whether input (or unit) ``i`` feeds unit ``j``.
        """
        for name, unit_mask in (("weight_ih", ih), ("weight_hh", hh)):
            if unit_mask is not None:
                self.set_mask(name, gate_stacked_mask(torch.as_tensor(unit_mask), self.cell))

    def forward(
        self, input: torch.Tensor | PackedSequence, hx: State | None = None
    ) -> tuple[torch.Tensor | PackedSequence, State]:
        """Run the layer over whole sequences, like ``nn.RNN(batch_first=True)``.

        Parameters
        ----------
        input:
            ``(batch, time, input_size)`` or a :class:`PackedSequence`.
        hx:
            Initial state ``(1, batch, hidden_size)`` (a pair for LSTM), zeros if None.

        Returns
        -------
        output, h_n:
            All states (same kind as ``input``) and the final state (pair ``(h, c)`` for
            LSTM), in the batch order of ``input``.
        """
        cell = get_cell(self.cell)
        weights = [self.masked("weight_ih"), self.masked("weight_hh")]
        if self.bias:
            weights += [self.bias_ih, self.bias_hh]
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            batch = int(batch_sizes[0])
        else:
            check_padded_batch(
                input, None, input_size=self.input_size, where="MaskedRecurrentLayer.forward"
            )
            data, batch = input, input.shape[0]
        if hx is None:
            zeros = data.new_zeros(1, batch, self.hidden_size)
            hx = (zeros, zeros) if cell.has_cell_state else zeros
        elif packed and sorted_indices is not None:
            hx = _permute(hx, sorted_indices)
        args = (weights, self.bias, 1, 0.0, self.training, False)
        if packed:
            result = cell.fused(data, batch_sizes, hx, *args)
        else:
            result = cell.fused(data, hx, *args, True)
        output = result[0]
        h_n = (result[1], result[2]) if cell.has_cell_state else result[1]
        if packed:
            output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
            if unsorted_indices is not None:
                h_n = _permute(h_n, unsorted_indices)
        return output, h_n

    def extra_repr(self) -> str:
        return (
            f"cell={self.cell!r}, input_size={self.input_size}, "
            f"hidden_size={self.hidden_size}, bias={self.bias}"
        )


class MaskedRecurrent(nn.Module):
    """A stack of :class:`MaskedRecurrentLayer` read at every sequence's own last step.

    Parameters
    ----------
    cell:
        Cell of every layer (see :func:`models.recurrent_cells.list_cells`).
    input_size:
        Features per time step (the embedding dimension).
    hidden_sizes:
        Units of each layer, bottom to top, e.g. ``[50, 50, 50]`` (the paper's base model).
    bias:
        Whether layers have biases.

    Raises
    ------
    ValueError
        On an unknown cell or non-positive sizes.
    """

    def __init__(
        self, cell: str, input_size: int, hidden_sizes: Sequence[int], *, bias: bool = True
    ):
        super().__init__()
        where = "MaskedRecurrent"
        self.cell = get_cell(cell, where=where).name
        self.input_size = check_size(input_size, name="input_size", where=where)
        if isinstance(hidden_sizes, int) or not list(hidden_sizes):
            raise ValueError(
                f"The 'hidden_sizes' parameter of {where} must be a non-empty list of positive "
                f"integers. Got {hidden_sizes!r} instead."
            )
        self.hidden_sizes = [
            check_size(size, name="hidden_sizes", where=where) for size in hidden_sizes
        ]
        sizes = [self.input_size, *self.hidden_sizes]
        self.layers = nn.ModuleList(
            MaskedRecurrentLayer(cell, n_in, n_out, bias=bias)
            for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
        )

    @property
    def output_size(self) -> int:
        """Features returned per sequence (units of the top layer)."""
        return self.hidden_sizes[-1]

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Top-layer state at each sequence's last step.

        Parameters
        ----------
        x:
            Padded batch ``(batch, time, input_size)``; sequence ``b`` occupies steps
            ``0 .. lengths[b] - 1``.
        lengths:
            ``(batch,)`` integers in ``[1, time]``; None means every sequence fills ``time``.

        Returns
        -------
        ``(batch, output_size)`` features.
        """
        lengths = check_padded_batch(
            x, lengths, input_size=self.input_size, where="MaskedRecurrent.forward"
        )
        sequence: torch.Tensor | PackedSequence = x
        if bool((lengths != x.shape[1]).any()):
            sequence = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        h_n: State | None = None
        for layer in self.layers:
            sequence, h_n = layer(sequence)
        h = h_n[0] if isinstance(h_n, tuple) else h_n
        return h[0]

    def feature_neurons(self) -> list[int]:
        """Ids (in :meth:`neuron_graph`) of the neurons behind the output features, in order."""
        start = self.input_size + sum(self.hidden_sizes[:-1])
        return list(range(start, start + self.hidden_sizes[-1]))

    def neuron_graph(self) -> nx.DiGraph:
        """Neuron-level graph of the network.

        Vertices are integers: the ``input_size`` inputs first (``layer`` 0, ``role``
        ``"input"``), then each recurrent layer's units (``layer`` 1, 2, ..., ``role``
        ``"hidden"``); every vertex also has a ``name`` (``"x3"``, ``"h1_4"``) and a ``bias``
        (``bias_ih + bias_hh``, L2 norm over the gates for LSTM/GRU; 0.0 for inputs). Edges
        are the non-zero connections with their ``weight`` (signed for plain RNNs, the L2
        norm over the gates for LSTM/GRU); hidden-to-hidden edges (self-loops included) have
        ``recurrent=True``. Graph attributes: ``architecture="recurrent"``,
        ``granularity="neuron"``, ``cell``.
        """
        graph = nx.DiGraph(architecture="recurrent", granularity="neuron", cell=self.cell)
        ids = list(range(self.input_size))
        graph.add_nodes_from(
            (i, {"layer": 0, "role": "input", "name": f"x{i}", "bias": 0.0}) for i in ids
        )
        next_id = self.input_size
        for depth, layer in enumerate(self.layers, start=1):
            units = list(range(next_id, next_id + layer.hidden_size))
            next_id += layer.hidden_size
            gates = layer.gates
            biases = unit_biases(layer.bias_ih, layer.bias_hh, gates, layer.hidden_size)
            graph.add_nodes_from(
                (u, {"layer": depth, "role": "hidden", "name": f"h{depth}_{k}", "bias": b})
                for k, (u, b) in enumerate(zip(units, biases, strict=True))
            )
            add_unit_edges(
                graph, layer.masked("weight_ih"), gates=gates, sources=ids, targets=units
            )
            add_unit_edges(
                graph,
                layer.masked("weight_hh"),
                gates=gates,
                sources=units,
                targets=units,
                recurrent=True,
            )
            ids = units
        return graph


def _permute(state: State, index: torch.Tensor) -> State:
    """Reorder the batch dimension (dim 1) of a state or an LSTM state pair."""
    if isinstance(state, tuple):
        return (state[0].index_select(1, index), state[1].index_select(1, index))
    return state.index_select(1, index)
