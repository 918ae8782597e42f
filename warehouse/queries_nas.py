"""Read queries of the architecture-search study: its candidates, one row each.

Read-only and short-lived like :mod:`warehouse.queries`; the values are bound as ``?``.
"""

from __future__ import annotations

import os

import polars as pl

from warehouse.connection import reader

__all__ = [
    "CANDIDATE_FAMILY",
    "RUN_FAMILY",
    "TABLE_RUN_FAMILY",
    "TABLE_STUDY_KIND",
    "nas_studies",
    "search_candidates",
    "table_search_runs",
]

Db = str | os.PathLike | None
CANDIDATE_FAMILY = "nas_cnn"  # family of a searched candidate (trained or predicted)
RUN_FAMILY = "nas_search_run"  # family of a search run's own record (no graph)
TABLE_RUN_FAMILY = "nas_table_search_run"  # one NAS-Bench-Graph table-search run (no graph)
TABLE_STUDY_KIND = "nas_table_search"

_TABLE_RUNS = """
SELECT n.study_id, n.name, n.generator AS strategy, n.seed,
       json_extract_string(s.config, '$.dataset') AS dataset,
       CAST(json_extract(n.attributes, '$.top_fraction') AS DOUBLE) AS top_fraction,
       CAST(json_extract(n.attributes, '$.budget') AS INTEGER) AS budget,
       CAST(json_extract(n.attributes, '$.curve') AS VARCHAR) AS curve
FROM networks n JOIN studies s ON s.id = n.study_id
WHERE n.family = ?
ORDER BY n.study_id, n.generator, n.seed
"""

_CANDIDATES = """
SELECT n.study_id, n.id AS network_id, n.name, n.seed,
       max(CASE WHEN l.name = 'strategy' THEN l.value END) AS strategy,
       max(CASE WHEN l.name = 'scored_by' THEN l.value END) AS scored_by,
       CAST(json_extract(n.attributes, '$.generation') AS INTEGER) AS generation,
       CAST(json_extract(n.attributes, '$.query') AS INTEGER) AS query,
       json_extract_string(n.attributes, '$.search_run') AS search_run,
       max(CASE WHEN m.split = 'validation' AND m.metric = 'acc' THEN m.value END)
           AS validation_acc,
       max(CASE WHEN m.split = 'validation' AND m.metric = 'predicted_acc' THEN m.value END)
           AS validation_predicted_acc,
       max(CASE WHEN m.split = 'test' AND m.metric = 'acc' THEN m.value END) AS test_acc
FROM networks n
LEFT JOIN labels l ON l.network_id = n.id
LEFT JOIN metrics m ON m.network_id = n.id
WHERE n.family = ? AND (? IS NULL OR n.study_id = ?)
GROUP BY n.study_id, n.id, n.name, n.seed, n.attributes
ORDER BY n.study_id, n.name
"""


def nas_studies(db: Db = None) -> list[str]:
    """Ids of the architecture-search studies, newest first."""
    with reader(db) as con:
        rows = con.execute(
            "SELECT id FROM studies WHERE kind = 'nas' ORDER BY created DESC, id"
        ).fetchall()
    return [row[0] for row in rows]


def search_candidates(db: Db = None, *, study: str | None = None) -> pl.DataFrame:
    """Every candidate of the search studies (or of ``study``), in search order per run.

    Columns: ``study_id``, ``network_id``, ``name``, ``seed``, ``strategy``, ``scored_by``
    (``measured`` / ``predicted``), ``generation``, ``query`` (trainings spent when its score
    was known), ``search_run``, ``validation_acc`` and ``test_acc`` (measured candidates only)
    and ``validation_predicted_acc`` (predicted candidates only).
    """
    with reader(db) as con:
        return con.sql(_CANDIDATES, params=[CANDIDATE_FAMILY, study, study]).pl()


def table_search_runs(db: Db = None) -> pl.DataFrame:
    """Every stored NAS-Bench-Graph table-search run (see :mod:`ingest.nas_table_curves`).

    Columns: ``study_id``, ``name``, ``strategy``, ``seed``, ``dataset``, ``top_fraction``,
    ``budget`` and ``curve`` (``[[query, best valid_perf], ...]`` at each improvement, JSON).
    """
    with reader(db) as con:
        return con.sql(_TABLE_RUNS, params=[TABLE_RUN_FAMILY]).pl()
