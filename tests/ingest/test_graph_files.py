import json
import pickle

import networkx as nx
import pytest

from ingest.graph_files import GraphFileError, import_graph_files, read_graph_file
from warehouse import queries


def _write_all_formats(tmp_path, graph):
    nx.write_graphml(graph, tmp_path / "g.graphml")
    nx.write_gml(graph, tmp_path / "g.gml")
    nx.write_edgelist(graph, tmp_path / "g.edgelist", data=False)
    (tmp_path / "g.json").write_text(json.dumps(nx.node_link_data(graph, edges="edges")))
    with (tmp_path / "g.gpickle").open("wb") as handle:
        pickle.dump(graph, handle)
    return [tmp_path / f"g.{s}" for s in ("graphml", "gml", "edgelist", "json", "gpickle")]


def test_every_format_reads_back_the_same_graph(tmp_path):
    graph = nx.watts_strogatz_graph(15, 4, 0.3, seed=1)
    for path in _write_all_formats(tmp_path, graph):
        read = read_graph_file(path, trust_pickle=True).graph
        assert sorted(read.nodes) == sorted(graph.nodes), path
        assert {frozenset(e) for e in read.edges} == {frozenset(e) for e in graph.edges}, path


def test_pickles_need_explicit_trust(tmp_path):
    path = _write_all_formats(tmp_path, nx.path_graph(3))[-1]
    with pytest.raises(GraphFileError, match="trust-pickle"):
        read_graph_file(path)


def test_self_loops_and_duplicate_edges_are_cleaned_and_counted(tmp_path):
    path = tmp_path / "messy.edgelist"
    path.write_text("0 1\n1 0\n1 1\n1 2\n1 2\n")
    item = read_graph_file(path)
    assert sorted(map(sorted, item.graph.edges)) == [[0, 1], [1, 2]]
    assert item.self_loops_removed == 1
    assert item.duplicate_edges_merged == 2


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("empty.edgelist", "", "empty"),
        ("broken.graphml", "<graphml><graph><node id=", "not a readable graphml"),
        ("broken.json", '{"nodes": 3}', "not a readable node-link"),
        ("photo.png", "PNG", "unknown graph format"),
    ],
)
def test_bad_files_are_named_and_nothing_is_stored(tmp_path, name, text, match):
    good = tmp_path / "good.edgelist"
    good.write_text("0 1\n")
    bad = tmp_path / name
    bad.write_text(text)
    db = tmp_path / "w.duckdb"
    import_graph_files(db, [good], study="s")
    with pytest.raises(GraphFileError, match=match) as info:
        import_graph_files(db, [bad], study="s")
    assert name in str(info.value)
    assert queries.counts(db)["networks"] == 1


def test_import_is_all_or_nothing_and_idempotent(tmp_path):
    db = tmp_path / "w.duckdb"
    paths = _write_all_formats(tmp_path, nx.cycle_graph(5))[:4]
    report, _ = import_graph_files(db, paths, study="s")
    assert report.inserted == 4
    report, _ = import_graph_files(db, paths, study="s")
    assert (report.inserted, report.already_stored) == (0, 4)
    (tmp_path / "junk.gml").write_text("not gml at all [")
    with pytest.raises(GraphFileError, match="junk.gml"):
        import_graph_files(db, [*paths, tmp_path / "junk.gml"], study="s2")
    assert queries.counts(db)["networks"] == 4
