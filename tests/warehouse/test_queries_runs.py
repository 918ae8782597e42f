"""warehouse.queries.runs_page: filters, sort and pages computed by DuckDB, checked with polars."""

from __future__ import annotations

import networkx as nx
import polars as pl
import pytest

from warehouse import queries
from warehouse.queries import RunFilter
from warehouse.records import Metric, NetworkRecord, StudyRecord
from warehouse.store import store_records


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "runs.duckdb"
    for study in ("a", "b"):
        records = [
            NetworkRecord(
                name=f"{study}-{i}", graph=nx.path_graph(2 + i), cell=("gru", "tanh")[i % 2],
                metrics=[Metric(1, "test", "acc", 0.5 + i / 20)], features={"width": float(i % 4)},
            )
            for i in range(10)
        ]  # fmt: skip
        store_records(path, StudyRecord(id=study, kind="test"), records)
    return path


def test_pages_match_polars_on_the_whole_view(db):
    meta = queries.meta_dataset(db)
    page, total = queries.runs_page(
        db, studies=["a"], filters=[RunFilter("width", ">=", 1), RunFilter("cell", "=", "gru")],
        sort="test_acc", descending=True, limit=2, offset=1,
    )  # fmt: skip
    expected = meta.filter(
        (pl.col("study_id") == "a") & (pl.col("width") >= 1) & (pl.col("cell") == "gru")
    ).sort("test_acc", descending=True)
    assert total == expected.height == 2  # i = 2, 6
    assert page["name"].to_list() == expected["name"].to_list()[1:3] == ["a-2"]
    names, _ = queries.runs_page(db, filters=[RunFilter("name", "contains", "B-1")])
    assert names["name"].to_list() == ["b-1"]  # case-insensitive substring


def test_values_are_bound_never_spliced(db):
    page, total = queries.runs_page(db, filters=[RunFilter("name", "=", "a-1' OR '1'='1")])
    assert total == 0 and page.height == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sort": "nope; DROP TABLE networks"}, "not a column of meta_dataset"),
        ({"filters": [RunFilter("width", "LIKE", 1)]}, "Unknown filter operator"),
        ({"filters": [RunFilter("width", ">", "wide")]}, "must be a number, got 'wide'"),
        ({"limit": 0}, "'limit' parameter of runs_page"),
        ({"offset": -1}, "'offset' parameter of runs_page"),
    ],
)
def test_bad_input_is_refused_with_its_name(db, kwargs, message):
    with pytest.raises(ValueError, match=message):
        queries.runs_page(db, **kwargs)
    assert queries.counts(db)["networks"] == 20


def test_lineage_follows_parents_to_the_root(tmp_path):
    path = tmp_path / "lineage.duckdb"
    study = StudyRecord(id="prune", kind="test")
    root = NetworkRecord(name="dense", graph=nx.path_graph(3))
    root_id = root.network_id(study.id)
    child = NetworkRecord(name="pruned", graph=nx.path_graph(2), parent_id=root_id)
    child_id = child.network_id(study.id)
    grandchild = NetworkRecord(name="pruned-2", graph=nx.path_graph(2), parent_id=child_id,
                               generator_params={"m": 2})  # fmt: skip
    store_records(path, study, [root, child, grandchild])
    lineage = queries.network_lineage(path, network_id=grandchild.network_id(study.id))
    assert lineage["name"].to_list() == ["pruned-2", "pruned", "dense"]
    assert lineage["depth"].to_list() == [0, 1, 2]
    assert lineage["network_id"].to_list()[1:] == [child_id, root_id]
    gid = grandchild.network_id(study.id)
    assert queries.network_generator_params(path, network_id=gid) == {"m": 2}
    assert queries.network_generator_params(path, network_id=root_id) == {}
