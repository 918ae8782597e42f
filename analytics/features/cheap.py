"""The features that need no shortest paths, for graphs too big to measure fully every time.

A pruning run of 784-300-100-10 has ~266,000 connections per step; its path and betweenness
features cost seconds per step. :func:`cheap_features` computes only the groups that are
linear in the graph's size — ``size`` (nodes, edges, density), ``degree_centrality``
(mean / var / std) and ``dag`` (layers, source and sink nodes, last layer size) — with exactly
the same code as the full feature set (the other groups are simply not run), so a cheap value
equals the full computation's value of the same name.

Example
-------
>>> import networkx as nx
>>> cheap_features({"g": nx.path_graph(3, create_using=nx.DiGraph)})["edges"].to_list()
[2.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl

from analytics.features.batch import graph_batch
from analytics.features.graphs import check_orientation, compact_graph
from analytics.features.paths import ShortestPaths
from analytics.features.registry import get_feature_group

__all__ = ["CHEAP_FEATURE_GROUPS", "CHEAP_FEATURE_NAMES", "cheap_features"]

# Feature groups computed without shortest paths.
CHEAP_FEATURE_GROUPS: tuple[str, ...] = ("size", "degree_centrality", "dag")
CHEAP_FEATURE_NAMES: tuple[str, ...] = tuple(
    column for group in CHEAP_FEATURE_GROUPS for column in get_feature_group(group).columns
)


def cheap_features(
    graphs: Mapping[Any, Any], *, orientation: str = "smaller_to_larger"
) -> pl.DataFrame:
    """:data:`CHEAP_FEATURE_NAMES` of many graphs: a ``key`` column, then one per feature.

    Graphs are as for :func:`analytics.features.graph_features`. A graph without vertices gets
    0 nodes and edges and NaN for the rest, as in the full feature set.
    """
    check_orientation(orientation, "cheap_features")
    keys = list(graphs)
    compact = [
        compact_graph(
            graphs[key], orientation=orientation,
            where=f"The graph with key {key!r} in the 'graphs' parameter of cheap_features",
        )
        for key in keys
    ]  # fmt: skip
    if not compact:
        return pl.DataFrame(
            {"key": [], **{name: [] for name in CHEAP_FEATURE_NAMES}},
            schema={"key": pl.String, **dict.fromkeys(CHEAP_FEATURE_NAMES, pl.Float64)},
        )
    # No paths: the groups run here never read them.
    paths = [_no_paths(g.n, len(g.edges)) for g in compact]
    batch = graph_batch(compact, paths)
    rows = np.hstack([get_feature_group(g).compute(batch) for g in CHEAP_FEATURE_GROUPS])
    empty = batch.n == 0
    rows[empty] = np.nan
    rows[
        np.ix_(empty, [CHEAP_FEATURE_NAMES.index("nodes"), CHEAP_FEATURE_NAMES.index("edges")])
    ] = 0.0
    return pl.DataFrame(
        [
            pl.Series("key", keys),
            *(pl.Series(n, rows[:, j]) for j, n in enumerate(CHEAP_FEATURE_NAMES)),
        ]
    )


def _no_paths(n: int, m: int) -> ShortestPaths:
    zeros = np.zeros(n, dtype=np.float64)
    return ShortestPaths(
        sources=np.arange(n), eccentricity=zeros, distance_sum=zeros, reach=zeros,
        edge_betweenness=np.zeros(m, dtype=np.float64),
    )  # fmt: skip
