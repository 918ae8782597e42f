"""The genetic operator registry: contract over every operator, property-based validity."""

from __future__ import annotations

import random

import networkx as nx
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.nas.compile import compile_genotype
from models.nas.genotype import CONV_OPS, Genotype, SearchSpaceConfig, random_genotype
from models.nas.operators import apply_operator, get_operator, list_operators, register_operator

_SMALL = SearchSpaceConfig(min_depth=2, max_depth=7, channel_choices=(2, 3))


def _assert_valid(child: Genotype) -> None:
    graph = child.graph
    assert nx.is_directed_acyclic_graph(graph)
    sources = [v for v in graph if graph.in_degree(v) == 0]
    sinks = [v for v in graph if graph.out_degree(v) == 0]
    assert [graph.nodes[v]["op"] for v in sources] == ["input"]
    assert [graph.nodes[v]["op"] for v in sinks] == ["output"]
    source, sink = sources[0], sinks[0]
    for v in graph:  # on an input -> output path, checked by networkx
        assert v in (source, sink) or (
            nx.has_path(graph, source, v) and nx.has_path(graph, v, sink)
        )
    net = compile_genotype(child, in_channels=1, num_classes=3)
    assert net(torch.zeros(2, 1, 8, 8)).shape == (2, 3)


@pytest.mark.parametrize("name", list_operators())
def test_operator_contract(name):
    operator = get_operator(name)
    assert operator.kind in ("mutation", "crossover")
    rng = random.Random(0)
    parents = [random_genotype(config=_SMALL, seed=rng) for _ in range(operator.arity)]
    keys = [p.key() for p in parents]
    children = apply_operator(name, parents, random.Random(1))
    assert children and all(isinstance(c, Genotype) for c in children)
    assert [p.key() for p in parents] == keys  # parents untouched
    for child in children:
        _assert_valid(child)
    again = apply_operator(name, parents, random.Random(1))
    assert [c.key() for c in again] == [c.key() for c in children]  # seeded
    with pytest.raises(ValueError, match="parent"):
        apply_operator(name, parents * 2, rng)


def test_duplicate_and_unknown_operators_are_refused():
    with pytest.raises(ValueError, match="already registered"):
        register_operator("remap_ops", kind="mutation")(lambda parents, rng: list(parents))
    with pytest.raises(ValueError, match="remap_ops"):
        get_operator("no_such_operator")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), steps=st.integers(1, 6))
def test_random_chains_of_operators_stay_valid(seed, steps):
    rng = random.Random(seed)
    population = [random_genotype(config=_SMALL, seed=rng) for _ in range(3)]
    for _ in range(steps):
        name = rng.choice(list_operators())
        parents = rng.sample(population, get_operator(name).arity)
        population.append(rng.choice(apply_operator(name, parents, rng)))
    for genotype in population[3:]:
        _assert_valid(genotype)


def test_remap_changes_an_operation_and_keeps_the_arcs():
    parent = random_genotype(depth=5, seed=2)
    (child,) = apply_operator("remap_ops", [parent], 3)
    before, after = parent.relabelled(), child.graph
    assert set(before.edges) == set(after.edges)
    assert any(before.nodes[v]["op"] != after.nodes[v]["op"] for v in before)


def test_insert_subgraph_adds_a_depth_two_block_in_place_of_an_arc():
    parent = Genotype(random_genotype(depth=3, seed=0, config=SearchSpaceConfig(
        min_depth=1, branch_probability=0.0)).graph)  # fmt: skip
    (child,) = apply_operator("insert_subgraph", [parent], 4)
    added = len(child) - len(parent)
    assert 2 <= added <= 4
    assert child.depth == parent.depth + 2  # a chain: the block lengthens the only path


def test_swap_longest_paths_exchanges_the_paths_operations():
    first = random_genotype(
        depth=4, seed=1, config=SearchSpaceConfig(min_depth=1, branch_probability=0)
    )
    second = random_genotype(
        depth=6, seed=2, config=SearchSpaceConfig(min_depth=1, branch_probability=0)
    )
    a, b = apply_operator("swap_longest_paths", [first, second])

    def path_ops(g):
        path = nx.dag_longest_path(g.graph)
        return [g.graph.nodes[v]["op"] for v in path]

    assert path_ops(a) == path_ops(second) and path_ops(b) == path_ops(first)


def test_swap_after_bridges_joins_head_and_tail():
    # chains: every arc is a bridge; the child is a head of one and a tail of the other
    config = SearchSpaceConfig(min_depth=1, branch_probability=0)
    first, second = random_genotype(depth=4, seed=1, config=config), random_genotype(
        depth=5, seed=2, config=config)  # fmt: skip
    a, b = apply_operator("swap_after_bridges", [first, second], 0)
    assert a.depth + b.depth == first.depth + second.depth


def test_average_channels_averages_matched_convolutions():
    def conv_chain(*channels):
        graph = nx.DiGraph()
        graph.add_node(0, op="input")
        for i, c in enumerate(channels, start=1):
            graph.add_node(i, op="conv3x3", channels=c)
        graph.add_node(len(channels) + 1, op="output")
        nx.add_path(graph, range(len(channels) + 2))
        return Genotype(graph)

    a, b = apply_operator("average_channels", [conv_chain(4, 8, 3), conv_chain(8, 3)])

    def widths(g):
        return [
            g.graph.nodes[v]["channels"]
            for v in sorted(g.graph)
            if g.graph.nodes[v]["op"] in CONV_OPS
        ]

    assert widths(a) == [6, 6, 3] and widths(b) == [6, 6]
