"""Genetic operators on CNN genotypes, as a registry of named operators.

Every operator takes a tuple of parent genotypes (one for a mutation, two for a crossover) and
a ``random.Random`` and returns a list of child genotypes, each valid by construction (the
:class:`~models.nas.genotype.Genotype` constructor validates it). Graph surgery that could
leave a vertex off every input→output path ends with :func:`~models.nas.genotype.repair`.

* ``remap_ops`` (mutation 1): every hidden vertex takes a new random operation with
  probability ``1 / hidden vertices``; at least one changes.
* ``insert_subgraph`` (mutation 2): a random arc ``u → v`` is replaced by a random sub-graph
  of depth two, ``u → {a_1 .. a_k} → b → v`` (``k`` in 1–3).
* ``swap_longest_paths`` (crossover 1): each child keeps one parent's vertices off its longest
  input→output path and takes the other parent's longest path (its hidden operations, as a
  chain from input to output) instead of its own; arcs between removed path vertices and kept
  ones are dropped and ``repair`` reconnects what they stranded.
* ``swap_after_bridges`` (crossover 2): a bridge (an arc whose removal disconnects the
  undirected graph) splits a genotype into a head holding the input and a tail holding the
  output; the children join the head of one parent to the tail of the other across their
  bridges. Parents without a bridge are returned unchanged.
* ``average_channels`` (crossover 3): the i-th convolution of one parent (topological order)
  is matched with the i-th of the other; each child keeps its own graph with the matched
  channel counts averaged (rounded half up).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import networkx as nx

from models.nas.genotype import (
    CONV_OPS,
    OPERATIONS,
    Genotype,
    random_operation,
    repair,
)

__all__ = [
    "GeneticOperator",
    "apply_operator",
    "get_operator",
    "list_operators",
    "register_operator",
]

Apply = Callable[[Sequence[Genotype], random.Random], list[Genotype]]


@dataclass(frozen=True)
class GeneticOperator:
    """A named operator: ``arity`` parents in, a list of valid children out."""

    name: str
    kind: str  # "mutation" or "crossover"
    arity: int
    apply: Apply


_OPERATORS: dict[str, GeneticOperator] = {}


def register_operator(name: str, *, kind: str) -> Callable[[Apply], Apply]:
    """Register the decorated ``apply(parents, rng)`` as operator ``name``.

    Raises
    ------
    ValueError
        ``name`` is taken, or ``kind`` is neither ``"mutation"`` nor ``"crossover"``.
    """
    if kind not in ("mutation", "crossover"):
        raise ValueError(
            f"The 'kind' parameter of register_operator must be 'mutation' or 'crossover'. "
            f"Got {kind!r} instead."
        )

    def decorator(apply: Apply) -> Apply:
        if name in _OPERATORS:
            raise ValueError(f"A genetic operator named {name!r} is already registered.")
        arity = 1 if kind == "mutation" else 2
        _OPERATORS[name] = GeneticOperator(name=name, kind=kind, arity=arity, apply=apply)
        return apply

    return decorator


def list_operators(kind: str | None = None) -> list[str]:
    """Names of the registered operators (of one ``kind`` if given), in registration order."""
    return [name for name, op in _OPERATORS.items() if kind is None or op.kind == kind]


def get_operator(name: str) -> GeneticOperator:
    """The operator ``name``; an unknown name raises ``ValueError`` listing the valid ones."""
    if name not in _OPERATORS:
        raise ValueError(
            f"The 'name' parameter of get_operator must be one of {list_operators()}. "
            f"Got {name!r} instead."
        )
    return _OPERATORS[name]


def apply_operator(
    name: str, parents: Sequence[Genotype], rng: random.Random | int | None = None
) -> list[Genotype]:
    """Apply operator ``name`` to ``parents`` (as many as its arity) and return the children."""
    operator = get_operator(name)
    if len(parents) != operator.arity:
        raise ValueError(f"Operator {name!r} takes {operator.arity} parent(s); got {len(parents)}.")
    rng = rng if isinstance(rng, random.Random) else random.Random(rng)
    return operator.apply(tuple(parents), rng)


@register_operator("remap_ops", kind="mutation")
def _remap_ops(parents: Sequence[Genotype], rng: random.Random) -> list[Genotype]:
    graph = parents[0].relabelled()
    hidden = [v for v, op in graph.nodes(data="op") if op in OPERATIONS]
    if not hidden:
        return [Genotype(graph)]
    chosen = [v for v in hidden if rng.random() < 1 / len(hidden)] or [rng.choice(hidden)]
    for v in chosen:
        current = graph.nodes[v]["op"]
        attributes = random_operation(rng)
        while attributes["op"] == current:
            attributes = random_operation(rng)
        graph.nodes[v].clear()
        graph.nodes[v].update(attributes)
    return [Genotype(graph)]


@register_operator("insert_subgraph", kind="mutation")
def _insert_subgraph(parents: Sequence[Genotype], rng: random.Random) -> list[Genotype]:
    graph = parents[0].relabelled()
    u, v = rng.choice(sorted(graph.edges))
    graph.remove_edge(u, v)
    fresh = iter(range(graph.number_of_nodes(), graph.number_of_nodes() + 4))
    join = next(fresh)
    graph.add_node(join, **random_operation(rng))
    for _ in range(rng.randint(1, 3)):
        branch = next(fresh)
        graph.add_node(branch, **random_operation(rng))
        graph.add_edges_from([(u, branch), (branch, join)])
    graph.add_edge(join, v)
    return [Genotype(graph)]


@register_operator("swap_longest_paths", kind="crossover")
def _swap_longest_paths(parents: Sequence[Genotype], rng: random.Random) -> list[Genotype]:
    del rng  # deterministic: the longest paths decide
    first, second = (p.relabelled() for p in parents)
    path_first, path_second = _hidden_path(first), _hidden_path(second)
    return [_with_path(first, path_second), _with_path(second, path_first)]


@register_operator("swap_after_bridges", kind="crossover")
def _swap_after_bridges(parents: Sequence[Genotype], rng: random.Random) -> list[Genotype]:
    first, second = (p.relabelled() for p in parents)
    bridges = [_bridges(first), _bridges(second)]
    if not bridges[0] or not bridges[1]:
        return [Genotype(first), Genotype(second)]
    a, b = rng.choice(bridges[0]), rng.choice(bridges[1])
    head_a, tail_a = _split(first, a)
    head_b, tail_b = _split(second, b)
    return [_join(first, head_a, a[0], second, tail_b, b[1]),
            _join(second, head_b, b[0], first, tail_a, a[1])]  # fmt: skip


@register_operator("average_channels", kind="crossover")
def _average_channels(parents: Sequence[Genotype], rng: random.Random) -> list[Genotype]:
    del rng  # deterministic: layers are matched in topological order
    graphs = [p.relabelled() for p in parents]
    convs = [[v for v in sorted(g) if g.nodes[v]["op"] in CONV_OPS] for g in graphs]
    for va, vb in zip(convs[0], convs[1], strict=False):  # unmatched convolutions keep theirs
        mean = (graphs[0].nodes[va]["channels"] + graphs[1].nodes[vb]["channels"] + 1) // 2
        graphs[0].nodes[va]["channels"] = graphs[1].nodes[vb]["channels"] = mean
    return [Genotype(g) for g in graphs]


def _hidden_path(graph: nx.DiGraph) -> list[dict]:
    """Attributes of the hidden vertices of the longest input→output path (ties: first)."""
    path = nx.dag_longest_path(graph, topo_order=sorted(graph))
    return [dict(graph.nodes[v]) for v in path[1:-1]]


def _with_path(graph: nx.DiGraph, hidden: list[dict]) -> Genotype:
    """``graph`` with its own longest path's hidden vertices replaced by a chain of ``hidden``."""
    path = nx.dag_longest_path(graph, topo_order=sorted(graph))
    source, sink = path[0], path[-1]
    graph.remove_nodes_from(path[1:-1])
    chain = list(range(max(graph) + 1, max(graph) + 1 + len(hidden)))
    for v, attributes in zip(chain, hidden, strict=True):
        graph.add_node(v, **attributes)
    nx.add_path(graph, [source, *chain, sink])
    return Genotype(repair(graph))


def _bridges(graph: nx.DiGraph) -> list[tuple[int, int]]:
    return sorted((u, v) if graph.has_edge(u, v) else (v, u)
                  for u, v in nx.bridges(graph.to_undirected(as_view=True)))  # fmt: skip


def _split(graph: nx.DiGraph, bridge: tuple[int, int]) -> tuple[set, set]:
    """Vertices on the input side (head) and the output side (tail) of ``bridge``."""
    cut = nx.restricted_view(graph.to_undirected(as_view=True), [], [bridge])
    head = nx.node_connected_component(cut, bridge[0])
    return head, set(graph) - head


def _join(head_graph, head, head_end, tail_graph, tail, tail_start) -> Genotype:
    child = nx.DiGraph()
    offset = max(head_graph) + 1
    child.add_nodes_from((v, head_graph.nodes[v]) for v in head)
    child.add_edges_from((u, v) for u, v in head_graph.edges if u in head and v in head)
    child.add_nodes_from((v + offset, tail_graph.nodes[v]) for v in tail)
    child.add_edges_from((u + offset, v + offset) for u, v in tail_graph.edges
                         if u in tail and v in tail)  # fmt: skip
    child.add_edge(head_end, tail_start + offset)
    return Genotype(child)
