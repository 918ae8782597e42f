import pytest

from warehouse import queries
from warehouse.errors import UnsafeQueryError, WarehouseError
from warehouse.sql_box import check_select, run_sql
from warehouse.store import store_records


@pytest.fixture
def filled(db, study, make_records):
    store_records(db, study, make_records(4))
    return db


def test_a_select_returns_rows(filled):
    result = run_sql(filled, "SELECT name FROM networks ORDER BY name -- trailing comment")
    assert result.frame["name"].to_list() == ["net-0", "net-1", "net-2", "net-3"]
    assert not result.truncated


def test_the_row_cap_truncates(filled):
    result = run_sql(filled, "SELECT * FROM range(100)", max_rows=10)
    assert result.frame.height == 10 and result.truncated


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE networks",
        "DELETE FROM networks",
        "INSERT INTO studies VALUES ('x', 'y', NULL, now())",
        "SELECT 1; DROP TABLE networks",
        "ATTACH 'other.duckdb'",
        "SET enable_external_access = true",
        "COPY networks TO 'out.csv'",
    ],
)
def test_anything_but_one_select_is_refused_and_nothing_changes(filled, sql):
    before = queries.counts(filled)
    with pytest.raises(UnsafeQueryError):
        run_sql(filled, sql)
    assert queries.counts(filled) == before


def test_files_and_extensions_are_out_of_reach_of_a_select(filled, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with pytest.raises(WarehouseError, match="disabled|Permission"):
        run_sql(filled, f"SELECT * FROM read_csv('{secret}')")


def test_a_long_query_is_interrupted(filled):
    with pytest.raises(WarehouseError, match="longer than"):
        run_sql(filled, "SELECT count(*) FROM range(10000000000) a", timeout=0.3)


def test_check_select_returns_the_statement():
    assert check_select("  SELECT 1 ; ") == "SELECT 1"
    with pytest.raises(UnsafeQueryError, match="parse"):
        check_select("SELEC 1")


def test_the_sql_box_runs_while_a_normal_reader_is_open_in_the_same_process(filled):
    """Two dashboard sessions in one process: one holds a reader, the other uses the SQL page."""
    from warehouse.connection import reader

    with reader(filled) as con:
        result = run_sql(filled, "SELECT count(*) AS n FROM networks")
        assert con.execute("SELECT count(*) FROM networks").fetchall() == [(4,)]
    assert result.frame["n"].to_list() == [4]


def test_a_normal_reader_opened_while_a_slow_sql_box_query_runs(filled):
    import threading
    import time

    from warehouse.connection import reader

    started = threading.Event()
    outcome: dict = {}

    def slow() -> None:
        started.set()
        try:
            run_sql(
                filled,
                "SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b",
                timeout=1.5,
            )
        except WarehouseError as exc:
            outcome["error"] = str(exc)

    thread = threading.Thread(target=slow)
    thread.start()
    started.wait()
    time.sleep(0.3)  # let the SQL box open its connection first (its query runs 1.5 s)
    try:
        assert queries.counts(filled)["networks"] == 4
        with reader(filled) as con:
            assert con.execute("SELECT count(*) FROM networks").fetchall() == [(4,)]
    finally:
        thread.join()
    assert "longer than" in outcome.get("error", "")


def test_values_polars_or_python_cannot_hold_come_back_as_text(filled):
    result = run_sql(
        filled,
        "SELECT 'infinity'::TIMESTAMP AS t, '-infinity'::DATE AS d, INTERVAL 3 DAY AS i,"
        " union_value(k := 1) AS u, [INTERVAL 1 HOUR] AS l, 1 AS a, 2 AS a, 0.5 AS x",
    )
    frame = result.frame
    assert frame.columns == ["t", "d", "i", "u", "l", "a", "a_1", "x"]
    assert frame.row(0) == ("infinity", "-infinity", "3 days", "1", "['01:00:00']", 1, 2, 0.5)


def test_a_result_that_cannot_be_converted_is_one_line(filled, monkeypatch):
    """A type a future DuckDB adds, which Polars cannot hold yet: one line, no traceback."""
    import duckdb
    import polars as pl

    def refuse(self, *args, **kwargs):
        raise pl.exceptions.ComputeError("cannot create series from Union\nwith details")

    monkeypatch.setattr(type(duckdb.connect().sql("SELECT 1")), "pl", refuse)
    with pytest.raises(WarehouseError) as caught:
        run_sql(filled, "SELECT 1 AS a")
    assert str(caught.value) == (
        "The query's result could not be converted: cannot create series from Union"
    )
