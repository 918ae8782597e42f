"""Reading the ``meta_dataset`` view of a NAS-Bench-Graph-sized warehouse: PIVOT vs FILTER.

    python benchmarks/bench_meta_dataset_view.py [--networks 26206] [--features 323] [--rounds 2]

Fills a fresh warehouse (the project's schema, :func:`warehouse.connection.writer`) with
``--networks`` networks of one study, ``--features`` features each (``feat_000`` …, random
values) and two final metrics, then times ``SELECT * FROM meta_dataset`` — what
:func:`warehouse.queries.meta_dataset` and so ``regress`` and ``correlate`` read — under two
definitions of the view over the same tables, alternately, best of ``--rounds``:

* **today's**, made by :func:`warehouse.store.refresh_meta_dataset_view` (one ``PIVOT`` per
  long table);
* **the baseline**, the view as it was until 2 December 2026: one ``max(value) FILTER (WHERE
  name = …)`` aggregate per column (the SQL of that version, kept below as
  :func:`_filter_view_sql`).

Both must return the same frame (the script fails otherwise). The load average is printed
before and after; only the ratio within one run counts.

Measured 2 December 2026, 10:28-10:35 UTC (``--rounds 2``, best of two; load average 1.1
before, 2.8 after — a helper's tests running), 26,206 networks x 323 features (8.5 M feature
rows), DuckDB 2.0.1: today's view **2.36 s**, the baseline **118.07 s** (50x), identical frames.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import polars as pl

from warehouse.connection import reader, writer
from warehouse.store import (
    _ident,
    _literal,
    _names,
    _view_columns,
    refresh_meta_dataset_view,
)


def fill(db: Path, networks: int, features: int) -> None:
    """One study of ``networks`` networks with ``features`` features and two metrics each."""
    with writer(db) as con:
        con.execute("INSERT INTO studies (id, kind) VALUES ('bench', 'import')")
        con.execute(
            "INSERT INTO networks (id, study_id, name, family, has_graph)"
            " SELECT 'net-' || i, 'bench', 'row-' || i, 'graph', false FROM range(?) t(i)",
            [networks],
        )
        con.execute(
            "INSERT INTO features SELECT 'net-' || i, 'feat_' || lpad(f::VARCHAR, 3, '0'),"
            " random() FROM range(?) t(i), range(?) u(f)",
            [networks, features],
        )
        con.execute(
            "INSERT INTO metrics SELECT 'net-' || i, 0, s, 'perf', random()"
            " FROM range(?) t(i), (VALUES ('valid'), ('test')) v(s)",
            [networks],
        )
        refresh_meta_dataset_view(con)


def _filter_view_sql(con) -> str:
    """The baseline: the view's SQL before 2 December 2026 (one FILTER aggregate per name)."""
    metric_columns, label_columns, feature_columns = _view_columns(
        _names(con, "SELECT DISTINCT name FROM final_metrics"),
        _names(con, "SELECT DISTINCT name FROM labels"),
        _names(con, "SELECT DISTINCT name FROM features"),
    )

    def select(columns):
        return "".join(
            f", max(value) FILTER (WHERE name = {_literal(n)}) AS {_ident(c)}" for n, c in columns
        )

    outer = (
        "".join(f", l.{_ident(c)}" for _, c in label_columns)
        + "".join(f", f.{_ident(c)}" for _, c in feature_columns)
        + "".join(f", m.{_ident(c)}" for _, c in metric_columns)
    )
    return f"""
        SELECT n.id AS network_id, n.study_id, n.name, n.family, n.cell, n.generator, n.seed,
               n.num_nodes, n.num_edges, n.sparsity, n.parent_id{outer}
        FROM networks n
        LEFT JOIN (SELECT network_id{select(label_columns)} FROM labels GROUP BY network_id) l
               ON l.network_id = n.id
        LEFT JOIN (SELECT network_id{select(feature_columns)} FROM features GROUP BY network_id) f
               ON f.network_id = n.id
        LEFT JOIN (SELECT network_id{select(metric_columns)} FROM final_metrics
                   GROUP BY network_id) m
               ON m.network_id = n.id
        """


def timed(db: Path, sql: str) -> tuple[float, pl.DataFrame]:
    with reader(db) as con:
        start = time.perf_counter()
        frame = con.sql(sql).pl()
        return time.perf_counter() - start, frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--networks", type=int, default=26_206)
    parser.add_argument("--features", type=int, default=323)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        start = time.perf_counter()
        fill(db, args.networks, args.features)
        print(
            f"filled {args.networks:,} networks x {args.features} features"
            f" in {time.perf_counter() - start:.1f} s"
        )
        with reader(db) as con:
            baseline_sql = _filter_view_sql(con)
        order = " ORDER BY network_id"
        best = {"pivot": float("inf"), "filter": float("inf")}
        for _ in range(args.rounds):
            seconds, today = timed(db, "SELECT * FROM meta_dataset" + order)
            best["pivot"] = min(best["pivot"], seconds)
            seconds, before = timed(db, f"SELECT * FROM ({baseline_sql})" + order)
            best["filter"] = min(best["filter"], seconds)
            if not today.equals(before):
                raise SystemExit("the two views returned different frames")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"today (PIVOT): {best['pivot']:.2f} s; baseline (FILTER): {best['filter']:.2f} s;"
          f" {best['filter'] / best['pivot']:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
