import igraph as ig
import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.dag import (
    CyclicGraphError,
    EmptyGraphError,
    UnreachableVertexError,
    layer_index,
    layered_dag,
    list_orientations,
    register_orientation,
    to_dag,
    vertex_sort_key,
)


def test_orientation_points_from_smaller_to_larger_ids_comparing_integers_as_integers():
    dag = to_dag(nx.Graph([(10, 9), (2, 10)]))
    assert sorted(dag.edges) == [(2, 10), (9, 10)]
    reverse = to_dag(nx.Graph([(10, 9), (2, 10)]), orientation="larger_to_smaller")
    assert sorted(reverse.edges) == [(10, 2), (10, 9)]
    assert set(list_orientations()) >= {"smaller_to_larger", "larger_to_smaller"}
    with pytest.raises(ValueError, match="smaller_to_larger"):
        to_dag(nx.path_graph(2), orientation="random")


def test_layers_are_longest_paths_from_a_source():
    layered = layered_dag(nx.DiGraph([(0, 1), (1, 2), (0, 2), (3, 2)]))
    assert layered.layer_of == {0: 0, 1: 1, 2: 2, 3: 0}
    assert layered.layers == [[0, 3], [1], [2]]
    assert (layered.sources, layered.sinks) == ([0, 3], [2])


def test_networkx_igraph_and_edge_lists_give_the_same_dag():
    edges = [(0, 1), (1, 2), (0, 2)]
    from_nx = to_dag(nx.DiGraph(edges))
    from_ig = to_dag(ig.Graph(n=3, edges=edges, directed=True))
    from_list = to_dag(edges)
    assert set(from_nx.edges) == set(from_ig.edges) == set(from_list.edges)


def test_bad_structures_are_named():
    with pytest.raises(CyclicGraphError, match="cycle"):
        layered_dag(nx.DiGraph([(0, 1), (1, 2), (2, 0)]))
    with pytest.raises(CyclicGraphError):
        layered_dag(nx.DiGraph([(0, 0)]))
    with pytest.raises(EmptyGraphError, match="empty"):
        layered_dag(nx.Graph())
    with pytest.raises(UnreachableVertexError, match=r"\[2\]"):
        layered_dag(nx.DiGraph([(0, 1), (2, 1)]), inputs=[0])
    with pytest.raises(TypeError, match="int"):
        to_dag(42)


def test_mixed_vertex_ids_still_sort():
    assert sorted(["b", 3, 1, "a"], key=vertex_sort_key) == [1, 3, "a", "b"]


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 25), st.floats(0.05, 0.6), st.integers(0, 10_000))
def test_layer_index_matches_networkx_longest_paths(n, p, seed):
    dag = to_dag(nx.gnp_random_graph(n, p, seed=seed))
    layers = layer_index(dag)
    for v in dag:
        longest = max(
            (len(path) - 1 for u in dag if dag.in_degree(u) == 0
             for path in nx.all_simple_paths(dag, u, v)),
            default=0,
        )  # fmt: skip
        assert layers[v] == longest
    for u, v in dag.edges:
        assert layers[u] < layers[v]


@pytest.mark.parametrize("orientation", list_orientations())
def test_every_orientation_turns_a_random_graph_into_a_dag_with_its_edges(orientation):
    graph = nx.gnp_random_graph(30, 0.2, seed=4)
    dag = layered_dag(graph, orientation=orientation).dag
    assert nx.is_directed_acyclic_graph(dag)
    assert {frozenset(e) for e in dag.edges} == {frozenset(e) for e in graph.edges}
    assert set(dag.nodes) == set(graph.nodes)


def test_orientation_registry_refuses_a_duplicate_name():
    with pytest.raises(ValueError, match="'smaller_to_larger' is already registered"):
        register_orientation("smaller_to_larger")
    assert list_orientations() == ["larger_to_smaller", "smaller_to_larger"]
