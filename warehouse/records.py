"""What one stored network is, and how a batch of them becomes the warehouse's tables.

A :class:`NetworkRecord` is everything the warehouse keeps about one trained (or imported)
network: its graph, descriptive columns, per-epoch metrics, features and lineage.

Two hashes name a record. Its **id** hashes what determines the network — study, name, family,
cell, generator and its parameters, seed, lineage and the graph's structure (vertices, layers,
edges and their non-weight attributes) — never measurements: the same job trained twice gets
the same id. Its **content hash** covers everything (metrics, features, labels, attributes, edge
weights, parameter counts) and detects a changed result under a stored ``(study, name)``. The
content hash is the id older warehouses used (schema 0003 copies it into ``content_hash``).
:func:`records_to_frames` turns a batch into one Polars frame per table — the form both the
staging area (Parquet) and the bulk insert (Arrow) use.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import networkx as nx
import polars as pl

__all__ = [
    "TABLE_SCHEMAS",
    "Metric",
    "NetworkRecord",
    "StudyRecord",
    "pruning_run_id",
    "records_to_frames",
]


class Metric(NamedTuple):
    """One measurement: ``value`` of ``metric`` on ``split`` after ``epoch``."""

    epoch: int
    split: str
    metric: str
    value: float


@dataclass(frozen=True)
class StudyRecord:
    """A study: the run (or import) that produced a set of networks."""

    id: str
    kind: str
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class NetworkRecord:
    """One network as the warehouse stores it.

    Parameters
    ----------
    name:
        Unique within its study (e.g. the graph spec's key).
    graph:
        Its structure, or ``None`` for a row of an imported meta-dataset. Vertex attribute
        ``layer`` and edge attribute ``weight`` are stored when present; other vertex attributes
        go to the ``attributes`` JSON.
    metrics:
        Per-epoch measurements (:class:`Metric` or 4-tuples).
    features:
        Known features (e.g. imported from a meta-dataset, or computed).
    labels:
        Categorical facts (e.g. an imported meta-dataset's grouping column).
    parent_id:
        Id of the network this one derives from (a pruned net's unpruned parent).
    pruning_run_key, pruning_step:
        For a step network of a pruning run (:mod:`warehouse.pruning_store`): the run's key
        within the study and the step (1, 2, ...). Such a record has no graph of its own.
    """

    name: str
    graph: nx.Graph | None = None
    family: str = "graph"
    cell: str | None = None
    generator: str | None = None
    generator_params: Mapping[str, Any] | None = None
    seed: int | None = None
    num_parameters: int | None = None
    num_nonzero: int | None = None
    parent_id: str | None = None
    metrics: Sequence[Metric | tuple] = ()
    features: Mapping[str, float] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    pruning_run_key: str | None = None
    pruning_step: int | None = None

    def network_id(self, study_id: str) -> str:
        """Identity of this network within ``study_id`` (hex, 20 chars): what determines it,
        never what was measured on it."""
        return _identity_hash(study_id, self)

    def content_hash(self, study_id: str) -> str:
        """Hash of everything stored about this record (hex, 20 chars): changes when a
        measurement, feature, label, attribute or weight changes."""
        return _content_hash(study_id, self)

    @property
    def sparsity(self) -> float | None:
        """``1 - nonzero / parameters`` when both are known."""
        if self.num_parameters and self.num_nonzero is not None:
            return 1.0 - self.num_nonzero / self.num_parameters
        return None


# Column order and types of every table as written by records_to_frames.
TABLE_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "networks": {
        "id": pl.String,
        "study_id": pl.String,
        "name": pl.String,
        "family": pl.String,
        "cell": pl.String,
        "generator": pl.String,
        "generator_params": pl.String,
        "seed": pl.Int64,
        "has_graph": pl.Boolean,
        "directed": pl.Boolean,
        "num_nodes": pl.Int32,
        "num_edges": pl.Int32,
        "num_parameters": pl.Int64,
        "num_nonzero": pl.Int64,
        "sparsity": pl.Float64,
        "parent_id": pl.String,
        "attributes": pl.String,
        "content_hash": pl.String,
        "pruning_run": pl.String,
        "pruning_step": pl.Int32,
    },
    "nodes": {
        "network_id": pl.String,
        "node": pl.Int32,
        "label": pl.String,
        "layer": pl.Int32,
        "attributes": pl.String,
    },
    "edges": {
        "network_id": pl.String,
        "source": pl.Int32,
        "target": pl.Int32,
        "weight": pl.Float64,
        "attributes": pl.String,
    },
    "metrics": {
        "network_id": pl.String,
        "epoch": pl.Int32,
        "split": pl.String,
        "metric": pl.String,
        "value": pl.Float64,
    },
    "features": {"network_id": pl.String, "name": pl.String, "value": pl.Float64},
    "labels": {"network_id": pl.String, "name": pl.String, "value": pl.String},
}


def records_to_frames(study_id: str, records: Iterable[NetworkRecord]) -> dict[str, pl.DataFrame]:
    """One frame per table: networks, nodes, edges, metrics, features and labels.

    Duplicate records (same id) within the batch appear once: the first wins.
    """
    columns: dict[str, dict[str, list]] = {
        table: {column: [] for column in schema} for table, schema in TABLE_SCHEMAS.items()
    }
    seen: set[str] = set()
    for record in records:
        network_id = record.network_id(study_id)
        if network_id in seen:
            continue
        seen.add(network_id)
        _append_record(columns, study_id, network_id, record)
    return {
        table: pl.DataFrame(columns[table], schema=schema)
        for table, schema in TABLE_SCHEMAS.items()
    }


def _append_record(columns: dict, study_id: str, network_id: str, record: NetworkRecord) -> None:
    graph = record.graph
    ordered = _ordered_nodes(graph) if graph is not None else []
    index = {v: i for i, v in enumerate(ordered)}
    row = columns["networks"]
    for key, value in (
        ("id", network_id),
        ("study_id", study_id),
        ("name", record.name),
        ("family", record.family),
        ("cell", record.cell),
        ("generator", record.generator),
        ("generator_params", _json(record.generator_params)),
        ("seed", record.seed),
        ("has_graph", graph is not None),
        ("directed", bool(graph is not None and graph.is_directed())),
        ("num_nodes", len(ordered) if graph is not None else None),
        ("num_edges", graph.number_of_edges() if graph is not None else None),
        ("num_parameters", record.num_parameters),
        ("num_nonzero", record.num_nonzero),
        ("sparsity", record.sparsity),
        ("parent_id", record.parent_id),
        ("attributes", _json(record.attributes)),
        ("content_hash", record.content_hash(study_id)),
        ("pruning_run", _run_id_or_none(study_id, record.pruning_run_key)),
        ("pruning_step", _int_or_none(record.pruning_step)),
    ):
        row[key].append(value)
    if graph is not None:
        nodes = columns["nodes"]
        for i, v in enumerate(ordered):
            data = graph.nodes[v]
            extra = _node_extra(data)
            nodes["network_id"].append(network_id)
            nodes["node"].append(i)
            nodes["label"].append(str(v))
            nodes["layer"].append(_int_or_none(data.get("layer")))
            nodes["attributes"].append(_json(extra))
        edges = columns["edges"]
        for u, v, data in graph.edges(data=True):
            edges["network_id"].append(network_id)
            edges["source"].append(index[u])
            edges["target"].append(index[v])
            edges["weight"].append(_float_or_none(data.get("weight")))
            extra = _extra(data)
            edges["attributes"].append(_json(extra) if extra else None)
    metrics = columns["metrics"]
    for epoch, split, metric, value in record.metrics:
        metrics["network_id"].append(network_id)
        metrics["epoch"].append(int(epoch))
        metrics["split"].append(str(split))
        metrics["metric"].append(str(metric))
        metrics["value"].append(_float_or_none(value))
    features = columns["features"]
    for name, value in record.features.items():
        features["network_id"].append(network_id)
        features["name"].append(str(name))
        features["value"].append(_float_or_none(value))
    labels = columns["labels"]
    for name, value in record.labels.items():
        labels["network_id"].append(network_id)
        labels["name"].append(str(name))
        labels["value"].append(None if value is None else str(value))


def pruning_run_id(study_id: str, run_key: str) -> str:
    """Id of the pruning run ``run_key`` of ``study_id`` (hex, 20 chars), derived like network
    ids: the same run of the same study always gets the same id."""
    digest = hashlib.sha256(b"sparsescope-pruning-run-1")
    digest.update(json.dumps([study_id, run_key]).encode())
    return digest.hexdigest()[:20]


def _run_id_or_none(study_id: str, run_key: str | None) -> str | None:
    return None if run_key is None else pruning_run_id(study_id, run_key)


def _ordered_nodes(graph: nx.Graph) -> list[Hashable]:
    # Imported here: ``models`` imports torch, which readers of the warehouse (regress,
    # correlate, export, sql) must not pay for.
    from models.dag import vertex_sort_key

    return sorted(graph.nodes, key=vertex_sort_key)


def _set_up(study_id: str, record: NetworkRecord) -> dict[str, Any]:
    """What determines a network besides its graph: both hashes start from it."""
    return {
        "study": study_id,
        "name": record.name,
        "family": record.family,
        "cell": record.cell,
        "generator": record.generator,
        "params": record.generator_params,
        "seed": record.seed,
        "parent": record.parent_id,
    }  # a step's run key and step are in its name (unique in the study): not hashed apart


def _identity_hash(study_id: str, record: NetworkRecord) -> str:
    digest = hashlib.sha256(b"sparsescope-network-identity-1")
    digest.update(json.dumps(_set_up(study_id, record), sort_keys=True, default=str).encode())
    graph = record.graph
    if graph is not None:
        digest.update(b"directed" if graph.is_directed() else b"undirected")
        ordered = _ordered_nodes(graph)
        index = {v: i for i, v in enumerate(ordered)}
        digest.update(json.dumps([[str(v), graph.nodes[v].get("layer")] for v in ordered]).encode())
        edges = sorted((index[u], index[v], _json(_extra(d))) for u, v, d in graph.edges(data=True))
        if not graph.is_directed():
            edges = sorted((min(a, b), max(a, b), x) for a, b, x in edges)
        digest.update(json.dumps(edges).encode())
    return digest.hexdigest()[:20]


def _content_hash(study_id: str, record: NetworkRecord) -> str:
    # Unchanged since schema 0001, where it was the network id: old rows compare equal.
    digest = hashlib.sha256()
    header = {
        **_set_up(study_id, record),
        "parameters": record.num_parameters,
        "nonzero": record.num_nonzero,
        "attributes": record.attributes,
        "metrics": sorted(
            (int(e), str(s), str(m), _float_or_none(v)) for e, s, m, v in record.metrics
        ),
        "features": sorted((str(k), _float_or_none(v)) for k, v in record.features.items()),
        "labels": sorted((str(k), str(v)) for k, v in record.labels.items()),
    }
    digest.update(json.dumps(header, sort_keys=True, default=str).encode())
    graph = record.graph
    if graph is not None:
        digest.update(b"directed" if graph.is_directed() else b"undirected")
        ordered = _ordered_nodes(graph)
        index = {v: i for i, v in enumerate(ordered)}
        digest.update(json.dumps([[str(v), graph.nodes[v].get("layer")] for v in ordered]).encode())
        # Node attributes (besides layer) are part of the content. Hashed only when present, so
        # the ids of networks stored before this was hashed, none of which had any, stay put.
        node_extras = [[i, _node_extra(graph.nodes[v])] for i, v in enumerate(ordered)]
        node_extras = [pair for pair in node_extras if pair[1]]
        if node_extras:
            digest.update(b"node-attributes" + _json(node_extras).encode())
        edges = sorted(
            (index[u], index[v], _float_or_none(d.get("weight")), _json(_extra(d)))
            for u, v, d in graph.edges(data=True)
        )
        if not graph.is_directed():
            edges = sorted((min(a, b), max(a, b), w, x) for a, b, w, x in edges)
        digest.update(json.dumps(edges).encode())
    return digest.hexdigest()[:20]


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, default=str)


def _node_extra(node_data: Mapping[str, Any]) -> dict[str, Any]:
    """Vertex attributes other than ``layer`` that JSON can hold."""
    return {k: x for k, x in node_data.items() if k != "layer" and _is_jsonable(x)}


def _extra(edge_data: Mapping[str, Any]) -> dict[str, Any]:
    """Edge attributes other than ``weight`` that JSON can hold."""
    return {k: x for k, x in edge_data.items() if k != "weight" and _is_jsonable(x)}


def _is_jsonable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
