"""Model -> neuron graph -> model: the structure of a sparse network as a networkx DiGraph.

A sparse network *is* a DAG (paper, section 2: "Neurons defined in W^{s->l} translate to
vertices, and weighted connections ... translate to edges"). :func:`model_to_graph` extracts
it, :func:`model_from_graph` rebuilds a masked model from it, so the warehouse can store networks
as graphs and still run them.

The neuron graph
----------------
* vertices: integers ``0 .. n-1``, input neurons first, then layer by layer, outputs last;
  attributes ``layer`` (int, 0 for the input), ``role`` (``"input"``, ``"hidden"`` or
  ``"output"``) and ``bias`` (float, 0.0 for inputs); DAG networks add ``vertex`` (the DAG
  vertex of a hidden neuron), feed-forward nets with layer norm add ``norm_weight`` and
  ``norm_bias``;
* edges: every non-zero effective weight ``u -> v``, attribute ``weight`` (float);
* graph attributes: ``architecture`` (``"feedforward"``, ``"dag"`` or ``"sequential"``),
  ``granularity`` (``"neuron"`` or ``"channel"``), ``activation`` (when known) and ``bias``.

``nn.Sequential`` stacks of ``nn.Linear`` / :class:`MaskedLinear` / ``nn.Conv2d`` are read too;
a convolution contributes one vertex per channel and an edge ``in-channel -> out-channel``
whenever any kernel weight between them is non-zero, weighted by the kernel's L2 norm. Any other
model type takes part through a method ``neuron_graph() -> nx.DiGraph``, which
:func:`model_to_graph` calls, or through :func:`register_graph_extractor`.

Example
-------
>>> from models.feedforward import MaskedFeedForward
>>> graph = model_to_graph(MaskedFeedForward(3, [2], 1))
>>> graph.number_of_nodes(), graph.number_of_edges()
(6, 8)
>>> nx.utils.graphs_equal(graph, model_to_graph(model_from_graph(graph)))
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from typing import Any

import networkx as nx
import torch
from torch import nn

from models.dag import GraphStructureError, LayeredDAG, vertex_sort_key
from models.dag_network import MaskedDAGNetwork
from models.feedforward import MaskedFeedForward
from models.masked_linear import MaskedLinear

__all__ = [
    "list_graph_extractors",
    "model_from_graph",
    "model_to_graph",
    "register_graph_extractor",
]

Extractor = Callable[[nn.Module], nx.DiGraph]
_EXTRACTORS: dict[type, Extractor] = {}


def register_graph_extractor(model_type: type) -> Callable[[Extractor], Extractor]:
    """Register ``function(model) -> nx.DiGraph`` as the extractor for ``model_type``.

    Raises
    ------
    ValueError
        If ``model_type`` already has an extractor.
    """
    if model_type in _EXTRACTORS:
        raise ValueError(
            f"register_graph_extractor: {model_type.__name__} already has a graph extractor "
            f"({_EXTRACTORS[model_type].__name__})."
        )

    def decorator(function: Extractor) -> Extractor:
        _EXTRACTORS[model_type] = function
        return function

    return decorator


def list_graph_extractors() -> list[str]:
    """Names of the model types :func:`model_to_graph` reads without a ``neuron_graph`` method."""
    return sorted(klass.__name__ for klass in _EXTRACTORS)


def model_to_graph(model: nn.Module) -> nx.DiGraph:
    """The neuron-level graph of ``model`` (see the module docstring for its attributes).

    Parameters
    ----------
    model:
        A :class:`MaskedFeedForward`, :class:`MaskedDAGNetwork`, :class:`MaskedLinear`,
        ``nn.Linear``, ``nn.Conv2d``, an ``nn.Sequential`` of those (with parameter-free
        layers and norms in between), or any module with a ``neuron_graph()`` method.

    Raises
    ------
    TypeError
        If the model type is not supported; the message lists the supported ones.
    """
    neuron_graph = getattr(model, "neuron_graph", None)
    if callable(neuron_graph):
        graph = neuron_graph()
        if not isinstance(graph, nx.DiGraph):
            raise TypeError(
                f"{type(model).__name__}.neuron_graph() must return an nx.DiGraph; "
                f"got {type(graph).__name__}."
            )
        return graph
    for klass in type(model).__mro__:
        if klass in _EXTRACTORS:
            return _EXTRACTORS[klass](model)
    raise TypeError(
        f"The 'model' parameter of model_to_graph must be one of {list_graph_extractors()} "
        f"or have a neuron_graph() method. Got {type(model).__name__} instead."
    )


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


# ---------------------------------------------------------------------- extractors


class _Builder:
    """Accumulates neurons with consecutive integer ids and the non-zero edges between them."""

    def __init__(self, **graph_attributes: Any) -> None:
        self.graph = nx.DiGraph(**graph_attributes)

    def add_neurons(
        self, count: int, *, layer: int, role: str, bias: torch.Tensor | None = None, **extra
    ) -> list[int]:
        first = self.graph.number_of_nodes()
        ids = list(range(first, first + count))
        biases = [0.0] * count if bias is None else bias.detach().double().cpu().tolist()
        columns = {name: values.detach().double().cpu().tolist() for name, values in extra.items()}
        for position, neuron in enumerate(ids):
            attributes = {"layer": layer, "role": role, "bias": biases[position]}
            for name, values in columns.items():
                attributes[name] = values[position]
            self.graph.add_node(neuron, **attributes)
        return ids

    def add_weights(self, weight: torch.Tensor, sources: list[int], targets: list[int]) -> None:
        """Edges ``sources[c] -> targets[r]`` for every non-zero ``weight[r, c]``."""
        weight = weight.detach()
        rows, cols = torch.nonzero(weight, as_tuple=True)
        values = weight[rows, cols].double().cpu().tolist()
        self.graph.add_edges_from(
            (sources[c], targets[r], {"weight": w})
            for r, c, w in zip(rows.tolist(), cols.tolist(), values, strict=True)
        )


@register_graph_extractor(MaskedFeedForward)
def _feedforward_graph(model: MaskedFeedForward) -> nx.DiGraph:
    builder = _Builder(
        architecture="feedforward",
        granularity="neuron",
        activation=model.activation_name,
        layer_norm=model.layer_norm,
        bias=model.layers[0].bias is not None,
    )
    previous = builder.add_neurons(model.in_features, layer=0, role="input")
    last = len(model.layers) - 1
    for index, layer in enumerate(model.layers):
        extra = {}
        if model.norms is not None and index < last:
            extra = {"norm_weight": model.norms[index].weight, "norm_bias": model.norms[index].bias}
        ids = builder.add_neurons(
            layer.out_features,
            layer=index + 1,
            role="output" if index == last else "hidden",
            bias=layer.effective_bias(),
            **extra,
        )
        builder.add_weights(layer.effective_weight(), previous, ids)
        previous = ids
    return builder.graph


@register_graph_extractor(MaskedDAGNetwork)
def _dag_graph(model: MaskedDAGNetwork) -> nx.DiGraph:
    builder = _Builder(
        architecture="dag",
        granularity="neuron",
        activation=model.activation_name,
        bias=model.bias is not None,
    )
    inputs = builder.add_neurons(model.in_features, layer=0, role="input")
    hidden: list[int] = []
    for plan in model.plan:
        bias = None if model.bias is None else model.bias[plan.start : plan.stop]
        ids = builder.add_neurons(plan.rows, layer=plan.layer + 1, role="hidden", bias=bias)
        for neuron, vertex in zip(ids, plan.vertices, strict=True):
            builder.graph.nodes[neuron]["vertex"] = vertex
        hidden.extend(ids)
    for plan in model.plan:
        sources = (inputs if plan.uses_input else []) + hidden[plan.source_start : plan.source_stop]
        builder.add_weights(model.layer_weight(plan.layer), sources, hidden[plan.start : plan.stop])
    outputs = builder.add_neurons(
        model.out_features,
        layer=len(model.plan) + 1,
        role="output",
        bias=model.output.effective_bias(),
    )
    builder.add_weights(model.output.effective_weight(), hidden, outputs)
    return builder.graph


_ACTIVATION_MODULES: dict[type, str] = {
    nn.ReLU: "relu",
    nn.Tanh: "tanh",
    nn.Sigmoid: "sigmoid",
    nn.ELU: "elu",
    nn.LeakyReLU: "leaky_relu",
}
_PASS_THROUGH = (
    nn.Flatten,
    nn.Dropout,
    nn.Identity,
    nn.BatchNorm1d,
    nn.BatchNorm2d,
    nn.LayerNorm,
    nn.GroupNorm,
)


@register_graph_extractor(nn.Sequential)
@register_graph_extractor(nn.Linear)
@register_graph_extractor(nn.Conv2d)
@register_graph_extractor(MaskedLinear)
def _sequential_graph(model: nn.Module) -> nx.DiGraph:
    modules = list(_flatten(model))
    parametric = [m for m in modules if isinstance(m, nn.Linear | MaskedLinear | nn.Conv2d)]
    if not parametric:
        raise TypeError("model_to_graph found no nn.Linear, MaskedLinear or nn.Conv2d layer.")
    activations = {_ACTIVATION_MODULES[type(m)] for m in modules if type(m) in _ACTIVATION_MODULES}
    convolutional = any(isinstance(m, nn.Conv2d) for m in parametric)
    attributes = {
        "architecture": "sequential",
        "granularity": "channel" if convolutional else "neuron",
        "bias": all(_bias(m) is not None for m in parametric),
    }
    if len(activations) == 1:
        attributes["activation"] = activations.pop()
    builder = _Builder(**attributes)
    first = parametric[0]
    width = first.in_channels if isinstance(first, nn.Conv2d) else first.in_features
    previous = builder.add_neurons(width, layer=0, role="input")
    channels = isinstance(first, nn.Conv2d)  # are the previous vertices channels?
    for index, module in enumerate(parametric):
        role = "output" if index == len(parametric) - 1 else "hidden"
        if isinstance(module, nn.Conv2d):
            if not channels:
                raise TypeError(
                    f"model_to_graph cannot connect features to the channels of layer {index} "
                    f"({module}); put convolutions before linear layers."
                )
            ids = builder.add_neurons(
                module.out_channels, layer=index + 1, role=role, bias=_bias(module)
            )
            builder.add_weights(_channel_weights(module, len(previous)), previous, ids)
        else:
            weight = _weight(module)
            if channels and module.in_features != len(previous):
                weight = _group_columns(weight, len(previous), index)
            elif module.in_features != len(previous):
                raise TypeError(
                    f"Layer {index} ({module}) expects {module.in_features} inputs but the "
                    f"layer before it has {len(previous)} neurons."
                )
            ids = builder.add_neurons(
                module.out_features, layer=index + 1, role=role, bias=_bias(module)
            )
            builder.add_weights(weight, previous, ids)
            channels = False
        previous = ids
    return builder.graph


def _flatten(model: nn.Module):
    """Leaf layers of nested ``nn.Sequential`` containers, checked for support."""
    if isinstance(model, nn.Sequential):
        for child in model:
            yield from _flatten(child)
        return
    if isinstance(model, (nn.Linear, MaskedLinear, nn.Conv2d, *_PASS_THROUGH)):
        yield model
        return
    if type(model) in _ACTIVATION_MODULES or not any(True for _ in model.parameters()):
        yield model
        return
    raise TypeError(
        f"model_to_graph cannot read {type(model).__name__} inside an nn.Sequential; it reads "
        "nn.Linear, MaskedLinear and nn.Conv2d layers with parameter-free layers and norms "
        "between them (give the model a neuron_graph() method for anything else)."
    )


def _weight(module: nn.Module) -> torch.Tensor:
    if isinstance(module, MaskedLinear):
        return module.effective_weight()
    return module.weight  # torch.nn.utils.prune keeps the masked weight here


def _bias(module: nn.Module) -> torch.Tensor | None:
    if isinstance(module, MaskedLinear):
        return module.effective_bias()
    return module.bias


def _channel_weights(conv: nn.Conv2d, in_channels: int) -> torch.Tensor:
    """``(out, in)`` matrix of kernel L2 norms (0 where the whole kernel is zero)."""
    if conv.in_channels != in_channels:
        raise TypeError(
            f"{conv} expects {conv.in_channels} input channels but the layer before it has "
            f"{in_channels}."
        )
    weight = conv.weight.detach()  # (out, in / groups, kh, kw)
    norms = weight.flatten(2).norm(dim=2)  # (out, in / groups)
    per_group_in = conv.in_channels // conv.groups
    per_group_out = conv.out_channels // conv.groups
    full = torch.zeros(conv.out_channels, conv.in_channels, dtype=norms.dtype)
    for group in range(conv.groups):
        rows = slice(group * per_group_out, (group + 1) * per_group_out)
        cols = slice(group * per_group_in, (group + 1) * per_group_in)
        full[rows, cols] = norms[rows]
    return full


def _group_columns(weight: torch.Tensor, channels: int, index: int) -> torch.Tensor:
    """Linear layer after a convolution: group its flattened inputs by channel (L2 norm)."""
    out_features, in_features = weight.shape
    if in_features % channels:
        raise TypeError(
            f"Layer {index} has {in_features} inputs, which cannot be split into the "
            f"{channels} channels of the convolution before it."
        )
    # flatten() is channel-major: (out, channels * positions) -> (out, channels, positions)
    return weight.detach().reshape(out_features, channels, -1).norm(dim=2)


# ---------------------------------------------------------------------- rebuilding


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
