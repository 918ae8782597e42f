"""A searched genotype drawn as a labelled graph: the network viewer's layered drawing with
each vertex's operation (and output channels) written beside it."""

from __future__ import annotations

import altair as alt
import networkx as nx
import polars as pl

from app.dashboard.charts import network_chart
from app.dashboard.graph_layout import layered_positions

__all__ = ["genotype_chart", "vertex_labels"]


def vertex_labels(graph: nx.DiGraph) -> dict[str, str]:
    """``{vertex (as text): "op" or "op×channels"}``; a vertex without an ``op`` keeps its id."""
    labels = {}
    for vertex, data in graph.nodes(data=True):
        op = data.get("op", str(vertex))
        channels = data.get("channels")
        labels[str(vertex)] = f"{op}×{channels}" if op.startswith("conv") and channels else op
    return labels


def genotype_chart(graph: nx.DiGraph, *, title: str) -> alt.LayerChart:
    """Vertices by layer (x), edges with arrow heads, and the operation label of each vertex."""
    layout = layered_positions(graph)
    labels = vertex_labels(graph)
    nodes = layout.nodes.with_columns(
        op=pl.col("node").replace_strict(labels, return_dtype=pl.String)
    )
    chart = network_chart(layout, directed=True, layered=True)
    text = alt.Chart(nodes).mark_text(dy=-11, fontSize=10).encode(
        alt.X("x:Q"), alt.Y("y:Q"), text="op:N", tooltip=["node", "op"]
    )  # fmt: skip
    return (chart + text).properties(title=title, height=max(chart.height, 220))
