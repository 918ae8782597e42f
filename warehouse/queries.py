"""Reading from the warehouse: each function opens a short-lived read-only connection.

Nothing here keeps a connection open, so a study can write between any two calls (DuckDB allows
one writer *or* many readers). Values are bound as ``?`` parameters; the only identifiers built
into SQL are table names from a fixed allow-list.
"""

from __future__ import annotations

import json
import os

import duckdb
import networkx as nx
import polars as pl

from warehouse.connection import reader

__all__ = [
    "counts",
    "feature_names",
    "metric_names",
    "graph_edge_arrays",
    "load_graph",
    "meta_dataset",
    "metrics_of",
    "network_attributes",
    "networks",
    "networks_missing_features",
    "studies",
]

Db = str | os.PathLike | None


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    return con.sql(sql, params=params or None).pl()


def studies(db: Db = None) -> pl.DataFrame:
    """Every study with its network count, newest first."""
    with reader(db) as con:
        return _frame(
            con,
            "SELECT s.id, s.kind, s.created, CAST(s.config AS VARCHAR) AS config,"
            " count(n.id) AS networks"
            " FROM studies s LEFT JOIN networks n ON n.study_id = s.id"
            " GROUP BY ALL ORDER BY s.created DESC, s.id",
        )


def counts(db: Db = None) -> dict[str, int]:
    """Row counts of the main tables (for the overview)."""
    tables = ("studies", "networks", "nodes", "edges", "metrics", "features")
    with reader(db) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}


def networks(db: Db = None, *, study: str | None = None) -> pl.DataFrame:
    """One row per network (summary columns), optionally of one study."""
    with reader(db) as con:
        return _frame(
            con,
            "SELECT * FROM network_summary WHERE ? IS NULL OR study_id = ? ORDER BY study_id, name",
            [study, study],
        )


# Import order: an imported meta-dataset's rows by their row number in the file (kept in the
# network's attributes), the rest by name in natural order ("row-2" before "row-10").
_IMPORT_ORDER = (
    "m.study_id, TRY_CAST(json_extract_string(n.attributes, '$.row') AS BIGINT) NULLS LAST,"
    " list_transform(regexp_extract_all(m.name, '[0-9]+|[^0-9]+'),"
    " lambda part: CASE WHEN regexp_full_match(part, '[0-9]+') THEN lpad(part, 24, '0')"
    " ELSE part END),"
    " m.name"
)


def meta_dataset(db: Db = None, *, study: str | None = None) -> pl.DataFrame:
    """The meta-dataset: one row per network, its features and final metrics.

    Rows come in import order (see ``_IMPORT_ORDER``): the paper's single train/test split
    depends on the order of the rows, so a meta-dataset imported from a CSV is read back in
    the file's order.
    """
    with reader(db) as con:
        return _frame(
            con,
            "SELECT m.* FROM meta_dataset m JOIN networks n ON n.id = m.network_id"
            f" WHERE ? IS NULL OR m.study_id = ? ORDER BY {_IMPORT_ORDER}",
            [study, study],
        )


def feature_names(db: Db = None) -> list[str]:
    """Names of all stored features, sorted."""
    with reader(db) as con:
        rows = con.execute("SELECT DISTINCT name FROM features ORDER BY name").fetchall()
    return [r[0] for r in rows]


def metric_names(db: Db = None) -> list[str]:
    """Column names of all final metrics (``split_metric``, or ``metric`` when unsplit), sorted."""
    with reader(db) as con:
        rows = con.execute("SELECT DISTINCT name FROM final_metrics ORDER BY name").fetchall()
    return [r[0] for r in rows]


def metrics_of(db: Db = None, *, network_id: str) -> pl.DataFrame:
    """All metrics of one network, by epoch."""
    with reader(db) as con:
        return _frame(
            con,
            "SELECT epoch, split, metric, value FROM metrics WHERE network_id = ?"
            " ORDER BY epoch, split, metric",
            [network_id],
        )


def networks_missing_features(db: Db, feature_names: list[str]) -> list[str]:
    """Ids of networks with a graph that lack at least one of ``feature_names``."""
    with reader(db) as con:
        rows = con.execute(
            "SELECT n.id FROM networks n WHERE n.has_graph AND (SELECT count(DISTINCT f.name)"
            " FROM features f WHERE f.network_id = n.id AND list_contains(?::VARCHAR[], f.name))"
            " < ? ORDER BY n.id",
            [feature_names, len(set(feature_names))],
        ).fetchall()
    return [r[0] for r in rows]


def graph_edge_arrays(db: Db, network_ids: list[str]) -> dict[str, tuple[int, bool, pl.DataFrame]]:
    """``{id: (num_nodes, directed, edges frame with source/target)}`` for many networks at once.

    This is the fast path for bulk feature extraction: integer edge arrays, no networkx objects.
    """
    if not network_ids:
        return {}
    with reader(db) as con:
        heads = con.execute(
            "SELECT id, num_nodes, directed FROM networks WHERE list_contains(?::VARCHAR[], id)",
            [network_ids],
        ).fetchall()
        edges = _frame(
            con,
            "SELECT network_id, source, target FROM edges"
            " WHERE list_contains(?::VARCHAR[], network_id)",
            [network_ids],
        )
    grouped = {key[0]: part for key, part in edges.group_by("network_id")}
    empty = pl.DataFrame(schema={"network_id": pl.String, "source": pl.Int32, "target": pl.Int32})
    return {
        network_id: (num_nodes, directed, grouped.get(network_id, empty))
        for network_id, num_nodes, directed in heads
    }


def network_attributes(db: Db = None, *, network_id: str) -> dict:
    """The ``attributes`` JSON of one network (``{}`` when unset); ``KeyError`` if unknown."""
    with reader(db) as con:
        rows = con.execute(
            "SELECT CAST(attributes AS VARCHAR) FROM networks WHERE id = ?", [network_id]
        ).fetchall()
    if not rows:
        raise KeyError(f"No network with id {network_id!r} in the warehouse.")
    return json.loads(rows[0][0]) if rows[0][0] else {}


def load_graph(db: Db = None, *, network_id: str) -> nx.DiGraph | nx.Graph:
    """One stored network as a networkx graph.

    Vertices carry their original ``label`` as id, ``layer`` and stored attributes; edges carry
    ``weight`` when stored. Raises ``KeyError`` for an unknown id.
    """
    with reader(db) as con:
        heads = con.execute(
            "SELECT directed, has_graph FROM networks WHERE id = ?", [network_id]
        ).fetchall()
        if not heads:
            raise KeyError(f"No network with id {network_id!r} in the warehouse.")
        nodes = con.execute(
            "SELECT node, label, layer, CAST(attributes AS VARCHAR) FROM nodes"
            " WHERE network_id = ? ORDER BY node",
            [network_id],
        ).fetchall()
        edges = con.execute(
            "SELECT source, target, weight, CAST(attributes AS VARCHAR) FROM edges"
            " WHERE network_id = ?",
            [network_id],
        ).fetchall()
    graph: nx.Graph = nx.DiGraph() if heads[0][0] else nx.Graph()
    labels = {}
    for node, label, layer, attributes in nodes:
        key = int(label) if label.lstrip("-").isdigit() else label
        labels[node] = key
        data = json.loads(attributes) if attributes else {}
        if layer is not None:
            data["layer"] = layer
        graph.add_node(key, **data)
    for source, target, weight, attributes in edges:
        data = json.loads(attributes) if attributes else {}
        if weight is not None:
            data["weight"] = weight
        graph.add_edge(labels[source], labels[target], **data)
    return graph
