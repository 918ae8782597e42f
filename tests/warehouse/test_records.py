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


def test_networks_without_node_attributes_keep_the_ids_earlier_versions_stored():
    """Hashing node attributes must not change the id of an imported graph stored before (none
    had any); the expected ids were computed by the code before node attributes were hashed."""
    graph = nx.DiGraph()
    graph.add_edge(0, 1, weight=0.5)
    graph.add_edge(1, 2, recurrent=True)
    nx.set_node_attributes(graph, {0: 0, 1: 1, 2: 2}, "layer")
    layered = NetworkRecord(name="layered", graph=graph)
    assert layered.network_id("s") == "b98c920a4a35ec169de6"
    assert NetworkRecord(name="plain", graph=nx.path_graph(4)).network_id("s") == (
        "ce9d00eca465b7c5ca0b"
    )


def test_a_node_attribute_changes_the_id():
    graph = nx.path_graph(3)
    before = NetworkRecord(name="g", graph=graph).network_id("s")
    graph.nodes[1]["role"] = "hidden"
    assert NetworkRecord(name="g", graph=graph).network_id("s") != before
