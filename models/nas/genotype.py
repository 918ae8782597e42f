"""CNN genotypes: labelled DAGs of operations between one input and one output vertex.

The search space of Irwin-Harris et al. (the paper's § 4.4): every vertex carries one
operation — a convolution (3×3, 5×5 or 7×7, with its own channel count), a max or average
pool, a sum, a concatenation or a skip — and the arcs say which vertex feeds which. Exactly one
vertex has the operation ``input`` and no predecessors, exactly one has ``output`` and no
successors, and every vertex lies on a path from the input to the output.

A :class:`Genotype` is immutable once validated: operators (:mod:`models.nas.operators`) build
new ones. Its *depth* is the number of operation vertices on its longest input→output path.

Example
-------
>>> g = random_genotype(depth=6, seed=0)
>>> g.depth
6
>>> validate_graph(g.graph) is None
True
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Hashable
from dataclasses import dataclass, field

import networkx as nx

__all__ = [
    "CHANNEL_CHOICES",
    "CONV_OPS",
    "GenotypeError",
    "Genotype",
    "OPERATIONS",
    "RANDOM_SEARCH_CONFIG",
    "SearchSpaceConfig",
    "random_genotype",
    "random_operation",
    "repair",
    "validate_graph",
]

CONV_OPS = {"conv3x3": 3, "conv5x5": 5, "conv7x7": 7}  # operation -> kernel size
POOL_OPS = ("maxpool", "avgpool")
MERGE_OPS = ("sum", "concat")
# Operations a hidden vertex may carry (input and output are the two terminals).
OPERATIONS: tuple[str, ...] = (*CONV_OPS, *POOL_OPS, *MERGE_OPS, "skip")
TERMINALS = ("input", "output")
CHANNEL_CHOICES = (4, 8, 16, 32)  # channel counts a random convolution draws from


class GenotypeError(ValueError):
    """A graph is not a valid genotype; the message says which vertex or arc is wrong."""


@dataclass(frozen=True)
class SearchSpaceConfig:
    """Where random genotypes come from.

    The paper's space: depth 6–12; its random-search baseline draws depths 10–36.
    """

    min_depth: int = 6  # fewest operation vertices on the longest input→output path
    max_depth: int = 12  # most operation vertices on the longest input→output path
    channel_choices: tuple[int, ...] = CHANNEL_CHOICES
    branch_probability: float = 0.3  # chance of each extra forward arc of a random genotype

    def __post_init__(self) -> None:
        if not (isinstance(self.min_depth, int) and self.min_depth >= 1):
            raise ValueError(
                f"The 'min_depth' parameter of SearchSpaceConfig must be an int >= 1. "
                f"Got {self.min_depth!r} instead."
            )
        if not (isinstance(self.max_depth, int) and self.max_depth >= self.min_depth):
            raise ValueError(
                f"The 'max_depth' parameter of SearchSpaceConfig must be an int >= min_depth "
                f"({self.min_depth}). Got {self.max_depth!r} instead."
            )
        if not self.channel_choices or min(self.channel_choices) <= 0:
            raise ValueError(
                "The 'channel_choices' parameter of SearchSpaceConfig must be positive ints. "
                f"Got {self.channel_choices!r} instead."
            )
        if not 0.0 <= self.branch_probability <= 1.0:
            raise ValueError(
                "The 'branch_probability' parameter of SearchSpaceConfig must be in [0, 1]. "
                f"Got {self.branch_probability!r} instead."
            )


# The paper's random-search baseline draws deeper genotypes than its genetic search.
RANDOM_SEARCH_CONFIG = SearchSpaceConfig(min_depth=10, max_depth=36)


@dataclass(frozen=True, eq=False)
class Genotype:
    """A validated labelled DAG (``graph``: vertex attributes ``op`` and, for convolutions,
    ``channels``). Construction validates it (:func:`validate_graph`) and freezes the graph."""

    graph: nx.DiGraph = field(repr=False)

    def __post_init__(self) -> None:
        validate_graph(self.graph)
        object.__setattr__(self, "graph", nx.freeze(self.graph.copy()))

    @property
    def input_vertex(self) -> Hashable:
        """The vertex whose operation is ``input``."""
        return _terminal(self.graph, "input")

    @property
    def output_vertex(self) -> Hashable:
        """The vertex whose operation is ``output``."""
        return _terminal(self.graph, "output")

    @property
    def depth(self) -> int:
        """Operation vertices on the longest input→output path."""
        return nx.dag_longest_path_length(self.graph) - 1

    def ops(self) -> dict[Hashable, str]:
        """Vertex -> operation."""
        return dict(self.graph.nodes(data="op"))

    def key(self) -> str:
        """Structural fingerprint: equal for isomorphic labelled graphs (Weisfeiler–Lehman)."""
        labelled = nx.DiGraph()
        for v, data in self.graph.nodes(data=True):
            labelled.add_node(v, label=f"{data['op']}:{data.get('channels', '')}")
        labelled.add_edges_from(self.graph.edges)
        with warnings.catch_warnings():  # networkx 3.5 notes that directed hashes changed
            warnings.simplefilter("ignore", UserWarning)
            return nx.weisfeiler_lehman_graph_hash(labelled, node_attr="label", iterations=4)

    def relabelled(self) -> nx.DiGraph:
        """A mutable copy with vertices ``0 .. n-1`` in topological order (input first)."""
        order = list(nx.lexicographical_topological_sort(self.graph, key=str))
        return nx.relabel_nodes(self.graph, {v: i for i, v in enumerate(order)}, copy=True)

    def __len__(self) -> int:
        return self.graph.number_of_nodes()


def validate_graph(graph: nx.DiGraph) -> None:
    """Raise :class:`GenotypeError` unless ``graph`` is a valid genotype.

    Checks, in order: a directed networkx graph; every vertex has a known ``op`` and every
    convolution a positive integer ``channels``; exactly one ``input`` (no predecessors) and one
    ``output`` (no successors); no cycle; every vertex on an input→output path.
    """
    if not isinstance(graph, nx.DiGraph):
        raise GenotypeError(f"A genotype must be a networkx DiGraph; got {type(graph).__name__}.")
    if graph.number_of_nodes() < 2:
        raise GenotypeError("A genotype needs at least an input and an output vertex.")
    for v, data in graph.nodes(data=True):
        op = data.get("op")
        if op not in OPERATIONS and op not in TERMINALS:
            raise GenotypeError(
                f"Vertex {v!r} has unknown operation {op!r}; valid operations are "
                f"{[*TERMINALS, *OPERATIONS]}."
            )
        if op in CONV_OPS:
            channels = data.get("channels")
            if not isinstance(channels, int) or isinstance(channels, bool) or channels <= 0:
                raise GenotypeError(
                    f"Vertex {v!r} ({op}) must have a positive integer channel count; "
                    f"got channels={channels!r}."
                )
    source = _terminal(graph, "input")
    sink = _terminal(graph, "output")
    if graph.in_degree(source):
        raise GenotypeError(f"The input vertex {source!r} must have no predecessors.")
    if graph.out_degree(sink):
        raise GenotypeError(f"The output vertex {sink!r} must have no successors.")
    if not nx.is_directed_acyclic_graph(graph):
        cycle = nx.find_cycle(graph)
        raise GenotypeError(f"A genotype must be acyclic; found the cycle {cycle}.")
    if not nx.has_path(graph, source, sink):
        raise GenotypeError(f"No path leads from the input {source!r} to the output {sink!r}.")
    on_path = (nx.descendants(graph, source) | {source}) & (nx.ancestors(graph, sink) | {sink})
    off_path = [v for v in graph if v not in on_path]
    if off_path:
        raise GenotypeError(
            f"Vertices {off_path[:5]!r} lie on no path from the input to the output."
        )


def random_operation(rng: random.Random, channel_choices=CHANNEL_CHOICES) -> dict:
    """Attributes of one random hidden vertex: ``{"op": ...}`` plus ``channels`` for a conv."""
    op = rng.choice(OPERATIONS)
    return {"op": op, "channels": rng.choice(channel_choices)} if op in CONV_OPS else {"op": op}


def random_genotype(
    *,
    depth: int | None = None,
    config: SearchSpaceConfig | None = None,
    seed: int | random.Random | None = None,
) -> Genotype:
    """A random genotype: a chain of ``depth`` operations plus random forward arcs.

    ``depth`` defaults to a uniform draw from ``config``'s ``[min_depth, max_depth]``. Extra
    arcs only point forward along the chain, so the result is acyclic and its depth exact.
    """
    config = config or SearchSpaceConfig()
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    depth = rng.randint(config.min_depth, config.max_depth) if depth is None else depth
    if not isinstance(depth, int) or depth < 1:
        raise ValueError(f"The 'depth' parameter of random_genotype must be >= 1. Got {depth!r}.")
    graph = nx.DiGraph()
    graph.add_node(0, op="input")
    for i in range(1, depth + 1):
        graph.add_node(i, **random_operation(rng, config.channel_choices))
    graph.add_node(depth + 1, op="output")
    nx.add_path(graph, range(depth + 2))
    for u in range(depth):
        # a skip of at least two steps keeps the chain the longest path
        for v in range(u + 2, depth + 2):
            if rng.random() < config.branch_probability / depth:
                graph.add_edge(u, v)
    return Genotype(graph)


def repair(graph: nx.DiGraph) -> nx.DiGraph:
    """Put every vertex of an acyclic ``graph`` on an input→output path, in place.

    A vertex the input does not reach gets an arc from the input; one that does not reach the
    output gets an arc to the output. Both terminals are a source and a sink, so this never
    makes a cycle. Returns ``graph``.
    """
    source, sink = _terminal(graph, "input"), _terminal(graph, "output")
    reached = nx.descendants(graph, source) | {source}
    for v in [v for v in graph if v not in reached]:
        graph.add_edge(source, v)
    reaching = nx.ancestors(graph, sink) | {sink}
    for v in [v for v in graph if v not in reaching]:
        graph.add_edge(v, sink)
    return graph


def _terminal(graph: nx.DiGraph, op: str) -> Hashable:
    found = [v for v, o in graph.nodes(data="op") if o == op]
    if len(found) != 1:
        raise GenotypeError(f"A genotype needs exactly one {op!r} vertex; found {len(found)}.")
    return found[0]
