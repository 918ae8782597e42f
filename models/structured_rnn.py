"""Structured RNN: a graph becomes a sparse recurrent network (the priors study, section 4.3).

Recipe ("structure -> model"):

1. the graph becomes a layered DAG (:func:`models.dag.layered_dag`: orientation rule,
   ``layer(v) = max(layer(u) for u -> v, default -1) + 1``);
2. every vertex becomes ``units_per_vertex`` recurrent neurons of the DAG layer it sits in;
3. the input (embedding) feeds every source vertex; an edge ``u -> v`` is an input-to-hidden
   connection from ``u``'s neurons to ``v``'s neurons at the same time step, skip-layer edges
   included; nothing else crosses layers;
4. inside a DAG layer, hidden-to-hidden (recurrent) weights are dense, as in one recurrent
   layer (paper, Figure 6c);
5. every sink vertex feeds the readout: the features of a sequence are the sink neurons'
   states at its own last step.

Parameters follow torch's layout with all neurons stacked: ``weight_ih`` has shape
``(gates * N, input_size + N)`` (columns: the inputs, then the neurons) and ``weight_hh``
``(gates * N, N)``, with masks ``weight_ih_mask`` / ``weight_hh_mask`` (see
:mod:`models.masking`) holding the structure; every gate block of a gated cell carries the
same vertex mask. The forward pass reads exactly the unmasked entries (the same result as
``masked(name)``); masked entries get zero gradients and stay zero under any optimiser.

The network runs in the wavefront schedule of :mod:`models.wavefront` (all layers advance
together, one custom autograd function), so a forward pass costs ``time + depth - 1`` sweep
steps, not ``time x depth`` cell steps.

Example
-------
>>> import networkx as nx
>>> rnn = StructuredRNN(nx.path_graph(3), "lstm", 4)
>>> rnn(torch.randn(2, 5, 4), torch.tensor([5, 2])).shape
torch.Size([2, 1])
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import networkx as nx
import torch
from torch import nn

from models.dag import LayeredDAG, layered_dag
from models.masking import MaskedModule, MaskError, check_mask
from models.recurrent_cells import (
    add_unit_edges,
    check_padded_batch,
    check_size,
    gate_stacked_mask,
    get_cell,
    unit_biases,
)
from models.wavefront import WavefrontPlan, sweep_step, wavefront_states

__all__ = ["StructuredRNN"]


class StructuredRNN(MaskedModule):
    """Recurrent network whose neurons and connections come from a graph.

    Parameters
    ----------
    graph:
        networkx graph, igraph graph or edge list (see :func:`models.dag.to_networkx`).
        Undirected graphs are oriented by ``orientation``; directed graphs must be acyclic.
    cell:
        ``"tanh"``, ``"relu"``, ``"lstm"`` or ``"gru"`` (see
        :func:`models.recurrent_cells.list_cells`).
    input_size:
        Features per time step (the embedding dimension).
    units_per_vertex:
        Neurons per vertex; an edge connects all neurons of its two vertices.
    orientation:
        Rule for undirected edges (see :func:`models.dag.list_orientations`).
    bias:
        Whether neurons have biases (``bias_ih``, ``bias_hh``).

    Attributes
    ----------
    layered:
        The :class:`~models.dag.LayeredDAG` of the graph.
    neurons:
        ``(vertex, unit)`` of every neuron, layer by layer; neuron ``k`` is row ``k`` of every
        gate block.
    output_size:
        Features per sequence: ``len(layered.sinks) * units_per_vertex``.

    Raises
    ------
    EmptyGraphError, CyclicGraphError
        If the graph is empty or a directed graph has a cycle (from :mod:`models.dag`).
    ValueError
        On an unknown cell or one registered without a wavefront sweep step, a non-positive
        size or an unknown orientation.

    The sweep plan (index tensors built from the masks) follows the module's device:
    ``.to(device)`` moves it with the parameters.
    """

    def __init__(
        self,
        graph: Any,
        cell: str,
        input_size: int,
        *,
        units_per_vertex: int = 1,
        orientation: str = "smaller_to_larger",
        bias: bool = True,
    ):
        super().__init__()
        where = "StructuredRNN"
        self.cell = get_cell(cell, where=where).name
        sweep_step(self.cell, where=where)  # refuse, now, a cell the sweep cannot run
        self.input_size = check_size(input_size, name="input_size", where=where)
        self.units_per_vertex = check_size(units_per_vertex, name="units_per_vertex", where=where)
        self.bias = bool(bias)
        self.layered: LayeredDAG = layered_dag(graph, orientation=orientation)

        units = self.units_per_vertex
        self.neurons: list[tuple[Hashable, int]] = [
            (v, u) for v in self.layered.vertices for u in range(units)
        ]
        n = len(self.neurons)
        first = {v: k * units for k, v in enumerate(self.layered.vertices)}
        layer = torch.tensor([self.layered.layer_of[v] for v, _ in self.neurons])
        sinks = [first[v] + u for v in self.layered.sinks for u in range(units)]
        self.register_buffer("neuron_layer", layer, persistent=False)
        self.register_buffer("sink_neurons", torch.tensor(sinks), persistent=False)
        # sweep step of a sink's time 0 (its layer): read once per forward
        self.register_buffer("_sink_layer", layer[self.sink_neurons][None, :], persistent=False)

        # Per-neuron structure: inputs -> layer 0, DAG edges, dense within each layer.
        feeds = torch.zeros(n, self.input_size + n, dtype=torch.bool)
        feeds[layer == 0, : self.input_size] = True
        for u, v in self.layered.dag.edges():
            cols = slice(self.input_size + first[u], self.input_size + first[u] + units)
            feeds[first[v] : first[v] + units, cols] = True
        same_layer = layer[:, None] == layer[None, :]
        # What any mask may hold without breaking the layer order (see set_mask).
        admissible = torch.zeros_like(feeds)
        admissible[layer == 0, : self.input_size] = True
        admissible[:, self.input_size :] = layer[:, None] > layer[None, :]
        self.register_buffer(
            "_admissible_ih", gate_stacked_mask(admissible, cell), persistent=False
        )
        self.register_buffer(
            "_admissible_hh", gate_stacked_mask(same_layer, cell), persistent=False
        )

        gates = get_cell(cell).gates
        self.weight_ih = nn.Parameter(torch.empty(gates * n, self.input_size + n))
        self.weight_hh = nn.Parameter(torch.empty(gates * n, n))
        if self.bias:
            self.bias_ih = nn.Parameter(torch.empty(gates * n))
            self.bias_hh = nn.Parameter(torch.empty(gates * n))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()
        self.register_mask("weight_ih", gate_stacked_mask(feeds, cell))
        self.register_mask("weight_hh", gate_stacked_mask(same_layer, cell))
        self._plan: WavefrontPlan | None = None
        self._plan_key: tuple = ()

    @property
    def gates(self) -> int:
        """Number of gate blocks (1, 3 for GRU, 4 for LSTM)."""
        return get_cell(self.cell).gates

    @property
    def num_neurons(self) -> int:
        """Recurrent neurons: vertices times ``units_per_vertex``."""
        return len(self.neurons)

    @property
    def depth(self) -> int:
        """Number of DAG layers."""
        return len(self.layered.layers)

    @property
    def output_size(self) -> int:
        """Features per sequence (sink neurons)."""
        return int(self.sink_neurons.numel())

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """torch's initialisation per DAG layer: uniform in ``±1/sqrt(neurons in the layer)``."""
        sizes = torch.bincount(self.neuron_layer).to(self.weight_ih.dtype)
        bound = sizes[self.neuron_layer].rsqrt().repeat(self.gates)  # (gates * N,)
        for parameter in self.parameters(recurse=False):
            parameter.uniform_(-1.0, 1.0)
            parameter.mul_(bound.view(-1, *[1] * (parameter.dim() - 1)))
        if self.masked_parameter_names:
            self.apply_masks()

    def set_mask(self, name: str, mask: torch.Tensor) -> None:
        """Replace a mask; it may only hold connections that respect the layer order.

        ``weight_ih``: inputs feed layer-0 neurons only, neurons feed later layers only;
        ``weight_hh``: within a layer only.

        Raises
        ------
        MaskError
            If the mask has the wrong shape or holds an inadmissible connection.
        """
        if name in self.masked_parameter_names:
            checked = check_mask(mask, getattr(self, name), where=f"{type(self).__name__}.{name}")
            outside = checked & ~getattr(self, f"_admissible_{name[-2:]}")
            if bool(outside.any()):
                raise MaskError(
                    f"The mask for StructuredRNN.{name} holds {int(outside.sum())} "
                    "connections that break the layer order (inputs feed layer 0 only, "
                    "weight_ih connects earlier to later layers, weight_hh stays within a "
                    "layer)."
                )
            mask = checked
        super().set_mask(name, mask)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Sink neurons' states at each sequence's last step.

        Parameters
        ----------
        x:
            Padded batch ``(batch, time, input_size)``; sequence ``b`` occupies steps
            ``0 .. lengths[b] - 1``; later steps are never read.
        lengths:
            ``(batch,)`` integers in ``[1, time]``; None means every sequence fills ``time``.

        Returns
        -------
        ``(batch, output_size)`` features, sink neurons in :attr:`neurons` order.
        """
        lengths = check_padded_batch(
            x, lengths, input_size=self.input_size, where="StructuredRNN.forward"
        )
        if x.device != self.weight_ih.device:
            raise ValueError(
                f"StructuredRNN.forward: the input is on {x.device} but the module on "
                f"{self.weight_ih.device}; move one of them (x.to(...) or model.to(...))."
            )
        longest = int(lengths.max())  # on the CPU: no device sync
        lengths = lengths.to(x.device)
        return wavefront_states(
            self._current_plan(),
            x if longest == x.shape[1] else x[:, :longest],
            self.weight_ih,
            self.weight_hh,
            self.bias_ih,
            self.bias_hh,
            steps=longest + self.depth - 1,
            # neuron v's time t sits at sweep step t + layer(v)
            read_steps=(lengths - 1).unsqueeze(1) + self._sink_layer,
            read_neurons=self.sink_neurons,
        )

    def feature_neurons(self) -> list[int]:
        """Ids (in :meth:`neuron_graph`) of the neurons behind the output features, in order."""
        return [self.input_size + int(k) for k in self.sink_neurons]

    def neuron_graph(self) -> nx.DiGraph:
        """Neuron-level graph of the network.

        Vertices are integers: the ``input_size`` inputs (``layer`` 0, ``role`` ``"input"``,
        ``name`` ``"x<i>"``, ``bias`` 0.0), then neuron ``k`` of :attr:`neurons` as
        ``input_size + k`` (``layer`` = DAG layer + 1, ``role`` ``"hidden"``, ``vertex`` and
        ``unit`` of the source graph, ``name`` ``"v<vertex>"`` or ``"v<vertex>_<unit>"``,
        ``bias`` = ``bias_ih + bias_hh``, L2 norm over the gates for LSTM/GRU). Edges are the
        non-zero connections with their ``weight`` (signed for plain RNNs, L2 norm over the
        gates for LSTM/GRU); recurrent edges (within a layer, self-loops included) have
        ``recurrent=True``. Graph attributes: ``architecture="structured_rnn"``,
        ``granularity="neuron"``, ``cell``.
        """
        graph = nx.DiGraph(architecture="structured_rnn", granularity="neuron", cell=self.cell)
        inputs = list(range(self.input_size))
        graph.add_nodes_from(
            (i, {"layer": 0, "role": "input", "name": f"x{i}", "bias": 0.0}) for i in inputs
        )
        hidden = [self.input_size + k for k in range(self.num_neurons)]
        biases = unit_biases(self.bias_ih, self.bias_hh, self.gates, self.num_neurons)
        for k, (vertex, unit) in enumerate(self.neurons):
            name = f"v{vertex}" if self.units_per_vertex == 1 else f"v{vertex}_{unit}"
            graph.add_node(
                hidden[k],
                layer=int(self.neuron_layer[k]) + 1,
                role="hidden",
                name=name,
                vertex=vertex,
                unit=unit,
                bias=biases[k],
            )
        add_unit_edges(
            graph,
            self.masked("weight_ih"),
            gates=self.gates,
            sources=inputs + hidden,
            targets=hidden,
        )
        add_unit_edges(
            graph,
            self.masked("weight_hh"),
            gates=self.gates,
            sources=hidden,
            targets=hidden,
            recurrent=True,
        )
        return graph

    def extra_repr(self) -> str:
        return (
            f"cell={self.cell!r}, input_size={self.input_size}, vertices="
            f"{self.layered.dag.number_of_nodes()}, edges={self.layered.dag.number_of_edges()}, "
            f"depth={self.depth}, units_per_vertex={self.units_per_vertex}"
        )

    def __getstate__(self) -> dict:
        """Pickle / deepcopy without the cached sweep plan (and its work buffers)."""
        state = dict(super().__getstate__())
        state["_plan"], state["_plan_key"] = None, ()
        return state

    def _apply(self, fn, recurse=True):
        """Move or convert the module (``.to()``, ``.cuda()``, ``.double()``, ...) and its
        sweep plan with it.

        The plan is built from the masks' values; a device without data (``meta``) cannot
        build one, so the plan of the current masks is made before the move and moved along.
        """
        plan = self._plan if self.weight_ih_mask.device.type == "meta" else self._current_plan()
        result = super()._apply(fn, recurse)
        if plan is not None:
            self._plan = plan.to(self.weight_ih_mask.device)
            self._plan_key = self._mask_key()
        return result

    def _mask_key(self) -> tuple:
        """Identity and in-place version of both masks.

        ``Tensor._version`` is torch's in-place modification counter (the one autograd checks);
        torch has no public equivalent, and without it an in-place edit of a mask
        (``mask[...] = False``) would leave a stale plan.
        """
        masks = (self.weight_ih_mask, self.weight_hh_mask)
        return tuple((m.data_ptr(), m._version) for m in masks)

    def _current_plan(self) -> WavefrontPlan:
        """The sweep plan of the current masks, on the masks' device (rebuilt when a mask
        changes)."""
        key = self._mask_key()
        if self._plan is None or key != self._plan_key:
            device = self.weight_ih_mask.device
            if device.type == "meta":
                raise ValueError(
                    "StructuredRNN: the masks are on the meta device (no values), so no sweep "
                    "plan can be built from them; set the masks on a real device first."
                )
            self._plan = WavefrontPlan.build(
                self.cell,
                self.neuron_layer,
                self.weight_ih_mask,
                self.weight_hh_mask,
                num_inputs=self.input_size,
            ).to(device)
            self._plan_key = key
        return self._plan
