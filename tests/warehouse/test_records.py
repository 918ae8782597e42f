import networkx as nx

from warehouse.records import Metric, NetworkRecord, records_to_frames


def test_content_hash_ignores_edge_order_but_not_content():
    a = nx.Graph([(0, 1), (1, 2)])
    b = nx.Graph([(2, 1), (1, 0)])
    assert NetworkRecord("x", graph=a).network_id("s") == NetworkRecord("x", graph=b).network_id(
        "s"
    )
    c = nx.Graph([(0, 1), (0, 2)])
    assert NetworkRecord("x", graph=a).network_id("s") != NetworkRecord("x", graph=c).network_id(
        "s"
    )
    assert NetworkRecord("x", graph=a).network_id("s") != NetworkRecord("x", graph=a).network_id(
        "t"
    )
    with_metric = NetworkRecord("x", graph=a, metrics=[Metric(0, "test", "acc", 0.5)])
    assert with_metric.network_id("s") != NetworkRecord("x", graph=a).network_id("s")


def test_frames_index_vertices_in_id_order_with_integer_comparison():
    graph = nx.Graph([(10, 2), (2, 1)])
    frames = records_to_frames("s", [NetworkRecord("x", graph=graph)])
    assert frames["nodes"]["label"].to_list() == ["1", "2", "10"]
    edges = sorted(zip(frames["edges"]["source"], frames["edges"]["target"], strict=True))
    assert [tuple(sorted(e)) for e in edges] == [(0, 1), (1, 2)]


def test_sparsity_from_parameter_counts():
    assert NetworkRecord("x", num_parameters=200, num_nonzero=50).sparsity == 0.75
    assert NetworkRecord("x").sparsity is None
