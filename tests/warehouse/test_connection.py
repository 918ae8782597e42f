import re
import subprocess
import sys
import textwrap

import pytest

from warehouse.connection import open_connection, reader, resolve_db_path
from warehouse.errors import NotAWarehouseError, WarehouseLockedError, WarehouseMissingError


def test_db_path_resolution_order(monkeypatch, tmp_path):
    monkeypatch.delenv("SPARSESCOPE_DB", raising=False)
    assert resolve_db_path(None).name == "sparsescope.duckdb"
    monkeypatch.setenv("SPARSESCOPE_DB", str(tmp_path / "env.duckdb"))
    assert resolve_db_path(None) == tmp_path / "env.duckdb"
    assert resolve_db_path(tmp_path / "flag.duckdb") == tmp_path / "flag.duckdb"


def test_a_file_that_is_not_duckdb_is_named_and_left_alone(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("these are my notes, not a database\n")
    with pytest.raises(NotAWarehouseError, match="notes.duckdb"):
        open_connection(path, read_only=False)
    assert path.read_text() == "these are my notes, not a database\n"


def test_reading_a_missing_warehouse_says_how_to_create_one(tmp_path):
    with (
        pytest.raises(WarehouseMissingError, match="sparsescope init"),
        reader(tmp_path / "x.duckdb"),
    ):
        pass
    assert not (tmp_path / "x.duckdb").exists()


def test_a_warehouse_locked_by_another_process_gives_a_clear_error(tmp_path):
    path = tmp_path / "locked.duckdb"
    open_connection(path, read_only=False).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time, duckdb
            con = duckdb.connect({str(path)!r})
            print("holding", flush=True)
            sys.stdin.readline()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseLockedError, match="locked by another process") as caught:
            open_connection(path, read_only=True, lock_timeout=0.3)
        # The holder whole: its program's path (dots and all) and its PID, not "(/root/)".
        message = str(caught.value)
        assert re.search(rf"another process \(/\S+ \(PID {holder.pid}\)\)", message), message
        with pytest.raises(WarehouseLockedError, match="locked"):
            open_connection(path, read_only=False, lock_timeout=0.3)
    finally:
        holder.communicate("\n", timeout=20)
    open_connection(path, read_only=True).close()  # free again once the holder is gone


def test_driver_errors_become_warehouse_errors_naming_the_file(tmp_path):
    from warehouse.connection import writer
    from warehouse.errors import WarehouseError

    path = tmp_path / "w.duckdb"
    with pytest.raises(WarehouseError, match=r"Reading from the warehouse .*w\.duckdb failed"):
        open_connection(path, read_only=False).close()
        with reader(path) as con:
            con.execute("SELECT no_such_column FROM networks").fetchall()
    with pytest.raises(WarehouseError, match="Writing to"), writer(path) as con:
        con.execute("INSERT INTO studies (id, kind) VALUES ('a', 'b')")
        con.execute("INSERT INTO studies (id, kind) VALUES ('a', 'b')")  # duplicate key
    with reader(path) as con:
        assert con.execute("SELECT count(*) FROM studies").fetchall() == [(0,)]  # rolled back
