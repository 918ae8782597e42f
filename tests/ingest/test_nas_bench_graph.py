"""NAS-Bench-Graph import: hash decoding against the package, frames against the records path,
one transaction per data set, pickle trust, errors. The package's own tables are read where it
matters; full imports of 26,206 architectures are left to benchmarks/bench_nas_import.py."""

from __future__ import annotations

import json
import pickle
import sys

import networkx as nx
import polars as pl
import pytest

from ingest import nas_bench_graph as nbg
from warehouse import queries
from warehouse.records import Metric, NetworkRecord, records_to_frames

architecture = pytest.importorskip(
    "nas_bench_graph.architecture",
    reason="needs the 'nasbench' extra (scripts/test.sh installs it)",
)


@pytest.fixture(scope="module")
def cora() -> pl.DataFrame:
    return nbg.bench_table("cora")


@pytest.fixture
def small_bench(tmp_path, cora):
    """A trusted .bench file of 40 real cora architectures, in the package's format."""
    bench = nbg.load_bench("cora")
    keys = cora.get_column("hash").to_list()[::655][:40]
    path = tmp_path / "small.bench"
    with path.open("wb") as handle:
        pickle.dump({k: bench[k] for k in keys}, handle)
    return path, keys


def test_every_hash_decodes_to_the_architecture_the_package_hashes_to_it(cora):
    assert cora.height == 26206
    for key, link, *ops in cora.select("hash", "link", "op0", "op1", "op2", "op3").rows()[::97]:
        decoded_link, decoded_ops = nbg.decode_hash(key)
        assert decoded_link == nbg.LINK_PATTERNS[link] and list(decoded_ops) == ops
        arch = architecture.Arch(list(decoded_link), list(decoded_ops))
        assert arch.valid_hash() == key
    assert tuple(map(tuple, architecture.link_list)) == nbg.LINK_PATTERNS
    assert tuple(architecture.gnn_list) == nbg.OPERATIONS


def test_proteins_uses_the_same_decoding():
    table = nbg.bench_table("proteins")
    assert table.height == 2021
    used = set(table.select(pl.concat_list("op0", "op1", "op2", "op3")).to_series().explode())
    assert used == set(architecture.gnn_list_proteins)


def test_architecture_graph_matches_the_package_readme_example():
    # README: Arch([0, 1, 2, 1], ['gcn', 'gin', 'fc', 'cheb']); leaves feed the output
    graph = nbg.architecture_graph([0, 1, 2, 1], ["gcn", "gin", "fc", "cheb"])
    assert set(graph.edges) == {(0, 1), (1, 2), (2, 3), (1, 4), (3, 5), (4, 5)}
    assert [graph.nodes[v]["op"] for v in sorted(graph)] == [
        "input", "gcn", "gin", "fc", "cheb", "output"]  # fmt: skip
    assert nx.is_directed_acyclic_graph(graph)


def test_frames_equal_the_per_record_path_except_the_id(cora):
    table = cora[::1311]
    frames = nbg._frames("s", table)
    records = [
        NetworkRecord(
            name=str(row["hash"]),
            graph=nbg.architecture_graph(
                nbg.LINK_PATTERNS[row["link"]], [row[f"op{i}"] for i in range(4)]
            ),  # fmt: skip
            family="gnn",
            generator="nas-bench-graph",
            metrics=[Metric(0, "", m, row[m]) for m in nbg.METRICS],
            labels={
                "link": ",".join(map(str, nbg.LINK_PATTERNS[row["link"]])),
                "ops": ",".join(row[f"op{i}"] for i in range(4)),
            },  # fmt: skip
        )
        for row in table.iter_rows(named=True)
    ]
    expected = records_to_frames("s", records)
    ids = dict(zip(expected["networks"]["name"], expected["networks"]["id"], strict=True))
    mine = dict(zip(frames["networks"]["name"], frames["networks"]["id"], strict=True))
    rename = {mine[name]: ids[name] for name in ids}
    for name in ("networks", "nodes", "edges", "metrics", "labels"):
        got = frames[name].with_columns(pl.col(frames[name].columns[0]).replace_strict(rename))
        want = expected[name]
        if name == "networks":  # content hashes are computed differently (see _frames)
            got, want = got.drop("content_hash"), want.drop("content_hash")
        key = [c for c in got.columns if c not in ("value", "attributes", "weight")]
        assert got.sort(key).equals(want.sort(key)), name


def test_import_stores_networks_metrics_and_features_idempotently(tmp_path, small_bench):
    path, keys = small_bench
    db = tmp_path / "w.duckdb"
    (result,) = nbg.import_nas_bench_graph(db, "cora", path=path, trust_pickle=True)
    assert (result.inserted, result.architectures) == (40, 40)
    meta = queries.meta_dataset(db, study="nas-bench-graph-cora")
    assert meta.height == 40
    bench = nbg.load_bench("cora")
    row = meta.filter(pl.col("name") == str(keys[3])).row(0, named=True)
    assert row["valid_perf"] == pytest.approx(bench[keys[3]]["valid_perf"])
    assert row["perf"] == pytest.approx(bench[keys[3]]["perf"])
    link, ops = nbg.decode_hash(keys[3])
    graph = nbg.architecture_graph(link, ops)
    assert row["nodes"] == 6 and row["edges"] == graph.number_of_edges()
    assert row["depth"] == nx.dag_longest_path_length(graph) - 1
    stored = queries.load_graph(db, network_id=row["network_id"])
    assert sorted(stored.edges) == sorted(graph.edges)
    (again,) = nbg.import_nas_bench_graph(db, "cora", path=path, trust_pickle=True)
    assert (again.inserted, again.already_stored) == (0, 40)


def test_untrusted_files_unknown_datasets_and_missing_package(tmp_path, small_bench, monkeypatch):
    path, _ = small_bench
    db = tmp_path / "w.duckdb"
    with pytest.raises(nbg.NasBenchGraphError, match="trust-pickle"):
        nbg.import_nas_bench_graph(db, "cora", path=path)
    with pytest.raises(nbg.NasBenchGraphError, match="valid ones: cora, citeseer"):
        nbg.import_nas_bench_graph(db, "imagenet")
    monkeypatch.setattr(nbg.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(nbg.NasBenchGraphError, match="nasbench"):
        nbg.load_bench("cora")
    assert not db.exists() or queries.counts(db)["networks"] == 0


def test_a_failing_dataset_stores_nothing_of_itself_and_a_rerun_completes_the_call(
    tmp_path, small_bench, monkeypatch
):
    path, _ = small_bench
    db = tmp_path / "w.duckdb"
    import warehouse.store as store

    original, calls = store.store_features, []

    def failing(con, features):  # the second data set's features fail to store
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(con, features)

    monkeypatch.setattr(store, "store_features", failing)
    monkeypatch.setattr(nbg, "load_bench", lambda name, **_: pickle.loads(path.read_bytes()))
    with pytest.raises(RuntimeError, match="disk full"):
        nbg.import_nas_bench_graph(db, ["cora", "citeseer"])
    studies = queries.networks(db)["study_id"].unique().to_list()
    assert studies == ["nas-bench-graph-cora"]  # the failed data set left nothing behind
    assert queries.counts(db)["networks"] == 40
    again = nbg.import_nas_bench_graph(db, ["cora", "citeseer"])
    assert [(r.inserted, r.already_stored) for r in again] == [(0, 40), (40, 0)]
    assert queries.counts(db)["networks"] == 80


def test_cli_imports_and_reports(tmp_path, small_bench, monkeypatch, capsys):
    from app.cli import main

    path, _ = small_bench
    db = tmp_path / "w.duckdb"
    args = ["import-nas-bench-graph", "--dataset", "cora", "--bench-file", str(path),
            "--trust-pickle", "--db", str(db)]  # fmt: skip
    monkeypatch.setattr(sys, "argv", ["sparsescope", *args])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "nas-bench-graph-cora: 40 architectures, 40 inserted" in out
    monkeypatch.setattr(sys, "argv", ["sparsescope", "import-nas-bench-graph", "--dataset", "x",
                                      "--db", str(db)])  # fmt: skip
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 1
    assert "valid ones" in capsys.readouterr().err
    assert json.loads(queries.studies(db).filter(pl.col("id") == "nas-bench-graph-cora")
                      .get_column("config")[0])["source"] == str(path)  # fmt: skip
