"""The nas_gnn_ops interaction features against networkx and hand-computed values."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from analytics.features.nas import GNN_OPERATIONS, labelled_features
from analytics.features.nas_interactions import MAX_DEPTH, interaction_columns
from ingest.nas_bench_graph import LINK_PATTERNS, architecture_graph


def _row(graph) -> dict:
    return labelled_features({"g": graph}, group="nas_gnn_ops").row(0, named=True)


def test_hand_computed_values_on_one_architecture():
    # links (0, 1, 1, 2): input -> gcn(1) -> gat(2) -> fc(4) -> output; gcn(1) -> sage(3) -> output
    row = _row(architecture_graph((0, 1, 1, 2), ("gcn", "gat", "sage", "fc")))
    nonzero = {name: value for name, value in row.items() if name != "key" and value}
    assert nonzero == {
        "arc_input_gcn": 1, "arc_gcn_gat": 1, "arc_gcn_sage": 1, "arc_gat_fc": 1,
        "arc_sage_output": 1, "arc_fc_output": 1,
        "reaches_gcn_gat": 1, "reaches_gcn_sage": 1, "reaches_gcn_fc": 1, "reaches_gat_fc": 1,
        "longest_gcn": 1, "longest_gat": 1, "longest_fc": 1,  # input-gcn-gat-fc-output
        "depth_1_gcn": 1, "depth_2_gat": 1, "depth_2_sage": 1, "depth_3_fc": 1,
    }  # fmt: skip


def _networkx_row(graph: nx.DiGraph) -> dict[str, float]:
    """The group's columns computed with networkx path enumeration, independently."""
    ops = nx.get_node_attributes(graph, "op")
    source = next(v for v, o in ops.items() if o == "input")
    sink = next(v for v, o in ops.items() if o == "output")
    row = dict.fromkeys(interaction_columns(GNN_OPERATIONS), 0.0)
    for u, v in graph.edges:
        row[f"arc_{ops[u]}_{ops[v]}"] += 1
    paths = list(nx.all_simple_paths(graph, source, sink))
    longest = max(len(p) - 1 for p in paths)
    on_longest = {v for p in paths if len(p) - 1 == longest for v in p}
    for v in graph:
        if ops[v] in ("input", "output"):
            continue
        for w in nx.descendants(graph, v):
            if ops[w] != "output":
                row[f"reaches_{ops[v]}_{ops[w]}"] += 1
        row[f"longest_{ops[v]}"] += v in on_longest
        depth = max(len(p) - 1 for p in nx.all_simple_paths(graph, source, v))
        row[f"depth_{min(depth, MAX_DEPTH)}_{ops[v]}"] += 1
    return row


def test_agrees_with_networkx_on_every_link_pattern():
    rng = random.Random(0)
    for link in LINK_PATTERNS:
        for _ in range(6):
            ops = [rng.choice(GNN_OPERATIONS) for _ in link]
            graph = architecture_graph(link, ops)
            row = _row(graph)
            del row["key"]
            assert row == _networkx_row(graph), (link, ops)


def test_a_deep_chain_clamps_its_depth_into_the_last_bucket():
    graph = nx.DiGraph()
    graph.add_nodes_from([(0, {"op": "input"}), (7, {"op": "output"})], channels=1)
    graph.add_nodes_from(range(1, 7), op="gin", channels=1)
    nx.add_path(graph, range(8))
    row = _row(graph)
    assert [row[f"depth_{d}_gin"] for d in range(1, MAX_DEPTH + 1)] == [1, 1, 1, 3]
    assert row["longest_gin"] == 6 and row["reaches_gin_gin"] == 15  # 6 choose 2
    assert row == {"key": "g", **_networkx_row(graph)}


def test_unknown_operations_and_cycles_are_refused_naming_the_graph():
    graph = architecture_graph((0, 0, 0, 0), ("gcn", "conv3x3", "gat", "gat"))
    with pytest.raises(ValueError, match=r"'g'.*unknown operation.*conv3x3"):
        _row(graph)
    graph = architecture_graph((0, 1, 2, 3), ("gcn", "gat", "gat", "gat"))
    graph.add_edge(3, 1)
    with pytest.raises(ValueError, match="'g'.*cycle"):
        _row(graph)
