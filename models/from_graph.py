"""Neuron graph -> model: rebuild a masked network, weights included, from its graph.

The inverse of :func:`models.to_graph.model_to_graph` (whose module docstring describes the
neuron graph): the warehouse stores networks as graphs, and this turns a stored graph back into
a model that runs — a :class:`~models.feedforward.MaskedFeedForward` when every edge joins
consecutive layers, a :class:`~models.dag_network.MaskedDAGNetwork` otherwise. Graphs that no
model can come from (missing attributes, edges backwards or into inputs, channel graphs) are
refused with a :class:`~models.dag.GraphStructureError` naming the vertex or edge.

>>> import networkx as nx
>>> graph = nx.DiGraph()
>>> graph.add_node(0, layer=0, role="input")
>>> graph.add_node(1, layer=1, role="output", bias=0.5)
>>> graph.add_edge(0, 1, weight=2.0)
>>> model = model_from_graph(graph)
>>> model(torch.tensor([[3.0]])).detach().tolist()
[[6.5]]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable

import networkx as nx
import torch
from torch import nn

from models.dag import GraphStructureError, LayeredDAG, vertex_sort_key
from models.dag_network import MaskedDAGNetwork
from models.feedforward import MaskedFeedForward

__all__ = ["model_from_graph"]


def model_from_graph(graph: nx.DiGraph, *, activation: str | None = None) -> nn.Module:
    """Rebuild a masked model, weights included, from a neuron graph.

    A graph with ``architecture == "dag"`` becomes a :class:`MaskedDAGNetwork`; one from a
    feed-forward net or a linear ``nn.Sequential`` becomes a :class:`MaskedFeedForward`. Without
    the attribute, a graph whose edges all join consecutive layers is read as feed-forward,
    otherwise as a DAG. ``model_to_graph(model_from_graph(g))`` equals ``g``.

    Parameters
    ----------
    graph:
        A neuron graph as produced by :func:`model_to_graph` (vertex attributes ``layer`` and
        ``role`` are required, ``bias`` and edge ``weight`` default to 0 and 1).
    activation:
        Non-linearity of the rebuilt model; default the graph's ``activation`` attribute,
        else ``"relu"``.

    Raises
    ------
    models.dag.GraphStructureError
        If the graph is not a neuron graph a model can be built from (missing attributes,
        edges into input neurons or skipping layers in a feed-forward graph, a channel graph).
    """
    if not isinstance(graph, nx.DiGraph):
        raise TypeError(
            "The 'graph' parameter of model_from_graph must be an nx.DiGraph. "
            f"Got {type(graph).__name__} instead."
        )
    if graph.graph.get("granularity", "neuron") != "neuron":
        raise GraphStructureError(
            "model_from_graph can only rebuild neuron graphs; this graph has granularity "
            f"{graph.graph['granularity']!r} (a convolutional model's channel graph)."
        )
    layers = _read_layers(graph)
    activation = activation or graph.graph.get("activation") or "relu"
    architecture = graph.graph.get("architecture")
    if architecture is None:
        consecutive = all(
            graph.nodes[v]["layer"] == graph.nodes[u]["layer"] + 1 for u, v in graph.edges
        )
        architecture = "feedforward" if consecutive else "dag"
    if architecture == "dag":
        return _dag_from_graph(graph, layers, activation)
    if architecture in ("feedforward", "sequential"):
        return _feedforward_from_graph(graph, layers, activation)
    raise GraphStructureError(
        f"model_from_graph cannot rebuild architecture {architecture!r}; "
        "it rebuilds 'feedforward', 'sequential' and 'dag' graphs."
    )


def _read_layers(graph: nx.DiGraph) -> dict[int, list[Hashable]]:
    """Vertices of every layer, sorted; validates the ``layer`` and ``role`` attributes."""
    layers: dict[int, list[Hashable]] = defaultdict(list)
    for vertex, data in graph.nodes(data=True):
        layer, role = data.get("layer"), data.get("role")
        if isinstance(layer, bool) or not isinstance(layer, int) or layer < 0:
            raise GraphStructureError(
                f"Vertex {vertex!r} needs a non-negative integer 'layer' attribute; got {layer!r}."
            )
        if role not in ("input", "hidden", "output"):
            raise GraphStructureError(
                f"Vertex {vertex!r} needs a 'role' attribute in ('input', 'hidden', 'output'); "
                f"got {role!r}."
            )
        layers[layer].append(vertex)
    if not layers:
        raise GraphStructureError("The neuron graph is empty.")
    depth = max(layers) + 1
    if depth < 2:
        raise GraphStructureError("The neuron graph needs an input and an output layer.")
    gaps = [layer for layer in range(depth) if layer not in layers]
    if gaps:
        raise GraphStructureError(f"The neuron graph has no vertex in layers {gaps}.")
    for layer in layers.values():
        layer.sort(key=vertex_sort_key)
    for vertex in layers[0]:
        if graph.nodes[vertex]["role"] != "input":
            raise GraphStructureError(f"Vertex {vertex!r} is in layer 0 but not an input.")
    for vertex in layers[depth - 1]:
        if graph.nodes[vertex]["role"] != "output":
            raise GraphStructureError(f"Vertex {vertex!r} is in the last layer but not an output.")
    for layer in range(1, depth - 1):
        for vertex in layers[layer]:
            if graph.nodes[vertex]["role"] != "hidden":
                raise GraphStructureError(
                    f"Vertex {vertex!r} is in layer {layer} but has role "
                    f"{graph.nodes[vertex]['role']!r}; inputs belong in layer 0 and outputs in "
                    "the last layer."
                )
    for u, v in graph.edges:
        if graph.nodes[v]["layer"] <= graph.nodes[u]["layer"]:
            raise GraphStructureError(f"The edge {u!r} -> {v!r} does not point to a later layer.")
    return dict(layers)


def _neuron_bias(graph: nx.DiGraph, vertices: list[Hashable]) -> torch.Tensor:
    return torch.tensor([float(graph.nodes[v].get("bias", 0.0)) for v in vertices])


def _feedforward_from_graph(
    graph: nx.DiGraph, layers: dict[int, list[Hashable]], activation: str
) -> MaskedFeedForward:
    depth = len(layers)
    for u, v in graph.edges:
        if graph.nodes[v]["layer"] != graph.nodes[u]["layer"] + 1:
            raise GraphStructureError(
                f"The edge {u!r} -> {v!r} skips layers; a feed-forward graph only joins "
                "consecutive layers (rebuild it as a 'dag' graph)."
            )
    widths = [len(layers[layer]) for layer in range(depth)]
    has_norm = bool(graph.graph.get("layer_norm")) or any(
        "norm_weight" in graph.nodes[v] for layer in range(1, depth - 1) for v in layers[layer]
    )
    model = MaskedFeedForward(
        widths[0],
        widths[1:-1],
        widths[-1],
        activation=activation,
        layer_norm=has_norm,
        bias=graph.graph.get("bias", True),
    )
    with torch.no_grad():
        for index, layer in enumerate(model.layers):
            sources, targets = layers[index], layers[index + 1]
            weight, mask = _weights_between(graph, sources, targets)
            layer.weight.copy_(weight)
            layer.set_mask("weight", mask)
            if layer.bias is not None:
                layer.bias.copy_(_neuron_bias(graph, targets))
            if model.norms is not None and index < len(model.norms):
                norm = model.norms[index]
                norm.weight.copy_(
                    torch.tensor([float(graph.nodes[v].get("norm_weight", 1.0)) for v in targets])
                )
                norm.bias.copy_(
                    torch.tensor([float(graph.nodes[v].get("norm_bias", 0.0)) for v in targets])
                )
    return model


def _weights_between(
    graph: nx.DiGraph, sources: list[Hashable], targets: list[Hashable]
) -> tuple[torch.Tensor, torch.Tensor]:
    column = {v: c for c, v in enumerate(sources)}
    weight = torch.zeros(len(targets), len(sources))
    mask = torch.zeros(len(targets), len(sources), dtype=torch.bool)
    for row, v in enumerate(targets):
        for u, data in graph.pred[v].items():
            weight[row, column[u]] = float(data.get("weight", 1.0))
            mask[row, column[u]] = True
    return weight, mask


def _dag_from_graph(
    graph: nx.DiGraph, layers: dict[int, list[Hashable]], activation: str
) -> MaskedDAGNetwork:
    depth = len(layers)
    if depth < 3:
        raise GraphStructureError("A DAG network's neuron graph needs at least one hidden layer.")
    inputs, outputs = layers[0], layers[depth - 1]
    hidden = [v for layer in range(1, depth - 1) for v in layers[layer]]
    vertex_of = {v: graph.nodes[v].get("vertex", v) for v in hidden}
    if len(set(vertex_of.values())) != len(vertex_of):
        raise GraphStructureError("The 'vertex' attributes of the hidden neurons are not unique.")
    neuron_of = {vertex: neuron for neuron, vertex in vertex_of.items()}
    role = nx.get_node_attributes(graph, "role")
    dag = nx.DiGraph()
    dag.add_nodes_from(vertex_of[v] for v in hidden)
    input_fed, output_feeding = set(), set()
    for u, v in graph.edges:
        if role[u] == "input" and role[v] == "output":
            raise GraphStructureError(
                f"The edge {u!r} -> {v!r} joins an input to an output; a DAG network has no "
                "direct input-output connections."
            )
        if role[u] == "hidden" and role[v] == "hidden":
            dag.add_edge(vertex_of[u], vertex_of[v])
        elif role[u] == "input":
            input_fed.add(vertex_of[v])
        else:
            output_feeding.add(vertex_of[u])
    layer_of = {vertex_of[v]: graph.nodes[v]["layer"] - 1 for v in hidden}
    structure = LayeredDAG(
        dag=dag,
        layer_of=layer_of,
        layers=[
            sorted((vertex_of[v] for v in layers[layer]), key=vertex_sort_key)
            for layer in range(1, depth - 1)
        ],
        sources=sorted((v for v in dag if dag.in_degree(v) == 0), key=vertex_sort_key),
        sinks=sorted((v for v in dag if dag.out_degree(v) == 0), key=vertex_sort_key),
    )
    model = MaskedDAGNetwork(
        structure,
        len(inputs),
        len(outputs),
        inputs=sorted(input_fed | set(structure.sources), key=vertex_sort_key),
        outputs=sorted(output_feeding, key=vertex_sort_key),
        activation=activation,
        bias=graph.graph.get("bias", True),
    )
    input_column = {v: c for c, v in enumerate(inputs)}
    weight = torch.zeros_like(model.weight)
    mask = torch.zeros_like(model.weight_mask)
    for plan in model.plan:
        block = model._block(weight, plan)
        block_mask = model._block(mask, plan)
        for row, vertex in enumerate(plan.vertices):
            for u, data in graph.pred[neuron_of[vertex]].items():
                if role[u] == "input":
                    column = input_column[u]
                else:
                    column = plan.in_features + model.index_of[vertex_of[u]] - plan.source_start
                block[row, column] = float(data.get("weight", 1.0))
                block_mask[row, column] = True
    ordered_hidden = [neuron_of[vertex] for vertex in model.vertices]
    output_weight, output_mask = _weights_between(graph, ordered_hidden, outputs)
    with torch.no_grad():
        model.weight.copy_(weight)
        model.set_mask("weight", mask)
        model.output.weight.copy_(output_weight)
        model.output.set_mask("weight", output_mask)
        if model.bias is not None:
            model.bias.copy_(_neuron_bias(graph, ordered_hidden))
            model.output.bias.copy_(_neuron_bias(graph, outputs))
    return model
