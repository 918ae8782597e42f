"""Model -> neuron graph -> model: the structure of a sparse network as a networkx DiGraph.

A sparse network *is* a DAG (paper, section 2: "Neurons defined in W^{s->l} translate to
vertices, and weighted connections ... translate to edges"). :func:`model_to_graph` extracts
it, :func:`~models.from_graph.model_from_graph` rebuilds a masked model from it, so the
warehouse can store networks as graphs and still run them.

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

from collections.abc import Callable
from typing import Any

import networkx as nx
import torch
from torch import nn

from models.dag_network import MaskedDAGNetwork
from models.feedforward import MaskedFeedForward
from models.from_graph import model_from_graph
from models.masked_linear import MaskedLinear

__all__ = [
    "list_graph_extractors",
    "model_from_graph",
    "model_to_graph",
    "register_graph_extractor",
]

# The way back, graph -> model, lives in models.from_graph; it is named here too because the
# two directions are one round trip (model_to_graph(model_from_graph(g)) == g).

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
