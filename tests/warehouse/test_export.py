import polars as pl
import pytest

from warehouse import queries
from warehouse.export import export_meta_dataset
from warehouse.store import store_records


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_export_writes_the_meta_dataset(db, study, make_records, tmp_path, fmt):
    store_records(db, study, make_records(5))
    out = tmp_path / f"meta.{fmt}"
    assert export_meta_dataset(db, out, format=fmt) == 5
    back = pl.read_csv(out) if fmt == "csv" else pl.read_parquet(out)
    expected = queries.meta_dataset(db)
    assert back["test_acc"].to_list() == expected["test_acc"].to_list()
    assert not list(tmp_path.glob(".*partial"))


def test_unknown_export_format(db, tmp_path):
    with pytest.raises(ValueError, match="'format' parameter"):
        export_meta_dataset(db, tmp_path / "x", format="xlsx")


def _stored(db, study, make_records):
    store_records(db, study, make_records(3))
    return db.read_bytes()


@pytest.mark.parametrize("spelling", ["same", "symlink", "relative"])
def test_export_refuses_to_overwrite_the_warehouse(
    db, study, make_records, tmp_path, monkeypatch, spelling
):
    original = _stored(db, study, make_records)
    if spelling == "same":
        out = db
    elif spelling == "symlink":
        out = tmp_path / "link.csv"
        out.symlink_to(db)
    else:
        monkeypatch.chdir(tmp_path)
        out = f"./sub/../{db.name}"
        (tmp_path / "sub").mkdir()
    with pytest.raises(ValueError, match="'out' parameter.*is the warehouse"):
        export_meta_dataset(db, out)
    assert db.read_bytes() == original
    assert queries.counts(db)["networks"] == 3
    assert not list(tmp_path.rglob("*.partial"))


def test_export_into_a_directory_writes_the_default_file_name(db, study, make_records, tmp_path):
    _stored(db, study, make_records)
    folder = tmp_path / "exports"
    folder.mkdir()
    assert export_meta_dataset(db, folder, format="parquet") == 3
    assert pl.read_parquet(folder / "meta_dataset.parquet").height == 3
    assert sorted(p.name for p in folder.iterdir()) == ["meta_dataset.parquet"]


def test_a_failed_export_leaves_no_partial_file(db, study, make_records, tmp_path):
    original = _stored(db, study, make_records)
    folder = tmp_path / "exports"
    (folder / "meta_dataset.csv").mkdir(parents=True)  # the target name is taken by a folder
    with pytest.raises(ValueError, match="meta_dataset.csv"):
        export_meta_dataset(db, folder)
    assert not list(tmp_path.rglob("*.partial"))
    assert db.read_bytes() == original
