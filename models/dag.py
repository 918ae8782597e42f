"""Turn any graph into a layered DAG: orientation, layer indexing, sources and sinks.

Every structural prior in sparsescope starts as a graph — undirected random graphs from
networkx generators, directed graphs read from files, igraph graphs, plain edge lists — and
becomes a neural architecture through one recipe (paper, section 4.3):

1. orient every undirected edge ``{u, v}`` by a named rule (default: from the smaller to the
   larger vertex id, the order networkx's generators list edges in);
2. index layers by longest path from a source:
   ``layer(v) = max(layer(u) for u -> v, default -1) + 1``;
3. the network input feeds every source vertex, every sink vertex feeds the output.

Both the models (structure -> network) and the analytics (``layers``, ``source_nodes``,
``sink_nodes`` features) use this module, so the two can never disagree.

Example
-------
>>> import networkx as nx
>>> layered = layered_dag(nx.path_graph(3))
>>> layered.layer_of
{0: 0, 1: 1, 2: 2}
>>> layered.sources, layered.sinks
([0], [2])
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

__all__ = [
    "CyclicGraphError",
    "EmptyGraphError",
    "GraphStructureError",
    "LayeredDAG",
    "UnreachableVertexError",
    "layer_index",
    "layered_dag",
    "list_orientations",
    "register_orientation",
    "to_dag",
    "to_networkx",
    "vertex_sort_key",
]


class GraphStructureError(ValueError):
    """A graph cannot serve as the structure of a network; the message says why."""


class CyclicGraphError(GraphStructureError):
    """A graph given as a DAG contains a directed cycle."""


class EmptyGraphError(GraphStructureError):
    """A graph has no vertices, so no path leads from input to output."""


class UnreachableVertexError(GraphStructureError):
    """Some vertices cannot be reached from any of the named input vertices."""


def vertex_sort_key(vertex: Hashable) -> tuple[int, Any]:
    """Sort key for vertex ids: integers compare as integers, everything else as text.

    Mixed id types (``3`` and ``"a"``) still get a total order, integers first.
    """
    if isinstance(vertex, numbers.Integral) and not isinstance(vertex, bool):
        return (0, int(vertex))
    if isinstance(vertex, numbers.Real) and not isinstance(vertex, bool):
        return (0, float(vertex))
    return (1, str(vertex))


Orientation = Callable[[Hashable, Hashable], tuple[Hashable, Hashable]]
_ORIENTATIONS: dict[str, Orientation] = {}


def register_orientation(name: str) -> Callable[[Orientation], Orientation]:
    """Register an orientation rule ``(u, v) -> (source, target)`` under ``name``.

    The rule must orient every edge consistently with one total order of the vertices (so
    every graph becomes a DAG).

    Raises
    ------
    ValueError
        If ``name`` is already registered.
    """
    if name in _ORIENTATIONS:
        raise ValueError(
            f"register_orientation: an orientation named {name!r} is already registered; "
            "choose another name."
        )

    def decorator(rule: Orientation) -> Orientation:
        _ORIENTATIONS[name] = rule
        return rule

    return decorator


@register_orientation("smaller_to_larger")
def _smaller_to_larger(u: Hashable, v: Hashable) -> tuple[Hashable, Hashable]:
    """Edge points from the smaller to the larger vertex id (networkx generators' order)."""
    return (u, v) if vertex_sort_key(u) <= vertex_sort_key(v) else (v, u)


@register_orientation("larger_to_smaller")
def _larger_to_smaller(u: Hashable, v: Hashable) -> tuple[Hashable, Hashable]:
    """Edge points from the larger to the smaller vertex id."""
    return (v, u) if vertex_sort_key(u) <= vertex_sort_key(v) else (u, v)


def list_orientations() -> list[str]:
    """Names of the registered orientation rules."""
    return sorted(_ORIENTATIONS)


def to_networkx(graph: Any) -> nx.Graph:
    """Return ``graph`` as a networkx graph.

    Accepts a networkx graph (returned as is), an ``igraph.Graph`` (vertex ``name`` attribute
    used as id when present, else the vertex index) or an iterable of ``(u, v)`` edge pairs
    (read as a directed graph, since an edge list names a direction).
    """
    if isinstance(graph, nx.Graph):
        return graph
    try:
        import igraph as ig
    except ImportError:  # pragma: no cover - igraph is a hard dependency
        ig = None
    if ig is not None and isinstance(graph, ig.Graph):
        names = graph.vs["name"] if "name" in graph.vs.attributes() else list(range(graph.vcount()))
        result: nx.Graph = nx.DiGraph() if graph.is_directed() else nx.Graph()
        result.add_nodes_from(names)
        result.add_edges_from((names[e.source], names[e.target]) for e in graph.es)
        return result
    if isinstance(graph, Iterable) and not isinstance(graph, str | bytes):
        result = nx.DiGraph()
        for edge in graph:
            try:
                u, v = edge
            except (TypeError, ValueError) as exc:
                raise GraphStructureError(
                    f"An edge list must hold (source, target) pairs; got {edge!r}."
                ) from exc
            result.add_edge(u, v)
        return result
    raise TypeError(
        "Expected a networkx graph, an igraph.Graph or an iterable of (u, v) edges; "
        f"got {type(graph).__name__}."
    )


def to_dag(graph: Any, *, orientation: str = "smaller_to_larger") -> nx.DiGraph:
    """Return a directed acyclic version of ``graph``.

    Undirected edges are oriented by the rule named ``orientation``; directed graphs keep their
    directions. Parallel edges collapse into one. Node attributes are kept.

    Raises
    ------
    CyclicGraphError
        If the directed graph has a cycle (a self-loop is a cycle of length one); the message
        names the cycle's vertices.
    ValueError
        If ``orientation`` is not a registered rule.
    """
    if orientation not in _ORIENTATIONS:
        raise ValueError(
            f"The 'orientation' parameter of to_dag must be one of {list_orientations()}. "
            f"Got {orientation!r} instead."
        )
    source = to_networkx(graph)
    dag = nx.DiGraph()
    dag.add_nodes_from(source.nodes(data=True))
    if source.is_directed():
        dag.add_edges_from((u, v) for u, v in source.edges())
    else:
        rule = _ORIENTATIONS[orientation]
        dag.add_edges_from(rule(u, v) for u, v in source.edges())
    if not nx.is_directed_acyclic_graph(dag):
        cycle = [u for u, _ in nx.find_cycle(dag)]
        shown = " -> ".join(map(repr, [*cycle[:10], cycle[0]]))
        raise CyclicGraphError(
            f"The graph is not a DAG: it has the cycle {shown}"
            + (" (shortened)" if len(cycle) > 10 else "")
            + "."
        )
    return dag


def layer_index(dag: nx.DiGraph) -> dict[Hashable, int]:
    """Layer of every vertex: length of the longest path from any source to it.

    ``layer(v) = max(layer(u) for u -> v, default -1) + 1``, computed in one pass over a
    topological order.
    """
    layer: dict[Hashable, int] = {}
    for v in nx.topological_sort(dag):
        layer[v] = max((layer[u] for u in dag.predecessors(v)), default=-1) + 1
    return layer


@dataclass(frozen=True)
class LayeredDAG:
    """A DAG with its layer indexing, ready to become a network.

    Attributes
    ----------
    dag:
        The oriented graph.
    layer_of:
        Layer of every vertex (0 for sources).
    layers:
        Vertices of each layer, sorted by :func:`vertex_sort_key`.
    sources, sinks:
        Vertices without predecessors / successors, sorted. The network input feeds the
        sources, the sinks feed the output.
    """

    dag: nx.DiGraph
    layer_of: dict[Hashable, int]
    layers: list[list[Hashable]] = field(repr=False)
    sources: list[Hashable]
    sinks: list[Hashable]

    @property
    def vertices(self) -> list[Hashable]:
        """All vertices, layer by layer."""
        return [v for layer in self.layers for v in layer]


def layered_dag(
    graph: Any,
    *,
    orientation: str = "smaller_to_larger",
    inputs: Iterable[Hashable] | None = None,
) -> LayeredDAG:
    """Orient ``graph``, index its layers and find its sources and sinks.

    Parameters
    ----------
    graph:
        networkx graph, igraph graph or edge list (see :func:`to_networkx`).
    orientation:
        Rule for undirected edges (see :func:`list_orientations`).
    inputs:
        Optional vertices the input feeds. Default: every source. When given, every vertex
        must be reachable from one of them.

    Raises
    ------
    EmptyGraphError
        If the graph has no vertex.
    CyclicGraphError
        If a directed graph has a cycle.
    UnreachableVertexError
        If ``inputs`` is given and some vertex cannot be reached from it.
    """
    dag = to_dag(graph, orientation=orientation)
    if dag.number_of_nodes() == 0:
        raise EmptyGraphError("The graph is empty: no path leads from the input to the output.")
    if inputs is not None:
        inputs = list(inputs)
        missing = [v for v in inputs if v not in dag]
        if missing:
            raise GraphStructureError(f"Input vertices {missing!r} are not in the graph.")
        reached = set(inputs)
        for v in inputs:
            reached |= nx.descendants(dag, v)
        unreachable = sorted(set(dag) - reached, key=vertex_sort_key)
        if unreachable:
            raise UnreachableVertexError(
                f"Vertices {unreachable[:10]!r} cannot be reached from the input vertices "
                f"{inputs!r}."
            )
    layer_of = layer_index(dag)
    depth = max(layer_of.values()) + 1
    layers: list[list[Hashable]] = [[] for _ in range(depth)]
    for v, layer in layer_of.items():
        layers[layer].append(v)
    for layer in layers:
        layer.sort(key=vertex_sort_key)
    sources = sorted((v for v in dag if dag.in_degree(v) == 0), key=vertex_sort_key)
    sinks = sorted((v for v in dag if dag.out_degree(v) == 0), key=vertex_sort_key)
    return LayeredDAG(dag=dag, layer_of=layer_of, layers=layers, sources=sources, sinks=sinks)
