"""A sparse network whose neurons and connections are the vertices and edges of any DAG.

The recipe is the paper's (section 4.3, via :func:`models.dag.layered_dag`): orient the graph,
index layers by longest path from a source, let the input feed every source vertex (densely)
and every sink vertex feed the output (densely). Each DAG vertex is one neuron; an edge
``u -> v`` is a weight from neuron ``u`` to neuron ``v``, so a layer receives skip-layer
connections from every earlier layer that has an edge into it:

    z_l = sum_{s < l} W^{s->l} a_s + b_l,    a_l = σ(z_l)    (paper, section 2)

Cheap in kernels
----------------
deepstruct builds one masked linear module per pair of connected layers, others one module per
vertex. Here each target layer is ONE masked projection: the hidden activations of all layers
live in one ``(neurons, batch)`` buffer, layer ``l`` reads the contiguous slice of it that spans
the earlier layers feeding it (plus the network input if one of its vertices is an input
vertex) and applies one masked matrix product, written in place. All layer blocks are stored
in one flat parameter ``weight`` with one flat boolean ``weight_mask`` (the
:class:`~models.masking.MaskedModule` mechanism), so masking is one kernel, and the
backward pass is written by hand in a single autograd node (three kernels per layer), which
keeps a 100-layer DAG fast on a CPU. Use :meth:`MaskedDAGNetwork.layer_weight`,
:meth:`layer_mask` and :meth:`set_layer_mask` to work with one layer's block.

Example
-------
>>> import networkx as nx, torch
>>> net = MaskedDAGNetwork(nx.path_graph(3), in_features=4, out_features=2)
>>> [p.vertices for p in net.plan]
[(0,), (1,), (2,)]
>>> net(torch.zeros(5, 4)).shape
torch.Size([5, 2])
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx
import torch
from torch import nn

from models.activations import Activation, create_activation
from models.dag import (
    GraphStructureError,
    LayeredDAG,
    UnreachableVertexError,
    layered_dag,
    vertex_sort_key,
)
from models.dag_hidden import DAGHidden
from models.masked_linear import MaskedLinear
from models.masking import MaskedModule, check_mask, float_mask
from models.state_dict import CheckedStateDictMixin

__all__ = ["LayerPlan", "MaskedDAGNetwork"]


@dataclass(frozen=True)
class LayerPlan:
    """How one DAG layer is computed.

    Layer ``layer`` holds the neurons ``start .. start + len(vertices) - 1`` of the hidden
    buffer, one per vertex in ``vertices``. Its weight block, stored at
    ``weight[weight_offset : weight_offset + rows * cols]`` as a ``(rows, cols)`` matrix, has
    ``in_features`` columns for the network input (0 unless ``uses_input``) followed by the
    hidden neurons ``source_start .. source_stop - 1``.
    """

    layer: int
    vertices: tuple[Hashable, ...]
    start: int
    uses_input: bool
    in_features: int
    source_start: int
    source_stop: int
    weight_offset: int

    @property
    def rows(self) -> int:
        return len(self.vertices)

    @property
    def stop(self) -> int:
        return self.start + self.rows

    @property
    def cols(self) -> int:
        return self.in_features + self.source_stop - self.source_start

    @property
    def size(self) -> int:
        return self.rows * self.cols


class MaskedDAGNetwork(CheckedStateDictMixin, MaskedModule):
    """Masked network with one neuron per vertex of a DAG and skip-layer connections.

    A layer's mask block spans its whole input window, so besides pruning the DAG's edges a
    mask may also switch on connections inside the window that the DAG lacks (regrowth);
    :func:`models.to_graph.model_to_graph` reports the connections the network really has.

    Parameters
    ----------
    structure:
        A networkx graph, igraph graph or edge list (oriented and layered by
        :func:`models.dag.layered_dag`), or a ready :class:`models.dag.LayeredDAG` whose layer
        assignment is used as is (edges must point to a later layer).
    in_features, out_features:
        Network input and output sizes (inputs are flattened from dimension 1 on).
    orientation:
        Orientation rule for undirected edges (see :func:`models.dag.list_orientations`).
    inputs:
        Vertices the input feeds; default every source. Every vertex must be reachable from
        them.
    outputs:
        Vertices that feed the output; default every sink.
    activation:
        Name of the non-linearity of the hidden neurons (see
        :func:`models.activations.list_activations`).
    bias:
        Learn a bias per hidden and output neuron.

    Attributes
    ----------
    layered:
        The :class:`~models.dag.LayeredDAG` the network was built from.
    vertices:
        DAG vertex of every hidden neuron, layer by layer.
    plan:
        One :class:`LayerPlan` per layer.
    weight, weight_mask:
        Flat storage of all layer blocks and their boolean mask.
    layout:
        ``(layers, 5)`` int64 buffer ``(rows, cols, in_features, source_start, source_stop)``
        per layer, saved in the state dict and checked on load.
    bias:
        Bias of every hidden neuron (or ``None``).
    output:
        :class:`~models.masked_linear.MaskedLinear` from all hidden neurons to the output,
        masked to the output vertices' columns.

    Raises
    ------
    models.dag.CyclicGraphError, models.dag.EmptyGraphError, models.dag.UnreachableVertexError
        If the structure is not a usable DAG.
    models.dag.GraphStructureError
        If ``inputs``/``outputs`` name unknown vertices or a LayeredDAG edge does not point
        forward.
    ValueError
        If a size is not a positive integer or the activation is unknown.
    """

    architecture_buffers = ("layout",)

    def __init__(
        self,
        structure: Any,
        in_features: int,
        out_features: int,
        *,
        orientation: str = "smaller_to_larger",
        inputs: Iterable[Hashable] | None = None,
        outputs: Iterable[Hashable] | None = None,
        activation: str = "relu",
        bias: bool = True,
    ) -> None:
        super().__init__()
        _check_size(in_features, "in_features")
        _check_size(out_features, "out_features")
        self.activation_name = activation
        self.activation: Activation = create_activation(activation)
        inputs = None if inputs is None else list(inputs)
        if isinstance(structure, LayeredDAG):
            _check_layered(structure, inputs)
            layered = structure
        else:
            layered = layered_dag(structure, orientation=orientation, inputs=inputs)
        self.layered = layered
        self.vertices: list[Hashable] = layered.vertices
        self.index_of: dict[Hashable, int] = {v: i for i, v in enumerate(self.vertices)}
        self.input_vertices = _unique(layered.sources if inputs is None else inputs)
        self.output_vertices = _unique(layered.sinks if outputs is None else outputs)
        unknown = [v for v in self.output_vertices if v not in self.index_of]
        if unknown:
            raise GraphStructureError(
                f"The 'outputs' parameter of MaskedDAGNetwork names vertices {unknown[:10]!r} "
                "that are not in the graph."
            )
        self.in_features = in_features
        self.out_features = out_features
        self.plan, mask = self._build_plan(in_features)
        self.num_hidden = len(self.vertices)
        # plain-integer copy of the plan for the hot loop: (rows, cols, n_in, start, stop)
        self._program = [
            (p.rows, p.cols, p.in_features, p.source_start, p.source_stop) for p in self.plan
        ]
        self._layer_sizes = [p.rows for p in self.plan]
        # saved with the weights so a state dict of another DAG with equal shapes is refused
        self.register_buffer("layout", torch.tensor(self._program, dtype=torch.int64))
        self._block_sizes = [p.size for p in self.plan]

        self.weight = nn.Parameter(torch.empty(mask.numel()))
        self.register_mask("weight", mask)
        self.bias = nn.Parameter(torch.empty(self.num_hidden)) if bias else None
        output_mask = torch.zeros(out_features, self.num_hidden, dtype=torch.bool)
        output_mask[:, [self.index_of[v] for v in self.output_vertices]] = True
        self.output = MaskedLinear(self.num_hidden, out_features, bias=bias, mask=output_mask)
        self.reset_parameters()

    # ------------------------------------------------------------------ layer blocks

    def layer_weight(self, layer: int) -> torch.Tensor:
        """Effective ``(rows, cols)`` weight block of ``layer`` (see :class:`LayerPlan`)."""
        plan = self._plan(layer)
        return self._block(self.weight, plan) * self._block(float_mask(self, "weight"), plan)

    def layer_mask(self, layer: int) -> torch.Tensor:
        """Boolean ``(rows, cols)`` mask block of ``layer`` (a view; do not edit in place)."""
        return self._block(self.weight_mask, self._plan(layer))

    def set_layer_mask(self, layer: int, mask: torch.Tensor) -> None:
        """Replace the mask block of ``layer`` (and zero the weights it masks).

        Raises
        ------
        models.masking.MaskError
            If ``mask`` does not have the block's shape or is not boolean / 0-1.
        """
        plan = self._plan(layer)
        block = self._block(self.weight, plan)
        checked = check_mask(mask, block, where=f"MaskedDAGNetwork layer {layer}")
        flat = self.weight_mask.clone()
        flat[plan.weight_offset : plan.weight_offset + plan.size] = checked.reshape(-1)
        self.set_mask("weight", flat)

    def weight_matrices(self) -> dict[str, torch.Tensor]:
        """Effective weight block of every layer, by name ``layer_<k>`` (for sparsity counts)."""
        return {f"layer_{plan.layer}": self.layer_weight(plan.layer) for plan in self.plan}

    # ------------------------------------------------------------------ computation

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Initialise like ``nn.Linear`` but per neuron from its real fan-in.

        Every weight and bias of a neuron with ``k`` incoming connections is drawn uniformly
        from ``±1/sqrt(k)``: a sparse neuron is not shrunk by the columns its mask removes.
        """
        for plan in self.plan:
            weights = self._block(self.weight, plan)
            bound = _bounds(self._block(self.weight_mask, plan), weights.dtype)
            weights.uniform_(-1, 1).mul_(bound[:, None])
            if self.bias is not None:
                self.bias[plan.start : plan.stop].uniform_(-1, 1).mul_(bound)
        bound = _bounds(self.output.weight_mask, self.output.weight.dtype)
        self.output.weight.uniform_(-1, 1).mul_(bound[:, None])
        if self.output.bias is not None:
            self.output.bias.uniform_(-1, 1).mul_(bound)
        self.apply_masks()
        self.output.apply_masks()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, *features) -> (batch, out_features)``."""
        return self.output(self._hidden(x).t())

    def hidden_activations(self, x: torch.Tensor) -> torch.Tensor:
        """Activation of every hidden neuron, ``(batch, num_hidden)`` in :attr:`vertices` order."""
        return self._hidden(x).t()

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, hidden={self.num_hidden}, layers={len(self.plan)}, "
            f"out_features={self.out_features}, activation={self.activation_name!r}"
        )

    # ------------------------------------------------------------------ private

    def _hidden(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"MaskedDAGNetwork expects {self.in_features} input features; "
                f"got input of shape {tuple(x.shape)}."
            )
        if x.dtype != self.weight.dtype:
            raise TypeError(
                f"MaskedDAGNetwork has {self.weight.dtype} weights; got a {x.dtype} input."
            )
        return DAGHidden.apply(x, self.weight, float_mask(self, "weight"), self.bias, self)

    def _plan(self, layer: int) -> LayerPlan:
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < len(self.plan):
            raise IndexError(
                f"The 'layer' parameter must be an integer in [0, {len(self.plan)}). "
                f"Got {layer!r} instead."
            )
        return self.plan[layer]

    @staticmethod
    def _block(flat: torch.Tensor, plan: LayerPlan) -> torch.Tensor:
        return flat[plan.weight_offset : plan.weight_offset + plan.size].view(plan.rows, plan.cols)

    def _build_plan(self, in_features: int) -> tuple[tuple[LayerPlan, ...], torch.Tensor]:
        dag = self.layered.dag
        inputs = set(self.input_vertices)
        plans, masks = [], []
        start = offset = 0
        for layer, vertices in enumerate(self.layered.layers):
            sources = [self.index_of[u] for v in vertices for u in dag.predecessors(v)]
            source_start = min(sources, default=start)
            source_stop = max(sources, default=start - 1) + 1
            uses_input = any(v in inputs for v in vertices)
            plan = LayerPlan(
                layer=layer,
                vertices=tuple(vertices),
                start=start,
                uses_input=uses_input,
                in_features=in_features if uses_input else 0,
                source_start=source_start,
                source_stop=source_stop,
                weight_offset=offset,
            )
            mask = torch.zeros(plan.rows, plan.cols, dtype=torch.bool)
            for row, v in enumerate(vertices):
                if v in inputs:
                    mask[row, :in_features] = True
                for u in dag.predecessors(v):
                    mask[row, plan.in_features + self.index_of[u] - source_start] = True
            plans.append(plan)
            masks.append(mask.reshape(-1))
            start += plan.rows
            offset += plan.size
        return tuple(plans), torch.cat(masks)


def _check_layered(layered: LayeredDAG, inputs: list[Hashable] | None) -> None:
    """Validate a ready LayeredDAG: edges point forward, inputs exist and reach everything."""
    for u, v in layered.dag.edges():
        if layered.layer_of[u] >= layered.layer_of[v]:
            raise GraphStructureError(
                f"The edge {u!r} -> {v!r} goes from layer {layered.layer_of[u]} to layer "
                f"{layered.layer_of[v]}; in a LayeredDAG every edge must point to a later layer."
            )
    if inputs is None:
        return
    missing = [v for v in inputs if v not in layered.dag]
    if missing:
        raise GraphStructureError(f"Input vertices {missing[:10]!r} are not in the graph.")
    reached = set(inputs)
    for v in inputs:
        reached |= nx.descendants(layered.dag, v)
    unreachable = sorted(set(layered.dag) - reached, key=vertex_sort_key)
    if unreachable:
        raise UnreachableVertexError(
            f"Vertices {unreachable[:10]!r} cannot be reached from the input vertices "
            f"{inputs[:10]!r}."
        )


def _bounds(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``1/sqrt(fan_in)`` per row of ``mask`` (fan-in at least 1)."""
    fan_in = mask.sum(1).clamp(min=1).to(dtype)
    return fan_in.rsqrt()


def _unique(vertices: Iterable[Hashable]) -> list[Hashable]:
    return list(dict.fromkeys(vertices))


def _check_size(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"The '{name}' parameter of MaskedDAGNetwork must be a positive integer. "
            f"Got {value!r} instead."
        )
