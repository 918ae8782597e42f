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
    assert with_metric.content_hash("s") != NetworkRecord("x", graph=a).content_hash("s")


def test_the_id_names_what_determines_a_network_never_its_measurements():
    graph = nx.Graph([(0, 1), (1, 2)])

    def trained(wall_time: float, acc: float, weight: float) -> NetworkRecord:
        weighted = graph.copy()
        nx.set_edge_attributes(weighted, weight, "weight")
        return NetworkRecord(
            "gru/ba", graph=weighted, cell="gru", generator="ba", seed=3, num_nonzero=7,
            metrics=[Metric(1, "test", "acc", acc), Metric(1, "", "wall_time", wall_time)],
        )  # fmt: skip

    first, second = trained(1.5, 0.75, 0.1), trained(2.25, 0.5, 0.2)  # one job trained twice
    assert first.network_id("s") == second.network_id("s")
    assert first.content_hash("s") != second.content_hash("s")
    # What determines the network does change the id: graph, config (cell), seed, study, name.
    different = [
        NetworkRecord(
            "gru/ba", graph=nx.Graph([(0, 1), (0, 2)]), cell="gru", generator="ba", seed=3
        ),
        NetworkRecord("gru/ba", graph=graph, cell="lstm", generator="ba", seed=3),
        NetworkRecord("gru/ba", graph=graph, cell="gru", generator="ba", seed=4),
        NetworkRecord("gru/ws", graph=graph, cell="gru", generator="ba", seed=3),
    ]
    ids = {record.network_id("s") for record in different} | {first.network_id("s")}
    assert len(ids) == 5 and first.network_id("t") not in ids
    frames = records_to_frames("s", [first])
    assert frames["networks"]["content_hash"].to_list() == [first.content_hash("s")]


def test_frames_index_vertices_in_id_order_with_integer_comparison():
    graph = nx.Graph([(10, 2), (2, 1)])
    frames = records_to_frames("s", [NetworkRecord("x", graph=graph)])
    assert frames["nodes"]["label"].to_list() == ["1", "2", "10"]
    edges = sorted(zip(frames["edges"]["source"], frames["edges"]["target"], strict=True))
    assert [tuple(sorted(e)) for e in edges] == [(0, 1), (1, 2)]


def test_sparsity_from_parameter_counts():
    assert NetworkRecord("x", num_parameters=200, num_nonzero=50).sparsity == 0.75
    assert NetworkRecord("x").sparsity is None


def test_networks_without_node_attributes_keep_the_hashes_earlier_versions_stored():
    """Hashing node attributes must not change the content hash (the id of schemas 1-2) of an
    imported graph stored before (none had any); the expected values were computed by the code
    before node attributes were hashed."""
    graph = nx.DiGraph()
    graph.add_edge(0, 1, weight=0.5)
    graph.add_edge(1, 2, recurrent=True)
    nx.set_node_attributes(graph, {0: 0, 1: 1, 2: 2}, "layer")
    layered = NetworkRecord(name="layered", graph=graph)
    assert layered.content_hash("s") == "b98c920a4a35ec169de6"
    assert NetworkRecord(name="plain", graph=nx.path_graph(4)).content_hash("s") == (
        "ce9d00eca465b7c5ca0b"
    )


def test_a_node_attribute_changes_the_content_hash():
    graph = nx.path_graph(3)
    before = NetworkRecord(name="g", graph=graph).content_hash("s")
    graph.nodes[1]["role"] = "hidden"
    assert NetworkRecord(name="g", graph=graph).content_hash("s") != before
