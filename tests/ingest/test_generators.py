"""Tests for ingest.generators: the graph generator registry, GraphSpec and spec sampling."""

from __future__ import annotations

import dataclasses
import pickle

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.generators import (
    GeneratorSpec,
    GraphGenerationError,
    GraphSpec,
    create_graph,
    generator_spec,
    list_generators,
    register_generator,
    sample_graph_specs,
)

GENERATORS = list_generators()


def _edges(graph: nx.Graph) -> set[frozenset]:
    return {frozenset(e) for e in graph.edges()}


# --- registry contract: every generator -----------------------------------------------------


def test_registry_holds_the_required_generators():
    assert {"ba", "ws", "er", "nws", "regular", "complete"} <= set(GENERATORS)
    assert sorted(GENERATORS) == GENERATORS


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("n", [10, 23, 50])
def test_generator_gives_simple_graph_on_n_vertices(name, n):
    graph = create_graph(name, n=n, seed=1)
    assert type(graph) is nx.Graph
    assert sorted(graph.nodes) == list(range(n))
    assert nx.number_of_selfloops(graph) == 0
    assert graph.graph["generator"] == name and graph.graph["seed"] == 1
    assert graph.graph["params"] == generator_spec(name).defaults(n)


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_is_reproducible_from_seed(name):
    first, again = create_graph(name, n=30, seed=5), create_graph(name, n=30, seed=5)
    assert _edges(first) == _edges(again)


@pytest.mark.parametrize("name", [g for g in GENERATORS if g != "complete"])
def test_generator_depends_on_seed(name):
    graphs = {frozenset(_edges(create_graph(name, n=30, seed=s))) for s in range(5)}
    assert len(graphs) > 1


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("n", [0, -3, 2.5, True, None])
def test_generator_rejects_bad_n(name, n):
    with pytest.raises(ValueError, match=rf"'n' parameter of create_graph\('{name}'\).*{n}"):
        create_graph(name, n=n, seed=0)


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("seed", [-1, 1.5, None])
def test_generator_rejects_bad_seed(name, seed):
    with pytest.raises(ValueError, match=r"'seed' parameter of create_graph"):
        create_graph(name, n=10, seed=seed)


@pytest.mark.parametrize("name", GENERATORS)
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_tiny_n_gives_valid_graph_or_clear_error(name, n):
    try:
        graph = create_graph(name, n=n, seed=0)
    except ValueError as exc:
        assert f"create_graph('{name}')" in str(exc) and f"n={n}" in str(exc)
    else:
        assert sorted(graph.nodes) == list(range(n))


@pytest.mark.parametrize("name", GENERATORS)
def test_generator_rejects_unknown_parameter(name):
    with pytest.raises(ValueError, match=r"Unknown parameter\(s\) \['bogus'\].*Accepted"):
        create_graph(name, n=10, seed=0, bogus=1)


@pytest.mark.parametrize("name", GENERATORS)
def test_spec_describes_every_parameter(name):
    spec = generator_spec(name)
    assert isinstance(spec, GeneratorSpec) and spec.name == name and spec.summary
    for n in (10, 50):
        defaults = spec.defaults(n)
        assert list(defaults) == [p.name for p in spec.params]
        for p in spec.params:
            assert isinstance(defaults[p.name], p.kind)
            assert p.check(defaults[p.name], n)
            assert p.default_text and p.rule and p.doc


# --- individual generators against networkx -------------------------------------------------


@pytest.mark.parametrize("n", [10, 19, 20, 50])
def test_ba_follows_paper_rule(n):
    m = max(1, n // 10)
    graph = create_graph("ba", n=n, seed=3)
    assert graph.graph["params"] == {"m": m}
    assert _edges(graph) == _edges(nx.barabasi_albert_graph(n, m, seed=3))


def test_ba_small_n_defaults_m_to_one():
    assert create_graph("ba", n=5, seed=0).graph["params"] == {"m": 1}


@pytest.mark.parametrize("n", [10, 14, 15, 50])
def test_ws_defaults_and_connectivity(n):
    graph = create_graph("ws", n=n, seed=4)
    k = max(2, n // 5)
    assert graph.graph["params"] == {"k": k, "p": 1.0, "tries": 100}
    assert nx.is_connected(graph)
    expected = nx.connected_watts_strogatz_graph(n, k, 1.0, tries=100, seed=4)
    assert _edges(graph) == _edges(expected)


def test_er_matches_networkx():
    graph = create_graph("er", n=25, seed=2, p=0.3)
    assert _edges(graph) == _edges(nx.gnp_random_graph(25, 0.3, seed=2))
    assert create_graph("er", n=25, seed=2, p=0).number_of_edges() == 0
    assert create_graph("er", n=25, seed=2, p=1).number_of_edges() == 25 * 24 // 2


def test_nws_contains_ring_lattice():
    graph = create_graph("nws", n=20, seed=0, k=4, p=0.5)
    ring = nx.watts_strogatz_graph(20, 4, 0.0)
    assert _edges(ring) <= _edges(graph)


@pytest.mark.parametrize(("n", "d"), [(10, 3), (11, 4), (4, 3), (2, 1), (1, 0)])
def test_regular_graph_degrees(n, d):
    graph = create_graph("regular", n=n, seed=0, d=d)
    assert {deg for _, deg in graph.degree()} == {d}


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 9])
def test_regular_default_degree_is_valid_for_every_n(n):
    graph = create_graph("regular", n=n, seed=0)
    assert {deg for _, deg in graph.degree()} == {min(4, n - 1)}


def test_complete_graph():
    assert create_graph("complete", n=7, seed=0).number_of_edges() == 21


@settings(max_examples=40, deadline=None)
@given(n=st.integers(3, 40), data=st.data())
def test_ws_any_valid_k_gives_connected_graph(n, data):
    k = data.draw(st.integers(2, n - 1))
    graph = create_graph("ws", n=n, seed=0, k=k, p=0.3)
    assert graph.number_of_nodes() == n and nx.is_connected(graph)


# --- parameter validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("ba", {"m": 0}, r"'m' parameter of create_graph\('ba'\) must be an integer with 1 <= m"),
        ("ba", {"m": 10}, r"'m'.*\(n=10\). Got 10"),
        ("ba", {"m": 2.0}, r"'m'.*Got 2.0"),
        ("ws", {"k": 10}, r"'k' parameter of create_graph\('ws'\).*2 <= k < n.*Got 10"),
        ("ws", {"k": 1}, r"'k'.*Got 1"),
        ("ws", {"p": 1.5}, r"'p' parameter of create_graph\('ws'\) must be a probability"),
        ("ws", {"p": -0.1}, r"'p'.*Got -0.1"),
        ("ws", {"tries": 0}, r"'tries'.*Got 0"),
        ("er", {"p": float("nan")}, r"'p' parameter of create_graph\('er'\).*nan"),
        ("er", {"p": True}, r"'p'.*Got True"),
        ("nws", {"k": 12}, r"'k' parameter of create_graph\('nws'\).*Got 12"),
        ("regular", {"d": 3}, r"'d' parameter of create_graph\('regular'\).*even.*Got 3"),
        ("regular", {"d": 11}, r"'d'.*Got 11"),
        ("regular", {"d": -1}, r"'d'.*Got -1"),
    ],
)
def test_bad_parameters_name_parameter_generator_and_value(name, params, match):
    n = 11 if name == "regular" else 10
    with pytest.raises(ValueError, match=match):
        create_graph(name, n=n, seed=0, **params)


def test_unknown_generator_lists_valid_names():
    with pytest.raises(ValueError, match=r"Unknown graph generator 'nope'.*ba, complete, er"):
        create_graph("nope", n=5, seed=0)
    with pytest.raises(ValueError, match="Valid names"):
        generator_spec("nope")


def test_generation_failure_is_wrapped():
    # Fully rewiring a ring of 50 gives one edge per vertex: one try is rarely connected.
    messages = []
    for seed in range(20):
        try:
            graph = create_graph("ws", n=50, seed=seed, k=2, p=1.0, tries=1)
        except GraphGenerationError as exc:
            messages.append(str(exc))
        else:
            assert nx.is_connected(graph)
    assert messages
    assert all("Generator 'ws' failed for n=50" in m for m in messages)


# --- GraphSpec ------------------------------------------------------------------------------


def test_graph_spec_resolves_defaults_and_builds_same_graph():
    spec = GraphSpec("ba", 23, {}, 7)
    assert spec.params == {"m": 2}
    assert spec.key == "ba(n=23,m=2,seed=7)"
    assert spec == GraphSpec("ba", 23, {"m": 2}, 7)
    assert hash(spec) == hash(GraphSpec("ba", 23, {"m": 2}, 7))
    assert _edges(spec.build()) == _edges(create_graph("ba", n=23, seed=7))


def test_graph_spec_key_is_stable_and_distinct():
    spec = GraphSpec("ws", 31, {"p": 1}, 42)
    assert spec.key == "ws(n=31,k=6,p=1.0,tries=100,seed=42)"
    assert GraphSpec("ws", 31, {"p": 0.5}, 42).key != spec.key


def test_graph_spec_is_frozen_and_picklable():
    spec = GraphSpec("er", 12, {"p": 0.5}, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.n = 13
    assert pickle.loads(pickle.dumps(spec)) == spec


def test_graph_spec_validates():
    with pytest.raises(ValueError, match=r"'m' parameter of GraphSpec\('ba'\)"):
        GraphSpec("ba", 1, {}, 0)
    with pytest.raises(ValueError, match="Unknown graph generator"):
        GraphSpec("nope", 10, {}, 0)


# --- sample_graph_specs ---------------------------------------------------------------------


def test_paper_population():
    specs = sample_graph_specs(["ba", "ws"], 100, seed=0)
    assert [s.generator for s in specs] == ["ba"] * 100 + ["ws"] * 100
    assert all(10 <= s.n <= 50 for s in specs)
    assert len({s.n for s in specs}) > 20  # sizes spread over the range
    assert all(s.params["m"] == max(1, s.n // 10) for s in specs[:100])
    assert all(s.params["k"] == max(2, s.n // 5) and s.params["p"] == 1.0 for s in specs[100:])
    assert len({s.key for s in specs}) == 200


def test_sampling_is_reproducible_and_per_generator():
    both = sample_graph_specs(["ba", "ws"], 5, seed=3)
    assert both == sample_graph_specs(["ba", "ws"], 5, seed=3)
    assert both != sample_graph_specs(["ba", "ws"], 5, seed=4)
    assert sample_graph_specs("ba", 5, seed=3) == both[:5]
    assert sample_graph_specs(["ws", "ba"], 5, seed=3) == both[5:] + both[:5]


def test_sampled_specs_build_graphs_of_their_size():
    for spec in sample_graph_specs(list_generators(), 2, seed=1, n_range=(5, 12)):
        assert spec.build().number_of_nodes() == spec.n


def test_n_range_bounds_are_inclusive():
    sizes = {s.n for s in sample_graph_specs("er", 200, seed=0, n_range=(3, 5))}
    assert sizes == {3, 4, 5}


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((["ba"], 0), {}, r"'count' parameter of sample_graph_specs.*Got 0"),
        ((["ba"], -2), {}, r"'count'.*Got -2"),
        (([], 3), {}, r"'generators' parameter of sample_graph_specs"),
        ((["ba", "xx"], 3), {}, r"Unknown graph generator 'xx' in sample_graph_specs"),
        ((["ba"], 3), {"n_range": (0, 5)}, r"'n_range' parameter.*Got \(0, 5\)"),
        ((["ba"], 3), {"n_range": (9, 5)}, r"'n_range'.*Got \(9, 5\)"),
        ((["ba"], 3), {"n_range": 5}, r"'n_range'.*Got 5"),
        ((["ba"], 3), {"seed": -1}, r"'seed' parameter of sample_graph_specs"),
        ((["ba"], 50), {"n_range": (1, 3)}, r"'m' parameter of GraphSpec\('ba'\)"),
    ],
)
def test_sampling_rejects_bad_input(args, kwargs, match):
    kwargs.setdefault("seed", 0)
    with pytest.raises(ValueError, match=match):
        sample_graph_specs(*args, **kwargs)


def test_registry_refuses_a_duplicate_name():
    with pytest.raises(ValueError, match="'ba' is already registered"):
        register_generator("ba", summary="another BA")(lambda n, seed: nx.empty_graph(n))
    assert create_graph("ba", n=12, seed=0).number_of_nodes() == 12
