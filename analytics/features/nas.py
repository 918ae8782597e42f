"""Features of labelled architecture DAGs: the paper's NAS meta-dataset features (§ 4.4).

The plain graph features (:mod:`analytics.features`) see only structure; an architecture's
vertices also carry an operation (``op``) and a width (``channels``). A *labelled feature
group* computes, for every graph of a batch, columns that read those labels. Two groups are
registered, one per search space, differing only in their operation vocabulary:

* ``nas_cnn`` — the CNN genotypes of :mod:`models.nas` (conv3x3 … skip);
* ``nas_gnn`` — NAS-Bench-Graph's GNN operations (gat … skip).

Columns of a group (``OP`` ranges over its operations; "std" is the population standard
deviation, ``ddof=0``, so one value has std 0; statistics over no value are NaN):

* ``layer_mass_mean`` / ``_std`` — over vertices with predecessors, ``channels(v) ×
  Σ channels(u)`` over the predecessors ``u`` of ``v``;
* ``path_shortest``, ``path_longest``, ``path_random_walk`` — arcs on the shortest and the
  longest input→output path, and the expected number of steps of a random walk from the input
  that follows a uniformly chosen outgoing arc until it reaches the output;
* ``vertices_OP`` — how many vertices carry operation OP (0 when none: the per-operation
  statistics below are then NaN, and a regressor's imputation would hide that absence);
* ``path_{shortest,longest,random_walk}_OP_{mean,std}`` — the same three lengths measured
  *from each vertex of operation OP to the output*, summarised over those vertices (the
  paper's "path lengths per operation type");
* ``depth`` — operation vertices on the longest input→output path (arcs − 1);
* ``vertex_degree_mean`` / ``_std`` and ``average_neighbor_degree_mean`` / ``_std`` — degree
  and mean neighbour degree of every vertex of the simple undirected graph (networkx's
  ``degree`` and ``average_neighbor_degree``).

Betweenness, eccentricity and closeness are the plain features' (same graph, no labels), so
they are not repeated here. A graph must be a ``networkx.DiGraph`` whose vertices all have an
``op``, exactly one of them ``input`` and one ``output``, and every vertex a positive
``channels`` — :func:`models.nas.compile.feature_graph` and
:func:`ingest.nas_bench_graph.architecture_graph` build such graphs.

Example
-------
>>> import networkx as nx
>>> g = nx.DiGraph()
>>> g.add_nodes_from([(0, {"op": "input"}), (1, {"op": "gcn"}), (2, {"op": "output"})],
...                  channels=1)
>>> g.add_edges_from([(0, 1), (1, 2)])
>>> row = labelled_features({"a": g}, group="nas_gnn").row(0, named=True)
>>> row["depth"], row["path_longest_gcn_mean"]
(1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import igraph as ig
import networkx as nx
import numpy as np
import polars as pl

from analytics.features.groups import FEATURE_NAMES

__all__ = [
    "CNN_OPERATIONS",
    "GNN_OPERATIONS",
    "LabelledDAG",
    "LabelledFeatureGroup",
    "as_labelled_dag",
    "get_labelled_feature_group",
    "labelled_features",
    "list_labelled_feature_groups",
    "register_labelled_feature_group",
]

CNN_OPERATIONS = ("conv3x3", "conv5x5", "conv7x7", "maxpool", "avgpool", "sum", "concat", "skip")
GNN_OPERATIONS = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
_PATH_KINDS = ("shortest", "longest", "random_walk")


class LabelledDAG(NamedTuple):
    """A labelled DAG as plain lists: vertex ``i`` has ``ops[i]`` and ``channels[i]``."""

    ops: Sequence[str]
    channels: Sequence[float]
    arcs: Sequence[tuple[int, int]]  # (u, v) vertex indices


@dataclass(frozen=True)
class LabelledFeatureGroup:
    """A named set of columns computed from a labelled DAG: ``compute(dag) -> row``."""

    name: str
    columns: tuple[str, ...]
    compute: Callable[[LabelledDAG], np.ndarray]


_GROUPS: dict[str, LabelledFeatureGroup] = {}


def register_labelled_feature_group(
    name: str, columns: Sequence[str], compute: Callable[[LabelledDAG], np.ndarray]
) -> LabelledFeatureGroup:
    """Register ``compute`` as labelled feature group ``name`` computing ``columns``.

    Raises
    ------
    ValueError
        ``name`` is taken, or a column is also a plain graph feature (the two kinds are
        stored side by side, so their names must differ).
    """
    if name in _GROUPS:
        raise ValueError(f"A labelled feature group named {name!r} is already registered.")
    clash = sorted(set(columns) & set(FEATURE_NAMES))
    if clash:
        raise ValueError(f"Columns {clash} of {name!r} are plain graph feature names.")
    group = LabelledFeatureGroup(name=name, columns=tuple(columns), compute=compute)
    _GROUPS[name] = group
    return group


def list_labelled_feature_groups() -> list[str]:
    """Names of the registered labelled feature groups."""
    return list(_GROUPS)


def get_labelled_feature_group(name: str) -> LabelledFeatureGroup:
    """The group ``name``; an unknown name raises ``ValueError`` listing the valid ones."""
    if name not in _GROUPS:
        raise ValueError(
            f"The 'group' parameter must be one of {list_labelled_feature_groups()}. "
            f"Got {name!r} instead."
        )
    return _GROUPS[name]


def labelled_features(
    graphs: Mapping[Any, nx.DiGraph | LabelledDAG], *, group: str
) -> pl.DataFrame:
    """One row per graph: a ``key`` column, then the columns of labelled group ``group``.

    Graphs are networkx ``DiGraph`` objects (see the module docstring) or, to skip networkx for
    many small graphs, :class:`LabelledDAG` lists.

    Raises
    ------
    ValueError
        Unknown group, or a graph that is not a labelled DAG (the message names its key).
    """
    spec = get_labelled_feature_group(group)
    rows = np.empty((len(graphs), len(spec.columns)))
    for i, (key, graph) in enumerate(graphs.items()):
        try:
            dag = graph if isinstance(graph, LabelledDAG) else as_labelled_dag(graph)
            rows[i] = spec.compute(dag)
        except _LabelError as exc:
            raise ValueError(f"The graph with key {key!r}: {exc}") from None
    columns = [pl.Series("key", list(graphs))]
    columns += [pl.Series(name, rows[:, j]) for j, name in enumerate(spec.columns)]
    return pl.DataFrame(columns)


def _columns(operations: Sequence[str]) -> list[str]:
    columns = ["layer_mass_mean", "layer_mass_std", *(f"path_{k}" for k in _PATH_KINDS)]
    columns += [f"vertices_{op}" for op in operations]
    for kind in _PATH_KINDS:
        for op in operations:
            columns += [f"path_{kind}_{op}_mean", f"path_{kind}_{op}_std"]
    return columns + [
        "depth",
        "vertex_degree_mean",
        "vertex_degree_std",
        "average_neighbor_degree_mean",
        "average_neighbor_degree_std",
    ]


class _LabelError(ValueError):
    pass


def _row_computer(operations: Sequence[str]) -> Callable[[LabelledDAG], np.ndarray]:
    def compute(dag_arrays: LabelledDAG) -> np.ndarray:
        ops, channels, arcs = dag_arrays
        source, sink = _terminals(ops)
        n = len(ops)
        dag = ig.Graph(n=n, edges=arcs, directed=True)
        if not dag.is_dag():
            raise _LabelError("the graph has a directed cycle.")
        order = dag.topological_sorting()
        successors = dag.get_adjlist(mode="out")
        predecessors = dag.get_adjlist(mode="in")
        # (shortest, longest, random walk) lengths from every vertex to the output, by dynamic
        # programming in reverse topological order; None where some arc avoids the output
        to_sink: list[tuple[float, float, float] | None] = [None] * n
        to_sink[sink] = (0.0, 0.0, 0.0)
        for v in reversed(order):
            ahead = [to_sink[s] for s in successors[v]]
            if v == sink or not ahead or any(a is None for a in ahead):
                continue
            to_sink[v] = (1 + min(a[0] for a in ahead), 1 + max(a[1] for a in ahead),
                          1 + sum(a[2] for a in ahead) / len(ahead))  # fmt: skip
        mass = [channels[v] * sum(channels[u] for u in predecessors[v])
                for v in range(n) if predecessors[v]]  # fmt: skip
        nan3 = (np.nan, np.nan, np.nan)
        from_source = to_sink[source] or nan3
        row = [*_mean_std(mass), *from_source, *(float(ops.count(op)) for op in operations)]
        for kind in range(3):
            for op in operations:
                row += _mean_std([(to_sink[v] or nan3)[kind] for v in range(n) if ops[v] == op])
        neighbours = [set() for _ in range(n)]  # the simple undirected graph
        for u, v in arcs:
            neighbours[u].add(v)
            neighbours[v].add(u)
        degree = [len(a) for a in neighbours]
        # networkx's average_neighbor_degree: mean degree of the neighbours, 0 if isolated
        mean_neighbour = [sum(degree[w] for w in a) / len(a) if a else 0.0 for a in neighbours]
        row += [from_source[1] - 1, *_mean_std(degree), *_mean_std(mean_neighbour)]
        return np.array(row, dtype=float)

    return compute


def as_labelled_dag(graph: Any) -> LabelledDAG:
    """The :class:`LabelledDAG` of a networkx ``DiGraph`` with ``op``/``channels`` vertices."""
    if not isinstance(graph, nx.DiGraph):
        raise _LabelError(f"expected a networkx DiGraph, got {type(graph).__name__}.")
    order = list(graph)
    index = {v: i for i, v in enumerate(order)}
    ops, channels = [], []
    for v in order:
        data = graph.nodes[v]
        if "op" not in data:
            raise _LabelError(f"vertex {v!r} has no 'op' attribute.")
        width = data.get("channels")
        if not isinstance(width, int | float) or isinstance(width, bool) or not width > 0:
            raise _LabelError(f"vertex {v!r} needs a positive 'channels'; got {width!r}.")
        ops.append(data["op"])
        channels.append(float(width))
    return LabelledDAG(ops, channels, [(index[u], index[v]) for u, v in graph.edges])


def _terminals(ops: Sequence[str]) -> tuple[int, int]:
    terminals = []
    for op in ("input", "output"):
        found = [i for i, o in enumerate(ops) if o == op]
        if len(found) != 1:
            raise _LabelError(f"needs exactly one {op!r} vertex; found {len(found)}.")
        terminals.append(found[0])
    return terminals[0], terminals[1]


def _mean_std(values: Sequence[float]) -> list[float]:
    """Mean and population standard deviation; NaN for no value (or any NaN value)."""
    if not values:
        return [np.nan, np.nan]
    mean = sum(values) / len(values)
    return [mean, (sum((x - mean) ** 2 for x in values) / len(values)) ** 0.5]


register_labelled_feature_group("nas_cnn", _columns(CNN_OPERATIONS), _row_computer(CNN_OPERATIONS))
register_labelled_feature_group("nas_gnn", _columns(GNN_OPERATIONS), _row_computer(GNN_OPERATIONS))
