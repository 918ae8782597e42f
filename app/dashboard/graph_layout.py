"""Place a network's vertices on a grid by layer, for the network viewer.

x is the layer (the stored ``layer`` vertex attribute, or the longest-path layer of the graph's
DAG orientation when any vertex lacks one — e.g. an imported graph), y the vertex's position
within its layer, centred on 0 so that narrow layers sit in the middle of wide ones.

Example
-------
>>> import networkx as nx
>>> layout = layered_positions(nx.path_graph(3))
>>> layout.nodes["x"].to_list(), layout.nodes["y"].to_list()
([0, 1, 2], [0.0, 0.0, 0.0])
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass

import networkx as nx
import polars as pl

from models.dag import layered_dag, vertex_sort_key

__all__ = ["GraphLayout", "arrow_heads", "layered_positions", "spring_positions"]


@dataclass(frozen=True)
class GraphLayout:
    """Vertex and edge coordinates of one drawn graph.

    Attributes
    ----------
    nodes:
        ``node`` (label as text), ``layer``, ``x``, ``y``, ``degree``: one row per vertex.
    edges:
        ``source``, ``target`` (labels as text), ``x``, ``y``, ``x2``, ``y2``: one row per edge.
    layers_stored:
        True when the layers came from the stored ``layer`` attribute, False when computed.
    """

    nodes: pl.DataFrame
    edges: pl.DataFrame
    layers_stored: bool

    @property
    def depth(self) -> int:
        """Number of layers."""
        return 0 if self.nodes.height == 0 else int(self.nodes["layer"].max()) + 1


def layered_positions(graph: nx.Graph, *, orientation: str = "smaller_to_larger") -> GraphLayout:
    """Lay ``graph`` out by layers.

    Parameters
    ----------
    graph:
        Directed or undirected networkx graph; vertex attribute ``layer`` is used when every
        vertex has one.
    orientation:
        How undirected edges are oriented when layers must be computed
        (see :func:`models.dag.list_orientations`).

    Returns
    -------
    GraphLayout

    Raises
    ------
    models.dag.EmptyGraphError
        The graph has no vertex.
    models.dag.CyclicGraphError
        Layers must be computed but the directed graph has a cycle.
    """
    stored = {v: layer for v, layer in graph.nodes(data="layer")}
    layers_stored = bool(stored) and all(layer is not None for layer in stored.values())
    if layers_stored:
        layer_of: dict[Hashable, int] = {v: int(layer) for v, layer in stored.items()}
    else:
        layer_of = layered_dag(graph, orientation=orientation).layer_of
    members: dict[int, list[Hashable]] = defaultdict(list)
    for v, layer in layer_of.items():
        members[layer].append(v)
    position: dict[Hashable, tuple[int, float]] = {}
    for layer, vertices in members.items():
        vertices.sort(key=vertex_sort_key)
        middle = (len(vertices) - 1) / 2
        for i, v in enumerate(vertices):
            position[v] = (layer, i - middle)
    ordered = sorted(graph.nodes, key=vertex_sort_key)
    nodes = pl.DataFrame(
        {
            "node": [str(v) for v in ordered],
            "layer": [position[v][0] for v in ordered],
            "x": [position[v][0] for v in ordered],
            "y": [position[v][1] for v in ordered],
            "degree": [graph.degree(v) for v in ordered],
        },
        schema={"node": pl.String, "layer": pl.Int64, "x": pl.Int64, "y": pl.Float64,
                "degree": pl.Int64},
    )  # fmt: skip
    edges = pl.DataFrame(
        [
            {
                "source": str(u), "target": str(v),
                "x": position[u][0], "y": position[u][1],
                "x2": position[v][0], "y2": position[v][1],
            }  # fmt: skip
            for u, v in graph.edges()
        ],
        schema={"source": pl.String, "target": pl.String, "x": pl.Int64, "y": pl.Float64,
                "x2": pl.Int64, "y2": pl.Float64},
    )  # fmt: skip
    return GraphLayout(nodes=nodes, edges=edges, layers_stored=layers_stored)


def spring_positions(graph: nx.Graph, *, seed: int = 0) -> GraphLayout:
    """Lay ``graph`` out with networkx's force-directed layout (for graphs without layers).

    Every vertex gets ``layer`` 0; ``x`` and ``y`` are floats in [-1, 1]. The layout is
    reproducible from ``seed``.
    """
    ordered = sorted(graph.nodes, key=vertex_sort_key)
    position = nx.spring_layout(graph, seed=seed) if ordered else {}
    nodes = pl.DataFrame(
        {
            "node": [str(v) for v in ordered],
            "layer": [0] * len(ordered),
            "x": [float(position[v][0]) for v in ordered],
            "y": [float(position[v][1]) for v in ordered],
            "degree": [graph.degree(v) for v in ordered],
        },
        schema={"node": pl.String, "layer": pl.Int64, "x": pl.Float64, "y": pl.Float64,
                "degree": pl.Int64},
    )  # fmt: skip
    edges = pl.DataFrame(
        [
            {
                "source": str(u), "target": str(v),
                "x": float(position[u][0]), "y": float(position[u][1]),
                "x2": float(position[v][0]), "y2": float(position[v][1]),
            }  # fmt: skip
            for u, v in graph.edges()
        ],
        schema={"source": pl.String, "target": pl.String, "x": pl.Float64, "y": pl.Float64,
                "x2": pl.Float64, "y2": pl.Float64},
    )  # fmt: skip
    return GraphLayout(nodes=nodes, edges=edges, layers_stored=False)


def arrow_heads(
    edges: pl.DataFrame, *, at: float = 0.75, x_pixels: float = 1.0, y_pixels: float = 1.0
) -> pl.DataFrame:
    """Where to draw each edge's arrow head, and which way it points.

    Parameters
    ----------
    edges:
        :attr:`GraphLayout.edges`.
    at:
        Fraction of the way from source to target, in (0, 1].
    x_pixels, y_pixels:
        Screen pixels per data unit on each axis, so the angle matches the drawn line.

    Returns
    -------
    polars.DataFrame
        ``source, target, x, y, angle``: ``angle`` in degrees clockwise from pointing right
        (Vega's ``angle`` for a ``triangle-right`` shape; screen y grows downwards).
    """
    if not 0 < at <= 1:
        raise ValueError(f"The 'at' parameter of arrow_heads must be in (0, 1]; got {at!r}.")
    rows = []
    for source, target, x, y, x2, y2 in edges.select(
        "source", "target", "x", "y", "x2", "y2"
    ).iter_rows():
        dx, dy = (x2 - x) * x_pixels, (y2 - y) * y_pixels
        angle = -math.degrees(math.atan2(dy, dx)) if (dx or dy) else 0.0
        rows.append((source, target, x + at * (x2 - x), y + at * (y2 - y), angle))
    return pl.DataFrame(
        rows, orient="row",
        schema={"source": pl.String, "target": pl.String, "x": pl.Float64, "y": pl.Float64,
                "angle": pl.Float64},
    )  # fmt: skip
