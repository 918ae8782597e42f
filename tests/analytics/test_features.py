"""analytics.features against plain networkx (tests/analytics/nx_reference.py).

Every feature of every graph is compared with the networkx computation to 1e-9: random
Barabási–Albert, Watts–Strogatz and Erdős–Rényi graphs (connected and not), directed graphs
with and without cycles, every accepted input kind, and hypothesis-generated graphs.
"""

from __future__ import annotations

import math
import os
import random
from concurrent.futures import ProcessPoolExecutor

import igraph as ig
import networkx as nx
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import analytics.features.extract as extract
from analytics.features import FEATURE_NAMES, bulk_features, graph_features
from tests.analytics.nx_reference import assert_features_close, nx_features

PAPER_COLUMNS = (
    "nodes",
    "edges",
    "density",
    "diameter",
    "average_shortest_path_length",
    *(
        f"{prefix}_{stat}"
        for prefix in (
            "eccentricity",
            "degree_centrality",
            "closeness_centrality",
            "node_betweenness",
            "edge_betweenness",
        )
        for stat in ("mean", "var", "std")
    ),
    "layers",
    "source_nodes",
    "sink_nodes",
    "last_layer_size",
)


def random_graphs(seed: int) -> dict[str, nx.Graph]:
    """One graph of each kind the features must handle, drawn with ``seed``."""
    rng = random.Random(seed)
    n = rng.randint(10, 40)
    dag = nx.gnp_random_graph(20, 0.2, seed=seed, directed=True)
    dag.remove_edges_from([(u, v) for u, v in list(dag.edges()) if u > v])
    shuffled = dict(zip(dag, rng.sample(range(100, 200), len(dag)), strict=True))
    return {
        "ba": nx.barabasi_albert_graph(n, rng.randint(1, 3), seed=seed),
        "ws": nx.connected_watts_strogatz_graph(n, max(2, n // 5), 1.0, seed=seed),
        "ws_low_p": nx.connected_watts_strogatz_graph(n, 4, 0.1, seed=seed),
        "er_sparse": nx.gnp_random_graph(n, 1.5 / n, seed=seed),  # usually disconnected
        "er_dense": nx.gnp_random_graph(15, 0.5, seed=seed),
        "directed_cyclic": nx.gnp_random_graph(15, 0.15, seed=seed, directed=True),
        "dag_relabelled": nx.relabel_nodes(dag, shuffled),
    }


CORPUS = {f"{name}_{seed}": g for seed in range(3) for name, g in random_graphs(seed).items()}


def test_feature_names_are_the_papers_columns():
    assert FEATURE_NAMES == PAPER_COLUMNS


def test_corpus_covers_disconnected_and_cyclic_graphs():
    undirected = [g for g in CORPUS.values() if not g.is_directed()]
    directed = [g for g in CORPUS.values() if g.is_directed()]
    assert any(not nx.is_connected(g) for g in undirected)
    assert any(not nx.is_directed_acyclic_graph(g) for g in directed)
    assert any(nx.is_directed_acyclic_graph(g) for g in directed)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_features_match_networkx_on_random_graphs(name):
    graph = CORPUS[name]
    assert_features_close(graph_features(graph), nx_features(graph))


@pytest.mark.parametrize("name", ["ba_0", "er_sparse_1", "ws_2"])
def test_features_match_networkx_with_the_other_orientation(name):
    graph = CORPUS[name]
    assert_features_close(
        graph_features(graph, orientation="larger_to_smaller"),
        nx_features(graph, orientation="larger_to_smaller"),
    )


def test_paper_sink_nodes_and_last_layer_size_differ_where_they_should():
    # 0 -> 1 -> 2 and 0 -> 3: layers [0], [1, 3], [2]; vertex 3 is a sink outside the last layer.
    features = graph_features(nx.Graph([(0, 1), (1, 2), (0, 3)]))
    assert (features["layers"], features["source_nodes"]) == (3.0, 1.0)
    assert (features["sink_nodes"], features["last_layer_size"]) == (2.0, 1.0)
    acyclic = [f for f in map(graph_features, CORPUS.values()) if not math.isnan(f["layers"])]
    assert any(f["sink_nodes"] != f["last_layer_size"] for f in acyclic), "random graphs too"


def test_orientation_follows_vertex_ids_not_insertion_order():
    graph = nx.Graph()
    graph.add_nodes_from([3, 0, 2, 1])
    graph.add_edges_from([(3, 0), (2, 0), (1, 2)])  # 0 -> 2, 0 -> 3, 1 -> 2
    features = graph_features(graph)
    assert (features["layers"], features["source_nodes"], features["sink_nodes"]) == (2, 2, 2)
    assert_features_close(features, nx_features(graph))


# --- inputs that need care (module docstring) ------------------------------------------------


@pytest.mark.parametrize(
    "empty", [nx.Graph(), nx.MultiDiGraph(), ig.Graph(), [], np.empty((0, 2), dtype=np.int64)]
)
def test_empty_graph_has_zero_size_and_nan_elsewhere(empty):
    features = graph_features(empty)
    assert (features["nodes"], features["edges"]) == (0.0, 0.0)
    assert all(math.isnan(v) for k, v in features.items() if k not in ("nodes", "edges"))


def test_single_vertex_follows_networkx_with_nan_spread():
    features = graph_features(nx.empty_graph(1))
    assert_features_close(features, nx_features(nx.empty_graph(1)))
    expected = {"nodes": 1, "edges": 0, "diameter": 0, "average_shortest_path_length": 0}
    expected |= {"eccentricity_mean": 0, "degree_centrality_mean": 1}
    expected |= {"closeness_centrality_mean": 0, "node_betweenness_mean": 0}
    expected |= {"layers": 1, "source_nodes": 1, "sink_nodes": 1, "last_layer_size": 1}
    assert {k: features[k] for k in expected} == expected
    undefined = [k for k, v in features.items() if math.isnan(v)]
    assert set(undefined) == {"density"} | {
        k for k in FEATURE_NAMES if k.endswith(("_var", "_std")) or k.startswith("edge_betw")
    }


def test_self_loops_and_parallel_edges_are_dropped():
    simple = nx.barabasi_albert_graph(25, 2, seed=4)
    messy = nx.MultiGraph(simple)
    messy.add_edges_from(list(simple.edges())[:10])  # parallel copies
    messy.add_edges_from([(0, 0), (7, 7), (7, 7)])  # self-loops
    features = graph_features(messy)
    assert features == graph_features(simple)
    assert features["edges"] == simple.number_of_edges()
    assert_features_close(features, nx_features(messy))


def test_self_loop_does_not_make_a_directed_graph_cyclic():
    features = graph_features(nx.DiGraph([(0, 1), (1, 1), (1, 2)]))
    assert (features["layers"], features["last_layer_size"]) == (3.0, 1.0)


def test_disconnected_graph_has_no_distance_features_but_keeps_the_rest():
    graph = nx.disjoint_union(nx.path_graph(4), nx.cycle_graph(5))
    graph.add_node(99)  # and an isolated vertex
    features = graph_features(graph)
    distance = ["diameter", "average_shortest_path_length", "eccentricity_mean"]
    assert all(math.isnan(features[k]) for k in distance)
    assert features["closeness_centrality_mean"] > 0
    assert_features_close(features, nx_features(graph))


def test_directed_graph_uses_its_own_directions_and_cycles_drop_layers():
    acyclic = nx.DiGraph([(5, 1), (1, 0), (5, 0)])  # against the default orientation
    features = graph_features(acyclic)
    assert (features["layers"], features["source_nodes"], features["sink_nodes"]) == (3, 1, 1)
    cyclic = nx.DiGraph([(0, 1), (1, 2), (2, 0), (2, 3)])
    features = graph_features(cyclic)
    assert math.isnan(features["layers"]) and math.isnan(features["last_layer_size"])
    assert (features["source_nodes"], features["sink_nodes"]) == (0.0, 1.0)
    undirected = graph_features(nx.Graph(cyclic))
    assert {k: features[k] for k in FEATURE_NAMES[:20]} == {
        k: undirected[k] for k in FEATURE_NAMES[:20]
    }


@pytest.mark.parametrize(
    ("bad", "error", "named"),
    [
        (5, TypeError, "int"),
        ("ab", TypeError, "str"),
        (None, TypeError, "NoneType"),
        ({0: [1, 2]}, TypeError, "dict"),
        ([(1, 2, 3)], ValueError, "(1, 2, 3)"),
        ([1, 2], ValueError, "1"),
    ],
)
def test_not_a_graph_raises_naming_what_was_given(bad, error, named):
    with pytest.raises(error, match="'graph' parameter of graph_features") as raised:
        graph_features(bad)
    assert named in str(raised.value)


def test_unknown_orientation_raises_listing_the_valid_ones():
    with pytest.raises(ValueError, match="'orientation'.*smaller_to_larger.*'sideways'"):
        graph_features(nx.path_graph(3), orientation="sideways")


# --- every input kind, every vertex id kind ----------------------------------------------------


def test_every_input_kind_gives_the_same_features():
    directed = nx.relabel_nodes(CORPUS["dag_relabelled_0"], lambda v: v - 100)
    directed.add_edges_from([(3, 1), (4, 2)])
    edges = list(directed.edges())
    named = ig.Graph(directed=True)
    named.add_vertices([str(v) for v in directed])
    named.add_edges([(str(u), str(v)) for u, v in edges])
    expected = nx_features(directed)
    assert_features_close(graph_features(directed), expected)
    assert_features_close(graph_features(ig.Graph.from_networkx(directed)), expected)
    expected = nx_features(nx.DiGraph(edges))  # an edge list has no isolated vertices
    assert expected["nodes"] < directed.number_of_nodes()
    assert_features_close(graph_features(edges), expected)
    assert_features_close(graph_features(iter(edges)), expected)
    assert_features_close(graph_features(np.array(edges, dtype=np.int32)), expected)
    assert_features_close(graph_features(named), nx_features(named))
    undirected = ig.Graph(n=6, edges=[(0, 1), (1, 2), (1, 2), (3, 3), (4, 5)])
    assert_features_close(graph_features(undirected), nx_features(undirected))


@pytest.mark.parametrize(
    "relabel",
    [
        lambda v: f"v{v}",  # strings sort as text: "v10" < "v2"
        lambda v: 1000 - 7 * v,  # integers not 0 .. n-1, order reversed
        lambda v: 2**70 + v,  # beyond int64
        lambda v: (v % 3, v),  # tuples: sorted by their text
        lambda v: v if v % 2 else f"s{v}",  # mixed types: integers first
    ],
)
def test_vertex_ids_of_any_kind_are_relabelled_in_sort_key_order(relabel):
    graph = nx.relabel_nodes(CORPUS["ba_1"], relabel)
    assert_features_close(graph_features(graph), nx_features(graph))


def test_distinct_ids_with_equal_sort_keys_orient_as_models_dag_does():
    # (1, 2) and "(1, 2)" share vertex_sort_key (1, "(1, 2)"); models.dag keeps listed order.
    for first, second in [((1, 2), "(1, 2)"), ("(1, 2)", (1, 2))]:
        graph = nx.Graph()
        graph.add_nodes_from([first, second, 0, "z"])
        graph.add_edges_from([(second, first), (0, second), (first, "z")])
        assert_features_close(graph_features(graph), nx_features(graph))
        assert_features_close(
            graph_features(graph, orientation="larger_to_smaller"),
            nx_features(graph, orientation="larger_to_smaller"),
        )


# --- bulk extraction ---------------------------------------------------------------------------


def _rows(table: pl.DataFrame) -> dict[object, dict[str, float]]:
    return {row.pop("key"): row for row in table.iter_rows(named=True)}


def test_bulk_equals_graph_by_graph_in_input_order():
    table = bulk_features(CORPUS, n_jobs=1)
    assert table.columns == ["key", *FEATURE_NAMES]
    assert table["key"].to_list() == list(CORPUS)
    assert all(table[name].dtype == pl.Float64 for name in FEATURE_NAMES)
    rows = _rows(table)
    for key, graph in CORPUS.items():
        assert rows[key] == pytest.approx(graph_features(graph), nan_ok=True, rel=0, abs=0)


@pytest.fixture
def pool_calls(monkeypatch):
    """Record the big-graph indices of every process-pool run of bulk_features."""
    calls = []
    run_pool = extract._run_pool

    def spy(rows, pending, big, *args):
        calls.append(list(big))
        return run_pool(rows, pending, big, *args)

    monkeypatch.setattr(extract, "_run_pool", spy)
    return calls


def test_bulk_with_a_pool_equals_bulk_in_process(pool_calls, monkeypatch):
    monkeypatch.setattr(extract, "_MIN_POOL_COST", 0)  # use the pool even for little work
    monkeypatch.setattr(extract, "_COLD_POOL_COST", 0)  # ... even before the forkserver is up
    rng = random.Random(7)
    graphs = [(i, nx.barabasi_albert_graph(rng.randint(30, 60), 3, seed=i)) for i in range(60)]
    graphs += [(100 + i, g) for i, g in enumerate(CORPUS.values())]
    graphs += [(200, list(CORPUS["directed_cyclic_0"].edges()))]  # converted in the parent
    graphs += [(201, ig.Graph.from_networkx(CORPUS["ws_1"]))]
    rng.shuffle(graphs)
    serial = bulk_features(graphs, n_jobs=1)
    pooled = bulk_features(graphs, n_jobs=2)
    assert pool_calls == [[]], "n_jobs=2 should have used a pool, n_jobs=1 not"
    monkeypatch.setattr(extract, "_MIN_POOL_COST", 10**12)
    assert bulk_features(graphs, n_jobs=2).equals(serial, null_equal=True)
    assert len(pool_calls) == 1, "too little work for a pool"
    assert pooled["key"].to_list() == [key for key, _ in graphs]
    assert pooled.equals(serial, null_equal=True)


def test_big_graph_split_across_workers_matches_in_process(monkeypatch, pool_calls, capsys):
    monkeypatch.setattr(extract, "_SPLIT_COST", 2_000)  # split even modest graphs
    monkeypatch.setattr(extract, "_COLD_POOL_COST", 0)
    graphs = {"ba": nx.barabasi_albert_graph(150, 2, seed=1), "er": CORPUS["er_sparse_0"]}
    graphs["small"] = nx.path_graph(5)
    pooled = _rows(bulk_features(graphs, n_jobs=2, progress=True))
    assert pool_calls == [[0, 1]]
    for key, graph in graphs.items():
        assert_features_close(pooled[key], graph_features(graph))
    assert "graph features" in capsys.readouterr().out


def test_bulk_shows_progress_and_accepts_no_graphs(capsys):
    table = bulk_features({"a": nx.path_graph(3)}, n_jobs=1, progress=True)
    assert table.height == 1
    assert "graph features" in capsys.readouterr().out
    empty = bulk_features({}, n_jobs=2)
    assert empty.height == 0 and empty.columns == ["key", *FEATURE_NAMES]


@pytest.mark.parametrize(
    ("graphs", "kwargs", "error", "match"),
    [
        (nx.path_graph(3), {}, TypeError, "single Graph"),
        (5, {}, TypeError, "Got int"),
        ([nx.path_graph(3)], {}, TypeError, "Item 0 .* pair"),
        ({"good": nx.path_graph(3), "bad": 5}, {}, TypeError, "key 'bad'"),
        ({"bad": [(1, 2, 3)]}, {"n_jobs": 2}, ValueError, "key 'bad'"),
        ({1: nx.path_graph(3), "b": nx.path_graph(3)}, {}, TypeError, "keys"),
        ({"a": nx.path_graph(3)}, {"n_jobs": 0}, ValueError, "'n_jobs'.*Got 0"),
        ({"a": nx.path_graph(3)}, {"orientation": "up"}, ValueError, "'orientation'"),
    ],
)
def test_bulk_rejects_bad_input_clearly(graphs, kwargs, error, match):
    with pytest.raises(error, match=match):
        bulk_features(graphs, **kwargs)


# --- property tests -----------------------------------------------------------------------------

ID_KINDS = {"int": lambda v: v, "str": lambda v: f"n{v}", "shifted": lambda v: 50 - 3 * v}


@st.composite
def graphs(draw: st.DrawFn) -> nx.Graph:
    """Small graphs of every networkx class, with self-loops and parallel edges allowed."""
    n = draw(st.integers(0, 12))
    cls = draw(st.sampled_from([nx.Graph, nx.DiGraph, nx.MultiGraph, nx.MultiDiGraph]))
    vertex = st.integers(0, max(n - 1, 0))
    edges = draw(st.lists(st.tuples(vertex, vertex), max_size=30)) if n else []
    graph = cls()
    graph.add_nodes_from(draw(st.permutations(range(n))))
    graph.add_edges_from(edges)
    return nx.relabel_nodes(graph, ID_KINDS[draw(st.sampled_from(sorted(ID_KINDS)))])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graph=graphs(), orientation=st.sampled_from(["smaller_to_larger", "larger_to_smaller"]))
def test_features_match_networkx_on_generated_graphs(graph, orientation):
    assert_features_close(
        graph_features(graph, orientation=orientation), nx_features(graph, orientation=orientation)
    )


def test_pool_workers_are_not_forked_from_this_process():
    # forked workers would inherit this process's polars/DuckDB threads' locks
    with ProcessPoolExecutor(max_workers=1, mp_context=extract._worker_context()) as pool:
        parent = pool.submit(os.getppid).result()
    assert parent != os.getpid()


def test_little_work_is_not_sent_to_a_pool_that_would_first_start_a_forkserver(
    pool_calls, monkeypatch
):
    graphs = {i: nx.barabasi_albert_graph(200, 3, seed=i) for i in range(12)}
    monkeypatch.setattr(extract, "_FORKSERVER_STARTED", False)
    cold = bulk_features(graphs, n_jobs=2)  # ~2e6 cost units: in this process
    assert pool_calls == []
    monkeypatch.setattr(extract, "_FORKSERVER_STARTED", True)
    warm = bulk_features(graphs, n_jobs=2)  # a running forkserver starts workers in ms
    assert pool_calls == [[]]
    assert warm.equals(cold)
