"""Genotype validation, random genotypes and compilation to a CNN."""

from __future__ import annotations

import networkx as nx
import pytest
import torch

from models.nas.compile import compile_genotype, vertex_channels
from models.nas.genotype import (
    RANDOM_SEARCH_CONFIG,
    Genotype,
    GenotypeError,
    SearchSpaceConfig,
    random_genotype,
)


def _chain(*ops, edges=None) -> nx.DiGraph:
    graph = nx.DiGraph()
    labels = ["input", *ops, "output"]
    for i, op in enumerate(labels):
        attributes = {"op": op}
        if op.startswith("conv"):
            attributes["channels"] = 4
        graph.add_node(i, **attributes)
    graph.add_edges_from(
        edges
        if edges is not None
        else zip(range(len(labels) - 1), range(1, len(labels)), strict=False)
    )
    return graph


def test_a_valid_chain_has_its_depth():
    assert Genotype(_chain("conv3x3", "maxpool", "skip")).depth == 3


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        (_chain("skip", "skip", edges=[(0, 1), (1, 2), (2, 1), (2, 3)]), "cycle"),
        (_chain("skip", "skip", edges=[(0, 1), (2, 3)]), "No path"),
        (_chain("skip", edges=[(0, 1)]), "No path"),
        (_chain("conv9x9"), "unknown operation 'conv9x9'"),
        (_chain("skip", "skip", edges=[(0, 1), (1, 3), (0, 3)]), "lie on no path"),
    ],
)
def test_invalid_graphs_are_refused_with_the_reason(graph, message):
    with pytest.raises(GenotypeError, match=message):
        Genotype(graph)


@pytest.mark.parametrize("channels", [0, -3, 2.5, None])
def test_non_positive_channels_are_refused(channels):
    graph = _chain("conv5x5")
    graph.nodes[1]["channels"] = channels
    with pytest.raises(GenotypeError, match="positive integer channel count"):
        Genotype(graph)


def test_two_inputs_are_refused():
    graph = _chain("skip")
    graph.nodes[1]["op"] = "input"
    with pytest.raises(GenotypeError, match="exactly one 'input'"):
        Genotype(graph)


def test_random_genotypes_respect_the_depth_range():
    config = SearchSpaceConfig(min_depth=6, max_depth=12)
    depths = {random_genotype(config=config, seed=s).depth for s in range(60)}
    assert depths <= set(range(6, 13)) and len(depths) > 3
    assert random_genotype(depth=9, seed=1).depth == 9
    deep = {random_genotype(config=RANDOM_SEARCH_CONFIG, seed=s).depth for s in range(30)}
    assert deep <= set(range(10, 37)) and max(deep) > 20


def test_random_genotypes_are_reproducible_from_the_seed():
    assert random_genotype(seed=5).key() == random_genotype(seed=5).key()


def test_channels_follow_concat_and_sum():
    graph = _chain("conv3x3", "conv3x3", "concat",
                   edges=[(0, 1), (0, 2), (1, 3), (2, 3), (3, 4)])  # fmt: skip
    graph.nodes[2]["channels"] = 6
    widths = vertex_channels(Genotype(graph), in_channels=3)
    assert widths == {0: 3, 1: 4, 2: 6, 3: 10, 4: 10}
    graph.nodes[3]["op"] = "sum"
    assert vertex_channels(Genotype(graph), in_channels=3)[3] == 6


def test_compiled_network_matches_a_hand_built_chain():
    graph = _chain("conv3x3", "maxpool")
    genotype = Genotype(graph)
    net = compile_genotype(genotype, in_channels=2, num_classes=5).eval()
    conv, bn = net.ops[1][0], net.ops[1][1]
    x = torch.randn(3, 2, 8, 8)
    hand = torch.relu(bn(conv(x)))
    hand = torch.nn.functional.max_pool2d(hand, 3, stride=2, padding=1)
    expected = net.head(hand.mean(dim=(2, 3)))
    torch.testing.assert_close(net(x), expected)


def test_sum_of_unequal_shapes_projects_and_pools():
    # input -> conv(4) -> maxpool -> sum <- input (1 channel, 8x8): 1x1 conv to 4, pool to 4x4
    graph = _chain("conv3x3", "maxpool", "sum", edges=[(0, 1), (1, 2), (2, 3), (0, 3), (3, 4)])
    net = compile_genotype(Genotype(graph), in_channels=1, num_classes=3).eval()
    x = torch.randn(2, 1, 8, 8)
    pooled = net.ops[2](net.ops[1](x))
    projected = net.projections[3]["0"](torch.nn.functional.adaptive_avg_pool2d(x, (4, 4)))
    expected = net.head((pooled + projected).mean(dim=(2, 3)))
    torch.testing.assert_close(net(x), expected)


@pytest.mark.parametrize(("size", "classes"), [(8, 10), (13, 2), (1, 4)])
def test_any_input_size_and_class_count(size, classes):
    net = compile_genotype(random_genotype(depth=8, seed=3), in_channels=3, num_classes=classes)
    assert net(torch.zeros(2, 3, size, size)).shape == (2, classes)


def test_bad_class_count_is_refused():
    with pytest.raises(ValueError, match="'num_classes' parameter"):
        compile_genotype(random_genotype(seed=0), in_channels=1, num_classes=0)
