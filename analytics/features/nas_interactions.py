"""Operation-interaction features of labelled architecture DAGs: which operation sits where.

The ``nas_gnn`` group (:mod:`analytics.features.nas`) counts operations and summarises path
lengths per operation, each operation on its own. An architecture's accuracy also depends on how
operations *combine* — a ``gcn`` feeding a ``gat``, a ``fc`` in front of the output, an ``sage``
deep in the graph. The group registered here, ``nas_gnn_ops`` (NAS-Bench-Graph's operation
vocabulary), counts those placements; every column is a count, so 0 means "none" (no NaN):

* ``arc_A_B`` — arcs from a vertex of operation A to one of operation B, A over ``input`` and
  the operations, B over the operations and ``output`` (``arc_fc_output``: fc vertices that
  feed the output);
* ``reaches_A_B`` — ordered pairs of operation vertices ``(u, v)``, ``u`` of A and ``v`` of B,
  with a directed path from ``u`` to ``v`` (one arc or more);
* ``longest_OP`` — vertices of OP on some longest input→output path (a vertex is on one when
  its longest distance from the input plus its longest distance to the output equals the
  longest path's length, in arcs);
* ``depth_D_OP`` — vertices of OP at depth D, the longest distance in arcs from the input, for
  D = 1 … :data:`MAX_DEPTH`; the last bucket also counts deeper vertices.

The graph contract is :mod:`analytics.features.nas`'s (one ``input``, one ``output``, an
``op`` on every vertex; ``channels`` are not read here), and so is the API:
``labelled_features(graphs, group="nas_gnn_ops")``.

Example
-------
>>> import networkx as nx
>>> from analytics.features.nas import labelled_features
>>> g = nx.DiGraph()
>>> g.add_nodes_from([(0, {"op": "input"}), (1, {"op": "gcn"}), (2, {"op": "gat"}),
...                   (3, {"op": "output"})], channels=1)
>>> g.add_edges_from([(0, 1), (1, 2), (2, 3)])
>>> row = labelled_features({"a": g}, group="nas_gnn_ops").row(0, named=True)
>>> row["arc_gcn_gat"], row["reaches_gcn_gat"], row["longest_gat"], row["depth_2_gat"]
(1.0, 1.0, 1.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from analytics.features.nas import (
    GNN_OPERATIONS,
    LabelledDAG,
    _LabelError,
    _terminals,
    register_labelled_feature_group,
)

__all__ = ["MAX_DEPTH", "interaction_columns"]

MAX_DEPTH = 4  # NAS-Bench-Graph's four computing nodes reach depth 4 at most


def interaction_columns(operations: Sequence[str], *, max_depth: int = MAX_DEPTH) -> list[str]:
    """The columns of the interaction group over ``operations``, in order."""
    sources, targets = ["input", *operations], [*operations, "output"]
    columns = [f"arc_{a}_{b}" for a in sources for b in targets]
    columns += [f"reaches_{a}_{b}" for a in operations for b in operations]
    columns += [f"longest_{op}" for op in operations]
    columns += [f"depth_{d}_{op}" for d in range(1, max_depth + 1) for op in operations]
    return columns


def _interaction_computer(
    operations: Sequence[str], *, max_depth: int = MAX_DEPTH
) -> Callable[[LabelledDAG], np.ndarray]:
    k = len(operations)
    op_index = {op: i for i, op in enumerate(operations)}
    source_index = {"input": 0, **{op: i + 1 for i, op in enumerate(operations)}}
    target_index = {**op_index, "output": k}
    arcs_end = (k + 1) * (k + 1)
    reach_end = arcs_end + k * k
    longest_end = reach_end + k

    def compute(dag: LabelledDAG) -> np.ndarray:
        ops, _, arcs = dag
        source, sink = _terminals(ops)
        unknown = sorted({o for o in ops if o not in op_index} - {"input", "output"})
        if unknown:
            raise _LabelError(f"unknown operation(s) {unknown}; known: {list(operations)}.")
        n = len(ops)
        successors: list[list[int]] = [[] for _ in range(n)]
        for u, v in arcs:
            successors[u].append(v)
        order = _topological_order(successors)
        row = np.zeros(longest_end + max_depth * k)
        for u, v in arcs:
            if ops[u] == "output" or ops[v] == "input":
                continue  # such an arc has no column (it breaks the input → output contract)
            row[source_index[ops[u]] * (k + 1) + target_index[ops[v]]] += 1
        # longest distances (in arcs) from the input and to the output; -inf: unreachable
        from_source = np.full(n, -np.inf)
        from_source[source] = 0.0
        for v in order:
            for w in successors[v]:
                from_source[w] = max(from_source[w], from_source[v] + 1)
        to_sink = np.full(n, -np.inf)
        to_sink[sink] = 0.0
        for v in reversed(order):
            for w in successors[v]:
                to_sink[v] = max(to_sink[v], to_sink[w] + 1)
        longest = from_source[sink]
        descendants = [set() for _ in range(n)]
        for v in reversed(order):
            for w in successors[v]:
                descendants[v] |= {w} | descendants[w]
        for v in range(n):
            if ops[v] in ("input", "output"):
                continue
            a = op_index[ops[v]]
            for w in descendants[v]:
                if ops[w] not in ("input", "output"):
                    row[arcs_end + a * k + op_index[ops[w]]] += 1
            if np.isfinite(longest) and from_source[v] + to_sink[v] == longest:
                row[reach_end + a] += 1
            if np.isfinite(from_source[v]) and from_source[v] >= 1:
                depth = int(min(from_source[v], max_depth))
                row[longest_end + (depth - 1) * k + a] += 1
        return row

    return compute


def _topological_order(successors: list[list[int]]) -> list[int]:
    """Kahn's algorithm; a directed cycle is refused."""
    indegree = [0] * len(successors)
    for targets in successors:
        for w in targets:
            indegree[w] += 1
    ready = [v for v, d in enumerate(indegree) if d == 0]
    order = []
    while ready:
        v = ready.pop()
        order.append(v)
        for w in successors[v]:
            indegree[w] -= 1
            if indegree[w] == 0:
                ready.append(w)
    if len(order) != len(successors):
        raise _LabelError("the graph has a directed cycle.")
    return order


register_labelled_feature_group(
    "nas_gnn_ops", interaction_columns(GNN_OPERATIONS), _interaction_computer(GNN_OPERATIONS)
)
