"""Reading from the warehouse: each function opens a short-lived read-only connection.

Nothing here keeps a connection open, so a study can write between any two calls (DuckDB allows
one writer *or* many readers). Values are bound as ``?`` parameters; the only identifiers built
into SQL are table names from a fixed allow-list and, for the runs table, column names checked
against the meta_dataset view's own columns.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import networkx as nx
import polars as pl

from warehouse.connection import reader

__all__ = [
    "MAX_RUNS_PAGE",
    "RUN_FILTER_OPERATORS",
    "RunFilter",
    "counts",
    "feature_names",
    "metric_names",
    "graph_edge_arrays",
    "load_graph",
    "meta_dataset",
    "metrics_of",
    "network_attributes",
    "networks",
    "meta_dataset_columns",
    "network_generator_params",
    "network_lineage",
    "networks_missing_features",
    "runs_page",
    "step_networks_with_features",
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


def step_networks_with_features(db: Db) -> list[str]:
    """Ids of pruning-step networks that have features already (their cheap set, at least)."""
    with reader(db) as con:
        rows = con.execute(
            "SELECT n.id FROM networks n WHERE n.pruning_step IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM features f WHERE f.network_id = n.id) ORDER BY n.id"
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
            "SELECT network_id, source, target FROM network_edges"
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
    ``weight`` when stored. A pruning run's step network is its base's graph minus the
    connections pruned at or before its step (views ``network_nodes`` / ``network_edges``).
    Raises ``KeyError`` for an unknown id.
    """
    with reader(db) as con:
        heads = con.execute(
            "SELECT directed, has_graph FROM networks WHERE id = ?", [network_id]
        ).fetchall()
        if not heads:
            raise KeyError(f"No network with id {network_id!r} in the warehouse.")
        nodes = con.execute(
            "SELECT node, label, layer, CAST(attributes AS VARCHAR) FROM network_nodes"
            " WHERE network_id = ? ORDER BY node",
            [network_id],
        ).fetchall()
        edges = con.execute(
            "SELECT source, target, weight, CAST(attributes AS VARCHAR) FROM network_edges"
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


# --- the runs table: filtered, sorted, paginated pages of the meta-dataset ------------------

# Comparison operators a runs-table filter may use; "contains" is a case-insensitive substring.
RUN_FILTER_OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "contains")
# The most rows one page of the runs table may ask for.
MAX_RUNS_PAGE = 5_000


@dataclass(frozen=True)
class RunFilter:
    """One condition on a column of the meta-dataset: ``column operator value``.

    ``value`` is compared as a number on numeric columns and as text otherwise.
    """

    column: str
    operator: str
    value: str | float


def meta_dataset_columns(db: Db = None) -> dict[str, str]:
    """``{column: DuckDB type}`` of the meta_dataset view, in view order."""
    with reader(db) as con:
        rows = con.execute("DESCRIBE meta_dataset").fetchall()
    return {name: kind for name, kind, *_ in rows}


def runs_page(
    db: Db = None,
    *,
    studies: Sequence[str] | None = None,
    filters: Sequence[RunFilter] = (),
    sort: str | None = None,
    descending: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[pl.DataFrame, int]:
    """One page of meta-dataset rows, filtered and sorted inside DuckDB.

    Only ``limit`` rows ever leave the database, so a table over 10,000 networks costs one
    page. Column names are checked against the view's columns (then quoted); every value is
    bound as a ``?`` parameter.

    Parameters
    ----------
    studies:
        Keep networks of these studies; ``None`` keeps all.
    filters:
        Conditions, all of which a row must meet.
    sort:
        Column to order by (missing values last); ties and ``None`` order by study and name.
    limit, offset:
        The page: at most ``limit`` rows (1 to :data:`MAX_RUNS_PAGE`) after skipping ``offset``.

    Returns
    -------
    (polars.DataFrame, int)
        The page and the number of rows matching the filters.

    Raises
    ------
    ValueError
        An unknown column or operator, a non-numeric value for a numeric column, or a bad page.
    """
    if not 1 <= limit <= MAX_RUNS_PAGE:
        raise ValueError(f"The 'limit' parameter of runs_page must be in [1, {MAX_RUNS_PAGE}]; "
                         f"got {limit!r}.")  # fmt: skip
    if offset < 0:
        raise ValueError(f"The 'offset' parameter of runs_page must be >= 0; got {offset!r}.")
    columns = meta_dataset_columns(db)
    where, params = ["TRUE"], []
    if studies is not None:
        where.append("list_contains(?::VARCHAR[], study_id)")
        params.append(list(studies))
    for condition in filters:
        sql, value = _filter_sql(condition, columns)
        where.append(sql)
        params.append(value)
    order = "study_id, name, network_id"
    if sort is not None:
        _require_column(sort, columns, "sort")
        order = f"{_quote(sort)} {'DESC' if descending else 'ASC'} NULLS LAST, {order}"
    condition = " AND ".join(where)
    with reader(db) as con:
        total = con.execute(
            f"SELECT count(*) FROM meta_dataset WHERE {condition}", params
        ).fetchall()[0][0]
        page = _frame(
            con,
            f"SELECT * FROM meta_dataset WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
    return page, total


def network_lineage(db: Db = None, *, network_id: str) -> pl.DataFrame:
    """The chain of parents of one network, itself first (``depth`` 0), its root last.

    Columns ``depth, network_id, study_id, name``; a parent that is not stored ends the chain
    with its id and a null name.
    """
    with reader(db) as con:
        return _frame(
            con,
            "WITH RECURSIVE chain(depth, id) AS ("
            " SELECT 0, ? UNION ALL"
            " SELECT c.depth + 1, n.parent_id FROM chain c JOIN networks n ON n.id = c.id"
            " WHERE n.parent_id IS NOT NULL AND c.depth < 100)"
            " SELECT c.depth, c.id AS network_id, n.study_id, n.name"
            " FROM chain c LEFT JOIN networks n ON n.id = c.id ORDER BY c.depth",
            [network_id],
        )


def network_generator_params(db: Db = None, *, network_id: str) -> dict:
    """The ``generator_params`` JSON of one network (``{}`` when unset); ``KeyError`` if unknown."""
    with reader(db) as con:
        rows = con.execute(
            "SELECT CAST(generator_params AS VARCHAR) FROM networks WHERE id = ?", [network_id]
        ).fetchall()
    if not rows:
        raise KeyError(f"No network with id {network_id!r} in the warehouse.")
    return json.loads(rows[0][0]) if rows[0][0] else {}


def _require_column(column: str, columns: dict[str, str], parameter: str) -> None:
    if column not in columns:
        raise ValueError(
            f"The {parameter!r} column {column!r} is not a column of meta_dataset; "
            f"columns: {list(columns)}."
        )


def _filter_sql(condition: RunFilter, columns: dict[str, str]) -> tuple[str, object]:
    """``(SQL with one ?, the bound value)`` of one allow-listed condition."""
    _require_column(condition.column, columns, "filter")
    if condition.operator not in RUN_FILTER_OPERATORS:
        raise ValueError(
            f"Unknown filter operator {condition.operator!r}; operators: {RUN_FILTER_OPERATORS}."
        )
    column = _quote(condition.column)
    if condition.operator == "contains":
        return f"CAST({column} AS VARCHAR) ILIKE '%' || ? || '%'", str(condition.value)
    if _is_numeric(columns[condition.column]):
        try:
            value: object = float(condition.value)
        except (TypeError, ValueError):
            raise ValueError(
                f"Column {condition.column!r} is numeric; the filter value must be a number, "
                f"got {condition.value!r}."
            ) from None
        return f"{column} {condition.operator} ?::DOUBLE", value
    return f"CAST({column} AS VARCHAR) {condition.operator} ?", str(condition.value)


def _is_numeric(duckdb_type: str) -> bool:
    kind = duckdb_type.upper()
    return kind.startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL", "HUGEINT", "UHUGEINT")) or (
        "INT" in kind and not kind.startswith("INTERVAL")
    )


def _quote(identifier: str) -> str:
    """Quote an identifier that was already checked against the view's columns."""
    return '"' + identifier.replace('"', '""') + '"'
