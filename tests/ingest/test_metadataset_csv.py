import pytest

from ingest.metadataset_csv import MetaDatasetError, import_metadataset, read_metadataset
from warehouse import queries

CSV = """cell,graph,layers,nodes,closeness var,test_acc,test_loss
tanh,ba-1,3,20,0.01,0.71,0.6
tanh,ba-2,4,25,0.02,0.74,0.5
gru,ws-1,5,30,0.03,0.92,0.2
"""


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "paper results.csv"
    path.write_text(CSV)
    return path


def test_columns_get_their_roles(csv_file):
    records = read_metadataset(
        csv_file, target="test_acc", group="cell", name_cols=["cell", "graph"],
        metric_cols=["test_loss"],
    )  # fmt: skip
    first = records[0]
    assert first.name == "tanh/ba-1"
    assert first.features == {"layers": 3.0, "nodes": 20.0, "closeness var": 0.01}
    assert {(m.metric, m.value) for m in first.metrics} == {("test_acc", 0.71), ("test_loss", 0.6)}
    assert first.labels == {"cell": "tanh"}


def test_import_lands_in_the_meta_dataset_and_is_idempotent(csv_file, tmp_path):
    db = tmp_path / "w.duckdb"
    kwargs = dict(target="test_acc", group="cell", metric_cols=["test_loss"])
    assert import_metadataset(db, csv_file, **kwargs).inserted == 3
    assert import_metadataset(db, csv_file, **kwargs).inserted == 0
    meta = queries.meta_dataset(db).sort("name")
    assert meta["study_id"].unique().to_list() == ["paper-results"]
    assert meta["test_acc"].to_list() == [0.71, 0.74, 0.92]
    assert meta["closeness var"].to_list() == [0.01, 0.02, 0.03]
    assert meta["cell"].to_list() == [None, None, None]  # base column: not set by an import
    assert meta["label_cell"].to_list() == ["tanh", "tanh", "gru"]


def test_missing_target_column_is_named(csv_file, tmp_path):
    with pytest.raises(MetaDatasetError, match="'accuracy'.*--target"):
        import_metadataset(tmp_path / "w.duckdb", csv_file, target="accuracy")
    assert not (tmp_path / "w.duckdb").exists()


def test_non_numeric_values_are_named_with_their_row(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("nodes,test_acc\n10,0.5\n12,oops\n")
    with pytest.raises(MetaDatasetError, match=r"'test_acc'.*row 3.*'oops'"):
        read_metadataset(path, target="test_acc")
    path.write_text("nodes,test_acc\n10,0.5\nmany,0.7\n14,0.8\n")
    with pytest.raises(MetaDatasetError, match=r"'nodes'.*row 3.*'many'"):
        read_metadataset(path, target="test_acc")


def test_name_columns_must_be_unique(csv_file):
    with pytest.raises(MetaDatasetError, match="uniquely"):
        read_metadataset(csv_file, target="test_acc", name_cols=["cell"])


def test_a_failed_import_keeps_what_was_stored(csv_file, tmp_path):
    db = tmp_path / "w.duckdb"
    import_metadataset(db, csv_file, target="test_acc")
    before = queries.counts(db)
    bad = tmp_path / "bad.csv"
    bad.write_text("nodes,test_acc\n10,0.5\n12,oops\n")
    with pytest.raises(MetaDatasetError):
        import_metadataset(db, bad, target="test_acc")
    assert queries.counts(db) == before


def _csv(tmp_path, text, name="m.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_numbers_with_leading_spaces_are_numbers(tmp_path):
    path = _csv(tmp_path, "width,depth,test_acc\n 1.5, 3,0.5\n 2.5,4 ,0.6\n")
    records = read_metadataset(path, target="test_acc")
    assert [r.features for r in records] == [
        {"width": 1.5, "depth": 3.0},
        {"width": 2.5, "depth": 4.0},
    ]
    assert all(not r.labels for r in records)


@pytest.mark.parametrize("text", ["Infinity", "-inf", "inf"])
def test_infinite_values_are_refused_with_their_row(tmp_path, text):
    path = _csv(tmp_path, f"width,test_acc\n1,0.5\n{text},0.6\n")
    with pytest.raises(MetaDatasetError, match=rf"column 'width'.*row 3 holds {text!r}.*infinite"):
        read_metadataset(path, target="test_acc")


def test_an_infinite_target_is_refused_with_its_row(tmp_path):
    path = _csv(tmp_path, "width,test_acc\n1,0.5\n2,Infinity\n")
    with pytest.raises(MetaDatasetError, match=r"column 'test_acc'.*row 3 holds 'Infinity'"):
        read_metadataset(path, target="test_acc")


def test_an_empty_header_cell_is_named(tmp_path):
    path = _csv(tmp_path, "width,,test_acc\n1,2,0.5\n")
    db = tmp_path / "w.duckdb"
    with pytest.raises(MetaDatasetError, match=r"m.csv: header cell 2 is empty") as caught:
        import_metadataset(db, path, target="test_acc")
    assert "\n" not in str(caught.value)
    assert not db.exists()


def test_duplicate_headers_are_named(tmp_path):
    path = _csv(tmp_path, "width,depth,width,test_acc\n1,2,3,0.5\n")
    with pytest.raises(MetaDatasetError, match=r"m.csv: the header repeats 'width'"):
        read_metadataset(path, target="test_acc")


def test_headers_equal_up_to_case_are_named(tmp_path):
    path = _csv(tmp_path, "Width,width,test_acc\n1,2,0.5\n")
    with pytest.raises(MetaDatasetError, match=r"'Width' and 'width' differ only in case"):
        read_metadataset(path, target="test_acc")


def test_a_directory_is_refused(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    _csv(folder, "width,test_acc\n1,0.5\n", name="a.csv")
    with pytest.raises(MetaDatasetError, match=r"results is a directory, not a CSV file"):
        import_metadataset(tmp_path / "w.duckdb", folder, target="test_acc")
