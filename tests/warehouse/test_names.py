"""Names are case-insensitive like SQL identifiers: a case-variant never hides another's data.

A study's networks (trained-like metrics, computed features) are stored first; then a CSV whose
column is a case-variant of one built-in feature or metric name is imported. The first study's
meta_dataset rows must be unchanged, no column is renamed by DuckDB (``X_1``), and no two
columns are equal up to case.
"""

from __future__ import annotations

import shutil

import networkx as nx
import polars as pl
import pytest

from analytics.features.registry import feature_names
from ingest.feature_landing import land_missing_features
from ingest.metadataset_csv import import_metadataset
from warehouse.errors import WarehouseError
from warehouse.queries import meta_dataset
from warehouse.records import Metric, NetworkRecord, StudyRecord
from warehouse.store import store_records

# The final-metric columns the priors study writes (split_metric, or metric when unsplit).
STUDY_METRICS = ("train_loss", "train_acc", "test_loss", "test_acc", "wall_time")
STUDY = StudyRecord(id="trained", kind="priors")


def _trained_records() -> list[NetworkRecord]:
    records = []
    for i in range(4):
        graph = nx.gnp_random_graph(8 + i, 0.4, seed=i, directed=False)
        records.append(
            NetworkRecord(
                name=f"net-{i}",
                graph=graph,
                cell="tanh",
                seed=i,
                metrics=[
                    Metric(1, "train", "loss", 1.0 - i / 10),
                    Metric(1, "train", "acc", 0.6 + i / 20),
                    Metric(1, "test", "loss", 1.1 - i / 10),
                    Metric(1, "test", "acc", 0.55 + i / 20),
                    Metric(1, "", "wall_time", 3.0 + i),
                ],
            )
        )
    return records


@pytest.fixture(scope="module")
def trained_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("names") / "base.duckdb"
    store_records(path, STUDY, _trained_records())
    land_missing_features(path, n_jobs=1)
    return path


def _variant(name: str) -> str:
    """A spelling of ``name`` that differs only in case (``test_acc`` -> ``Test_Acc``)."""
    variant = "_".join(part[:1].upper() + part[1:] for part in name.split("_"))
    assert variant != name and variant.lower() == name
    return variant


def _import_variant(db, tmp_path, column: str, *, as_target: bool) -> None:
    csv = tmp_path / "variant.csv"
    target = column if as_target else "score"
    other = "score" if as_target else column
    pl.DataFrame({target: [0.1, 0.2, 0.3], other: [5.0, 6.0, 7.0]}).write_csv(csv)
    import_metadataset(db, csv, target=target, study="variant")


def _assert_unharmed(db, before: pl.DataFrame) -> None:
    after = meta_dataset(db)
    lowered = [c.lower() for c in after.columns]
    assert len(set(lowered)) == len(lowered), after.columns
    assert not [c for c in after.columns if c.endswith("_1")], after.columns
    assert set(before.columns) <= set(after.columns)
    mine = after.filter(pl.col("study_id") == STUDY.id).select(before.columns)
    assert mine.equals(before), "the first study's values changed"


@pytest.mark.parametrize("name", [*feature_names(), *STUDY_METRICS])
def test_a_case_variant_column_leaves_stored_studies_unchanged(trained_db, tmp_path, name):
    db = tmp_path / "w.duckdb"
    shutil.copy(trained_db, db)
    before = meta_dataset(db).filter(pl.col("study_id") == STUDY.id)
    assert name in before.columns
    _import_variant(db, tmp_path, _variant(name), as_target=False)
    _assert_unharmed(db, before)
    imported = meta_dataset(db).filter(pl.col("study_id") == "variant")
    # names are stored in lower case: the variant's values land under the built-in spelling,
    # and a feature spelled like a metric is exposed with a prefix (metrics win)
    column = f"feature_{name}" if name in STUDY_METRICS else name
    assert imported.get_column(column).to_list() == [5.0, 6.0, 7.0]


@pytest.mark.parametrize("name", STUDY_METRICS)
def test_a_case_variant_target_leaves_stored_studies_unchanged(trained_db, tmp_path, name):
    db = tmp_path / "w.duckdb"
    shutil.copy(trained_db, db)
    before = meta_dataset(db).filter(pl.col("study_id") == STUDY.id)
    _import_variant(db, tmp_path, _variant(name), as_target=True)
    _assert_unharmed(db, before)
    imported = meta_dataset(db).filter(pl.col("study_id") == "variant")
    assert imported.get_column(name).to_list() == [0.1, 0.2, 0.3]


def test_names_equal_up_to_case_in_one_batch_are_refused(db):
    record = NetworkRecord(name="x", features={"Density": 1.0, "density": 2.0})
    with pytest.raises(WarehouseError, match="'Density'.*'density'|'density'.*'Density'"):
        store_records(db, StudyRecord(id="s", kind="test"), [record])


def test_a_label_spelled_like_a_base_column_gets_a_prefix_not_a_rename(db):
    record = NetworkRecord(name="x", labels={"Cell": "lstm"}, features={"NAME": 1.0})
    store_records(db, StudyRecord(id="s", kind="test"), [record])
    frame = meta_dataset(db)
    assert frame.get_column("cell").to_list() == [None]
    assert frame.get_column("label_cell").to_list() == ["lstm"]
    assert frame.get_column("feature_name").to_list() == [1.0]
    assert not [c for c in frame.columns if c.endswith("_1")]


def test_legacy_spellings_stored_before_normalisation_never_collide(db):
    """A warehouse written by older code can hold ``Density`` and ``density``: both show."""
    from warehouse.connection import writer
    from warehouse.store import refresh_meta_dataset_view

    store_records(db, StudyRecord(id="s", kind="test"), [NetworkRecord(name="x")])
    with writer(db) as con:
        network_id = con.execute("SELECT id FROM networks").fetchall()[0][0]
        con.execute(
            "INSERT INTO features VALUES (?, 'Density', 1.0), (?, 'density', 2.0)",
            [network_id, network_id],
        )
        refresh_meta_dataset_view(con)
    frame = meta_dataset(db)
    assert frame.get_column("density").to_list() == [2.0]
    assert frame.get_column("feature_Density").to_list() == [1.0]


def test_an_empty_name_is_refused_before_it_reaches_sql(db):
    record = NetworkRecord(name="x", features={"": 1.0})
    with pytest.raises(WarehouseError, match=r"features.name values must be 1-64"):
        store_records(db, StudyRecord(id="s", kind="test"), [record])


def test_the_variants_cover_every_feature_the_warehouse_computes():
    from analytics.features import FEATURE_NAMES

    assert set(FEATURE_NAMES) <= set(feature_names())
