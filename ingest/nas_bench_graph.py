"""Import NAS-Bench-Graph: 26,206 measured GNN architectures per data set, offline.

The PyPI package ``nas-bench-graph`` (Apache-2.0; optional extra ``nasbench``) ships one
pickled ``.bench`` file per data set: a dict from an architecture's hash to its
``valid_perf``, ``perf`` (test), ``latency`` and ``para`` (parameters, millions).

An architecture is a macro DAG of four computing nodes; node ``i`` (1-based) takes its one
input from ``link[i-1]`` (0 is the raw input, ``j`` the ``j``-th computing node), and every
node no other node reads feeds the output. There are 9 non-isomorphic link patterns
(:data:`LINK_PATTERNS`) and 9 operations (:data:`OPERATIONS`); proteins uses 5 of them. The
hash is ``link_index · 10⁴ + Σ op_index(i) · 10^(3-i)`` with op indices into
:data:`OPERATIONS` (base 10, for proteins as well) — :func:`decode_hash` inverts it, and the
package's own ``Arch.valid_hash`` agrees (tested).

Every architecture becomes a network: vertices ``0`` (op ``input``), ``1``–``4`` (their
operations) and ``5`` (``output``), stored with its four metrics, labels ``link`` and ``ops``,
the plain graph features (:func:`analytics.features.bulk_features`, computed once per link
pattern — they read structure only) and the labelled features of :data:`LABELLED_GROUPS`
(``nas_gnn``, :mod:`analytics.features.nas`, every vertex of width 1, the benchmark's hidden
size being shared by all nodes; ``nas_gnn_ops``, which operation sits where,
:mod:`analytics.features.nas_interactions`). One study per data set, all data sets of a call
in one transaction.

The files are pickles, which can run code when loaded: they are read only from the installed
package's own directory, unless ``path`` is given together with ``trust_pickle=True``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import polars as pl

__all__ = [
    "DATASETS",
    "LABELLED_GROUPS",
    "LINK_PATTERNS",
    "OPERATIONS",
    "NasBenchGraphError",
    "architecture_graph",
    "bench_table",
    "decode_hash",
    "import_nas_bench_graph",
    "load_bench",
]

DATASETS = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv",
            "proteins")  # fmt: skip
LINK_PATTERNS: tuple[tuple[int, int, int, int], ...] = (
    (0, 0, 0, 0), (0, 0, 0, 1), (0, 0, 1, 1), (0, 0, 1, 2), (0, 0, 1, 3),
    (0, 1, 1, 1), (0, 1, 1, 2), (0, 1, 2, 2), (0, 1, 2, 3),
)  # fmt: skip
OPERATIONS = ("gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip")
METRICS = ("valid_perf", "perf", "latency", "para")
# labelled feature groups stored for every architecture (analytics.features.nas, .nas_interactions)
LABELLED_GROUPS = ("nas_gnn", "nas_gnn_ops")
_PACKAGE = "nas_bench_graph"


class NasBenchGraphError(ValueError):
    """The benchmark cannot be read: unknown data set, missing package, untrusted file."""


def load_bench(
    dataset: str, *, path: str | os.PathLike | None = None, trust_pickle: bool = False
) -> dict[int, dict]:
    """The raw table of ``dataset``: architecture hash -> its four measurements.

    Parameters
    ----------
    path:
        A ``.bench`` file to read instead of the installed package's — only with
        ``trust_pickle=True``, since unpickling can run arbitrary code.

    Raises
    ------
    NasBenchGraphError
        Unknown data set (the message lists the valid ones), the package is not installed
        (install the ``nasbench`` extra), or a ``path`` without ``trust_pickle``.
    """
    _check_dataset(dataset)
    if path is None:
        spec = importlib.util.find_spec(_PACKAGE)
        if spec is None or spec.origin is None:
            raise NasBenchGraphError(
                "NAS-Bench-Graph is not installed: pip install -e '.[nasbench]' "
                "(the optional extra 'nasbench', package nas-bench-graph)."
            )
        file = Path(spec.origin).parent / "light" / f"{dataset}.bench"
    else:
        if not trust_pickle:
            raise NasBenchGraphError(
                f"{path}: .bench files are pickles, which can run arbitrary code when loaded; "
                "pass --trust-pickle (trust_pickle=True) only for a file you trust."
            )
        file = Path(path)
    if not file.is_file():
        raise NasBenchGraphError(f"{file}: no such benchmark file.")
    with file.open("rb") as handle:
        bench = pickle.load(handle)  # noqa: S301 - package file, or trusted explicitly
    if not isinstance(bench, dict) or not bench:
        raise NasBenchGraphError(f"{file}: not a NAS-Bench-Graph table (a non-empty dict).")
    return bench


def decode_hash(key: int) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """``(link, ops)`` of an architecture hash.

    >>> decode_hash(81234)
    ((0, 1, 2, 3), ('gcn', 'gin', 'cheb', 'sage'))
    """
    key = int(key)
    link_index, rest = divmod(key, 10_000)
    digits = [rest // 1000, rest // 100 % 10, rest // 10 % 10, rest % 10]
    if not 0 <= link_index < len(LINK_PATTERNS) or max(digits) >= len(OPERATIONS):
        raise NasBenchGraphError(f"{key} is not a NAS-Bench-Graph architecture hash.")
    return LINK_PATTERNS[link_index], tuple(OPERATIONS[d] for d in digits)


def architecture_graph(link: Sequence[int], ops: Sequence[str]) -> nx.DiGraph:
    """The labelled DAG of an architecture: 0 input, 1–4 its operations, 5 output."""
    graph = nx.DiGraph()
    graph.add_node(0, op="input", channels=1)
    for i, op in enumerate(ops, start=1):
        graph.add_node(i, op=op, channels=1)
    graph.add_node(len(ops) + 1, op="output", channels=1)
    graph.add_edges_from((source, i) for i, source in enumerate(link, start=1))
    readers = set(link)
    graph.add_edges_from((i, len(ops) + 1) for i in range(1, len(ops) + 1) if i not in readers)
    return graph


def bench_table(dataset: str, **load_options) -> pl.DataFrame:
    """The table of ``dataset``, one row per architecture, sorted by hash.

    Columns: ``hash``, ``link`` (index into :data:`LINK_PATTERNS`), ``op0``–``op3`` and the
    four measurements (Float64).
    """
    bench = load_bench(dataset, **load_options)
    keys = sorted(bench)
    decoded = [decode_hash(k) for k in keys]
    columns: dict[str, list] = {
        "hash": keys,
        "link": [k // 10_000 for k in keys],
        **{f"op{i}": [ops[i] for _, ops in decoded] for i in range(4)},
    }
    for metric in METRICS:
        columns[metric] = [float(bench[k][metric]) for k in keys]
    return pl.DataFrame(columns).with_columns(pl.col("hash", "link").cast(pl.Int64))


@dataclass(frozen=True)
class NasBenchImport:
    """What one data set's import stored."""

    dataset: str
    study: str
    architectures: int
    inserted: int
    already_stored: int


def import_nas_bench_graph(
    db: str | os.PathLike | None,
    datasets: Sequence[str] | str,
    *,
    path: str | os.PathLike | None = None,
    trust_pickle: bool = False,
    on_dataset: Callable[[str], None] | None = None,
) -> list[NasBenchImport]:
    """Store every architecture of ``datasets`` (``"all"`` for all nine), one transaction each.

    Each data set becomes study ``nas-bench-graph-<dataset>``, read and computed before its
    transaction opens and stored whole or not at all; re-importing stores nothing new (network
    ids are content hashes), so a call that fails part-way is completed by running it again.
    One data set at a time, because a prepared one holds ~2.7 GB (cora: 26,206 architectures,
    323 features each): all nine prepared before one transaction grew past 17 GB. ``path`` (a
    ``.bench`` file, with ``trust_pickle``) is allowed for a single data set only.
    """
    from warehouse.connection import writer
    from warehouse.records import StudyRecord
    from warehouse.store import store_features, store_frames

    names = list(DATASETS) if datasets == "all" else [datasets] if isinstance(datasets, str) \
        else list(datasets)  # fmt: skip
    for name in names:
        _check_dataset(name)
    if path is not None and len(names) != 1:
        raise NasBenchGraphError("A benchmark 'path' can only be given for one data set.")
    version = _package_version()
    results = []
    for name in names:  # read and compute a data set before its transaction opens
        table = bench_table(name, path=path, trust_pickle=trust_pickle)
        study = StudyRecord(
            id=f"nas-bench-graph-{name}",
            kind="import-nas-bench-graph",
            config={
                "dataset": name,
                "package_version": version,
                "source": "package" if path is None else str(path),
            },  # fmt: skip
        )
        frames = _frames(study.id, table)
        features = _features(table, frames["networks"].get_column("id"))
        if on_dataset is not None:
            on_dataset(name)
        with writer(db) as con:
            report = store_frames(con, study, frames)
            store_features(con, features)
        results.append(NasBenchImport(name, study.id, table.height, report.inserted,
                                      report.already_stored))  # fmt: skip
        del table, frames, features  # before the next data set is prepared
    return results


def _frames(study_id: str, table: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The warehouse frames of every architecture of ``table``, built column-wise.

    Equal to :func:`warehouse.records.records_to_frames` of the per-architecture
    :class:`~warehouse.records.NetworkRecord` (tested), except for the network id (a hash of
    study and architecture hash) and the content hash (of study, architecture hash and
    measurements), both computed here without building 26,206
    networkx graphs — the per-record path takes ~10 s per data set, this one well under one.
    """
    from warehouse.records import TABLE_SCHEMAS

    content = table.select(
        pl.concat_str(
            [pl.lit(study_id), *(pl.col(c).cast(pl.String) for c in ("hash", *METRICS))],
            separator="|",
        )  # fmt: skip
    ).to_series()
    digest = [hashlib.sha256(text.encode()).hexdigest()[:20] for text in content]
    # Identity: study and architecture (what determines the network); the measurements only
    # enter the content hash, as for every other network (warehouse.records).
    identity = [
        hashlib.sha256(f"{study_id}|{key}".encode()).hexdigest()[:20]
        for key in table.get_column("hash").cast(pl.String)
    ]
    base = table.with_columns(
        id=pl.Series(identity, dtype=pl.String), content_hash=pl.Series(digest, dtype=pl.String)
    )
    link_text = [",".join(map(str, link)) for link in LINK_PATTERNS]
    pattern_edges = [_pattern_edges(link) for link in LINK_PATTERNS]
    networks = base.select(
        id=pl.col("id"),
        study_id=pl.lit(study_id),
        name=pl.col("hash").cast(pl.String),
        family=pl.lit("gnn"),
        cell=pl.lit(None),
        generator=pl.lit("nas-bench-graph"),
        generator_params=pl.lit(None),
        seed=pl.lit(None),
        has_graph=pl.lit(True),
        directed=pl.lit(True),
        num_nodes=pl.lit(6),
        num_edges=pl.col("link").replace_strict(
            list(range(len(LINK_PATTERNS))), [len(e) for e in pattern_edges]
        ),
        num_parameters=pl.lit(None),
        num_nonzero=pl.lit(None),
        sparsity=pl.lit(None),
        parent_id=pl.lit(None),
        attributes=pl.lit("{}"),
        content_hash=pl.col("content_hash"),
        pruning_run=pl.lit(None),  # schema 0004: no pruning steps here
        pruning_step=pl.lit(None),
    )
    node_ops = base.select(
        "id", op=pl.concat_list(pl.lit("input"), "op0", "op1", "op2", "op3", pl.lit("output"))
    ).explode("op")
    nodes = node_ops.select(
        network_id=pl.col("id"),
        node=pl.int_range(pl.len()).over("id"),
        label=pl.int_range(pl.len()).over("id").cast(pl.String),
        layer=pl.lit(None),
        attributes=pl.concat_str(pl.lit('{"channels": 1, "op": "'), "op", pl.lit('"}')),
    )
    edge_table = pl.DataFrame(
        {"link": [i for i, edges in enumerate(pattern_edges) for _ in edges],
         "source": [u for edges in pattern_edges for u, _ in edges],
         "target": [v for edges in pattern_edges for _, v in edges]},
        schema={"link": pl.Int64, "source": pl.Int32, "target": pl.Int32},
    )  # fmt: skip
    edges = base.select("id", "link").join(
        edge_table, on="link", how="inner", maintain_order="left"
    )
    edges = edges.select(network_id="id", source="source", target="target",
                         weight=pl.lit(None), attributes=pl.lit(None))  # fmt: skip
    metrics = base.unpivot(index="id", on=list(METRICS), variable_name="metric")
    metrics = metrics.select(network_id="id", epoch=pl.lit(0), split=pl.lit(""), metric="metric",
                             value="value")  # fmt: skip
    labels = pl.concat([
        base.select(network_id="id", name=pl.lit("link"), value=pl.col("link").replace_strict(
            list(range(len(LINK_PATTERNS))), link_text)),
        base.select(network_id="id", name=pl.lit("ops"),
                    value=pl.concat_str("op0", "op1", "op2", "op3", separator=",")),
    ])  # fmt: skip
    features = pl.DataFrame(schema=TABLE_SCHEMAS["features"])
    frames = {"networks": networks, "nodes": nodes, "edges": edges, "metrics": metrics,
              "features": features, "labels": labels}  # fmt: skip
    return {name: frame.cast(TABLE_SCHEMAS[name]).select(list(TABLE_SCHEMAS[name]))
            for name, frame in frames.items()}  # fmt: skip


def _pattern_edges(link: Sequence[int]) -> list[tuple[int, int]]:
    """Arcs of a link pattern's graph, in the order networkx lists them."""
    return list(architecture_graph(link, ["skip"] * len(link)).edges)


def _features(table: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """Long ``(network_id, name, value)`` rows: plain features per link pattern, labelled ones."""
    from analytics.features import bulk_features
    from analytics.features.nas import LabelledDAG, labelled_features

    patterns = {i: architecture_graph(link, ["skip"] * 4) for i, link in enumerate(LINK_PATTERNS)}
    plain = bulk_features(patterns, n_jobs=1).rename({"key": "link"})
    plain = table.select("link").with_columns(network_id=ids).join(plain, on="link", how="left")
    plain = plain.drop("link")
    arcs = [_pattern_edges(link) for link in LINK_PATTERNS]
    ones = [1.0] * 6
    graphs = {
        i: LabelledDAG(("input", *ops, "output"), ones, arcs[link])
        for i, (link, *ops) in enumerate(table.select("link", "op0", "op1", "op2", "op3").rows())
    }
    labelled = [labelled_features(graphs, group=group).drop("key") for group in LABELLED_GROUPS]
    wide = pl.concat([plain, *labelled], how="horizontal")
    long = wide.unpivot(index="network_id", variable_name="name", value_name="value")
    return long.with_columns(pl.col("value").cast(pl.Float64)).filter(pl.col("value").is_not_nan())


def _check_dataset(dataset: object) -> None:
    if dataset not in DATASETS:
        raise NasBenchGraphError(
            f"Unknown NAS-Bench-Graph data set {dataset!r}; valid ones: {', '.join(DATASETS)} "
            "(or 'all')."
        )


def _package_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nas-bench-graph")
    except PackageNotFoundError:
        return None
