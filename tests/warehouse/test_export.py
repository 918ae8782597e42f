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
