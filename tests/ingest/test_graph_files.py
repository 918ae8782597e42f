import json
import pickle

import networkx as nx
import pytest

from ingest import graph_files
from ingest.graph_files import (
    GraphFileError,
    import_graph_files,
    list_graph_formats,
    read_graph_file,
)
from warehouse import queries


def _write_pickle(graph, path):
    with path.open("wb") as handle:
        pickle.dump(graph, handle)


# networkx's writer for every registered format; a new format fails the contract test until
# it has one here.
_WRITERS = {
    "graphml": nx.write_graphml,
    "gml": nx.write_gml,
    "edgelist": lambda graph, path: nx.write_edgelist(graph, path, data=False),
    "node-link": lambda graph, path: path.write_text(
        json.dumps(nx.node_link_data(graph, edges="edges"))
    ),
    "pickle": _write_pickle,
}


def _write_all_formats(tmp_path, graph):
    paths = []
    for name, suffixes in list_graph_formats().items():
        paths.append(tmp_path / f"g{suffixes[0]}")
        _WRITERS[name](graph, paths[-1])
    return paths


@pytest.mark.parametrize("name", list(list_graph_formats()))
def test_every_format_reads_back_the_same_graph_under_each_of_its_suffixes(tmp_path, name):
    assert name in _WRITERS, f"add a writer for the new graph format {name!r}"
    graph = nx.watts_strogatz_graph(15, 4, 0.3, seed=1)
    for suffix in list_graph_formats()[name]:
        path = tmp_path / f"g{suffix}"
        _WRITERS[name](graph, path)
        item = read_graph_file(path, trust_pickle=True)
        assert item.format == name, path
        assert sorted(item.graph.nodes) == sorted(graph.nodes), path
        assert {frozenset(e) for e in item.graph.edges} == {frozenset(e) for e in graph.edges}


def test_format_registry_refuses_duplicate_names_and_suffixes():
    with pytest.raises(ValueError, match="'gml' is already registered"):
        graph_files._register("gml", [".gml2"])
    with pytest.raises(ValueError, match=r"\['.json'\].*node-link"):
        graph_files._register("json-lines", [".json", ".jsonl"])
    assert "json-lines" not in list_graph_formats()


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
