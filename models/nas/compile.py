"""Compile a :class:`~models.nas.genotype.Genotype` into a runnable PyTorch CNN.

Every vertex becomes one module, run in topological order. How shapes are reconciled:

* **Spatial size.** Convolutions keep it (``padding = kernel // 2``, stride 1); pools halve it
  (kernel 3, stride 2, padding 1, so a 1×1 map stays 1×1 and no map ever vanishes). Where a
  vertex has several inputs of different sizes, each larger one is average-pooled
  (``adaptive_avg_pool2d``) down to the smallest — no information is invented by upsampling.
* **Channels.** A ``concat`` vertex stacks its inputs' channels. Every other vertex with
  several inputs *sums* them; inputs with fewer channels than the widest are first projected
  by a learned 1×1 convolution to that width. Pools, skips and sums keep their input width;
  a convolution outputs its own ``channels`` (conv → batch norm → ReLU).
* **Output.** The ``output`` vertex merges its inputs like a sum, then global average pooling
  and one linear layer give ``num_classes`` logits — so any input size works.

Example
-------
>>> import torch
>>> from models.nas.genotype import random_genotype
>>> net = compile_genotype(random_genotype(depth=6, seed=0), in_channels=1, num_classes=10)
>>> net(torch.zeros(2, 1, 8, 8)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

from collections.abc import Hashable

import networkx as nx
import torch
import torch.nn.functional as F
from torch import nn

from models.nas.genotype import CONV_OPS, Genotype

__all__ = ["GenotypeNetwork", "compile_genotype", "feature_graph", "vertex_channels"]


def vertex_channels(genotype: Genotype, in_channels: int) -> dict[Hashable, int]:
    """Output channel count of every vertex when the input has ``in_channels``.

    Convolutions give their own ``channels``; ``concat`` the sum of its inputs'; every other
    vertex (pools, skip, sum, output) the widest of its inputs.
    """
    graph = genotype.graph
    channels: dict[Hashable, int] = {}
    for v in nx.topological_sort(graph):
        data = graph.nodes[v]
        widths = [channels[u] for u in graph.predecessors(v)]
        if data["op"] == "input":
            channels[v] = in_channels
        elif data["op"] in CONV_OPS:
            channels[v] = data["channels"]
        elif data["op"] == "concat":
            channels[v] = sum(widths)
        else:
            channels[v] = max(widths)
    return channels


def feature_graph(genotype: Genotype, *, in_channels: int) -> nx.DiGraph:
    """A copy of the genotype's graph whose every vertex has its ``op`` and output ``channels``
    (:func:`vertex_channels`): the labelled DAG :mod:`analytics.features.nas` measures."""
    graph = genotype.relabelled()
    for v, width in vertex_channels(Genotype(graph), in_channels).items():
        graph.nodes[v]["channels"] = width
    return graph


class GenotypeNetwork(nn.Module):
    """The CNN a genotype describes (see the module docstring for shape handling)."""

    def __init__(self, genotype: Genotype, *, in_channels: int, num_classes: int) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("num_classes", num_classes)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(
                    f"The '{name}' parameter of GenotypeNetwork must be a positive int. "
                    f"Got {value!r} instead."
                )
        self.genotype = genotype
        graph = genotype.graph
        self._order = list(nx.lexicographical_topological_sort(graph, key=str))
        self._index = {v: i for i, v in enumerate(self._order)}
        self._inputs = [[self._index[u] for u in sorted(graph.predecessors(v), key=str)]
                        for v in self._order]  # fmt: skip
        widths = vertex_channels(genotype, in_channels)
        self.ops = nn.ModuleList()
        self.projections = nn.ModuleList()
        for v in self._order:
            data, inputs = graph.nodes[v], list(graph.predecessors(v))
            # width after merging the inputs: stacked for concat, the widest otherwise
            incoming = [widths[u] for u in inputs] or [in_channels]
            merged = sum(incoming) if data["op"] == "concat" else max(incoming)
            projections = nn.ModuleDict()
            if data["op"] != "concat" and len(inputs) > 1:
                for u in inputs:
                    if widths[u] < merged:
                        projections[str(self._index[u])] = nn.Conv2d(widths[u], merged, 1)
            self.projections.append(projections)
            self.ops.append(_operation(data, merged))
        self.head = nn.Linear(widths[genotype.output_vertex], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, in_channels, height, width) -> (batch, num_classes)`` logits."""
        values: list[torch.Tensor | None] = [None] * len(self._order)
        for i, _v in enumerate(self._order):
            if not self._inputs[i]:
                values[i] = x
                continue
            values[i] = self.ops[i](self._merge(i, [values[j] for j in self._inputs[i]]))
        out = values[-1]
        # (batch, channels, h, w) -> (batch, channels)
        return self.head(out.mean(dim=(2, 3)))

    def _merge(self, i: int, tensors: list[torch.Tensor]) -> torch.Tensor:
        if len(tensors) == 1:
            return tensors[0]
        height = min(t.shape[2] for t in tensors)
        width = min(t.shape[3] for t in tensors)
        resized = [
            t if t.shape[2:] == (height, width) else F.adaptive_avg_pool2d(t, (height, width))
            for t in tensors
        ]
        if self.genotype.graph.nodes[self._order[i]]["op"] == "concat":
            return torch.cat(resized, dim=1)
        projections = self.projections[i]
        total = None
        for j, t in zip(self._inputs[i], resized, strict=True):
            t = projections[str(j)](t) if str(j) in projections else t
            total = t if total is None else total + t
        return total


def compile_genotype(genotype: Genotype, *, in_channels: int, num_classes: int) -> nn.Module:
    """The runnable :class:`GenotypeNetwork` of ``genotype``."""
    return GenotypeNetwork(genotype, in_channels=in_channels, num_classes=num_classes)


def _operation(data: dict, width: int) -> nn.Module:
    op = data["op"]
    if op in CONV_OPS:
        kernel = CONV_OPS[op]
        return nn.Sequential(
            nn.Conv2d(width, data["channels"], kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm2d(data["channels"]),
            nn.ReLU(),
        )
    if op == "maxpool":
        return nn.MaxPool2d(3, stride=2, padding=1)
    if op == "avgpool":
        return nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
    return nn.Identity()  # input, output, sum, concat, skip: the merge did the work
