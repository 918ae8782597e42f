import json
from pathlib import Path

import duckdb
import pytest

from warehouse.connection import open_connection, reader
from warehouse.errors import NotAWarehouseError, SchemaVersionError
from warehouse.migrations import current_version, latest_version, migrate

SNAPSHOT = Path(__file__).with_name("schema_snapshot.json")


def _schema(con) -> dict:
    columns = con.execute(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    schema: dict = {}
    for table, column, dtype, nullable in columns:
        schema.setdefault(table, []).append([column, dtype, nullable])
    return schema


def test_migrations_on_an_empty_file_reproduce_the_committed_schema(tmp_path):
    con = open_connection(tmp_path / "w.duckdb", read_only=False)
    try:
        assert current_version(con) == latest_version()
        assert _schema(con) == json.loads(SNAPSHOT.read_text())
    finally:
        con.close()


def test_migrate_is_idempotent_and_keeps_data(tmp_path):
    path = tmp_path / "w.duckdb"
    con = open_connection(path, read_only=False)
    con.execute("INSERT INTO studies (id, kind) VALUES ('keep', 'test')")
    con.close()
    con = open_connection(path, read_only=False)
    try:
        assert migrate(con) == latest_version()
        assert con.execute("SELECT id FROM studies").fetchall() == [("keep",)]
        versions = con.execute("SELECT version FROM schema_version").fetchall()
        assert versions == [(v,) for v in range(1, latest_version() + 1)]
    finally:
        con.close()


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "w.duckdb"
    open_connection(path, read_only=False).close()
    raw = duckdb.connect(str(path))
    raw.execute("INSERT INTO schema_version (version, name) VALUES (999, 'future')")
    raw.close()
    with pytest.raises(SchemaVersionError, match="newer"):
        open_connection(path, read_only=False)


def test_a_reader_meeting_an_old_schema_is_told_what_to_run(tmp_path):
    path = tmp_path / "old.duckdb"
    duckdb.connect(str(path)).close()  # an empty DuckDB file: version 0
    with pytest.raises(SchemaVersionError, match="sparsescope init"), reader(path):
        pass


def test_upgrading_an_old_file_keeps_its_data(tmp_path):
    path = tmp_path / "v1.duckdb"
    raw = duckdb.connect(str(path))
    assert migrate(raw, target=1) == 1
    raw.execute("INSERT INTO studies (id, kind) VALUES ('old', 'import')")
    raw.execute(
        "INSERT INTO networks (id, study_id, name, family, num_nodes, num_edges)"
        " VALUES ('n1', 'old', 'g', 'graph', 2, 1)"
    )
    raw.execute("INSERT INTO edges (network_id, source, target, weight) VALUES ('n1', 0, 1, 0.5)")
    raw.close()
    with pytest.raises(SchemaVersionError, match="sparsescope init"), reader(path):
        pass  # readers never migrate: they say what to run
    con = open_connection(path, read_only=False)  # what `sparsescope init` does
    try:
        assert current_version(con) == latest_version()
        assert con.execute("SELECT source, target, weight, attributes FROM edges").fetchall() == [
            (0, 1, 0.5, None)
        ]
        assert _schema(con) == json.loads(SNAPSHOT.read_text())
    finally:
        con.close()


def test_a_failed_init_on_another_programs_duckdb_file_leaves_it_as_it_was(tmp_path):
    path = tmp_path / "theirs.duckdb"
    raw = duckdb.connect(str(path))
    raw.execute("CREATE TABLE networks (address VARCHAR)")
    raw.execute("INSERT INTO networks VALUES ('10.0.0.0/8')")
    raw.close()
    with pytest.raises(NotAWarehouseError, match=r"theirs.duckdb is not a sparsescope warehouse"):
        open_connection(path, read_only=False)
    raw = duckdb.connect(str(path), read_only=True)
    try:
        tables = raw.execute(
            "SELECT table_name FROM information_schema.tables ORDER BY 1"
        ).fetchall()
        assert tables == [("networks",)]
        assert raw.execute("SELECT * FROM networks").fetchall() == [("10.0.0.0/8",)]
    finally:
        raw.close()


def test_a_version_2_warehouse_upgrades_to_network_identity_keeping_every_row(tmp_path):
    """A file as the code before schema 0003 wrote it (ids = content hashes, no content_hash
    column) upgrades with every row kept, and a resumed study neither crashes nor duplicates."""
    import polars as pl

    from tests.warehouse.conftest import make_records
    from warehouse.records import Metric, StudyRecord, records_to_frames
    from warehouse.store import store_frames, store_records

    path = tmp_path / "v2.duckdb"
    study = StudyRecord(id="old", kind="priors")
    records = make_records(3)
    frames = records_to_frames(study.id, records)
    old_ids = {r.name: r.content_hash(study.id) for r in records}  # the ids of that code
    remap = pl.col("network_id").replace({r.network_id(study.id): old_ids[r.name] for r in records})
    frames = {
        "networks": frames["networks"]
        .with_columns(pl.col("name").replace(old_ids).alias("id"))
        .drop("content_hash", "pruning_run", "pruning_step"),
        **{t: f.with_columns(remap) for t, f in frames.items() if t != "networks"},
    }
    raw = duckdb.connect(str(path))
    assert migrate(raw, target=2) == 2
    raw.execute("INSERT INTO studies (id, kind) VALUES ('old', 'priors')")
    for table, frame in frames.items():
        raw.register("rows", frame.to_arrow())
        raw.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows")
        raw.unregister("rows")
    tables = ("studies", "networks", "nodes", "edges", "metrics", "features")
    before = {t: raw.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    raw.close()

    con = open_connection(path, read_only=False)  # what `sparsescope init` does
    try:
        assert current_version(con) == latest_version() >= 3
        assert con.execute("SELECT count(*) FROM networks WHERE content_hash = id").fetchall() == [
            (3,)
        ]
        for table in tables:
            rows = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            if table == "networks":
                # without the later columns: content_hash (0003), pruning_run/_step (0004)
                rows = [row[:-3] for row in rows]
            assert rows == before[table], table
    finally:
        con.close()
    # The same networks again (a resumed study, a re-import): recognised, nothing inserted.
    report = store_records(path, study, records)
    assert (report.inserted, report.already_stored) == (0, 3)
    # The same job trained once more: kept out by the driver's rule, refused otherwise.
    again = make_records(1)[0]
    again.metrics = [Metric(1, "", "wall_time", 3.0)]
    with open_connection(path, read_only=False) as con:
        report = store_frames(con, study, records_to_frames(study.id, [again]), keep_stored=True)
    assert report.skipped == 1
    with open_connection(path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM networks").fetchall() == [(3,)]


def test_a_version_3_warehouse_upgrades_to_pruning_runs_keeping_every_row(tmp_path):
    """0004 adds the pruning tables, two networks columns and three views; every row of a
    schema-3 file stays, old networks are no pruning steps, and their graphs read the same."""
    import networkx as nx

    from tests.warehouse.conftest import make_records
    from warehouse.queries import load_graph
    from warehouse.records import StudyRecord, records_to_frames

    path = tmp_path / "v3.duckdb"
    study = StudyRecord(id="old", kind="priors")
    records = make_records(3)
    frames = records_to_frames(study.id, records)
    frames["networks"] = frames["networks"].drop("pruning_run", "pruning_step")
    raw = duckdb.connect(str(path))
    assert migrate(raw, target=3) == 3
    raw.execute("INSERT INTO studies (id, kind) VALUES ('old', 'priors')")
    for table, frame in frames.items():
        raw.register("rows", frame.to_arrow())
        raw.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows")
        raw.unregister("rows")
    tables = ("studies", "nodes", "edges", "metrics", "features", "labels")
    before = {t: raw.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    networks_before = raw.execute("SELECT * FROM networks ORDER BY id").fetchall()
    raw.close()
    con = open_connection(path, read_only=False)
    try:
        assert current_version(con) == 4
        assert {
            t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables
        } == before
        after = con.execute(
            "SELECT * EXCLUDE (pruning_run, pruning_step) FROM networks ORDER BY id"
        ).fetchall()
        assert after == networks_before
        assert con.execute(
            "SELECT count(*) FROM networks"
            " WHERE pruning_run IS NOT NULL OR pruning_step IS NOT NULL"
        ).fetchall() == [(0,)]
        assert (
            con.execute("SELECT count(*) FROM network_edges").fetchall()
            == con.execute("SELECT count(*) FROM edges").fetchall()
        )
        assert con.execute("SELECT count(*) FROM pruning_steps").fetchall() == [(0,)]
        assert _schema(con) == json.loads(SNAPSHOT.read_text())
    finally:
        con.close()
    for record in records:
        loaded = load_graph(path, network_id=record.network_id(study.id))
        assert sorted(map(sorted, loaded.edges)) == sorted(map(sorted, record.graph.edges))
        assert nx.utils.nodes_equal(loaded.nodes, record.graph.nodes)
