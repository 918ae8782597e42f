"""Store any trained sparse model in the warehouse as its graph, and rebuild it from there.

A model becomes its neuron-level graph (:func:`models.to_graph.model_to_graph`: vertices are
neurons with their layer, role and bias; edges are the non-zero weights), stored with its
metrics and parameter counts like every other network; the graph-level facts needed to rebuild
it (architecture, activation, …) go to the network's attributes. :func:`load_model` reads the
graph back and :func:`models.to_graph.model_from_graph` turns it into a masked model that
computes the same function.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from torch import nn

from models.from_graph import model_from_graph
from models.sparsity import parameter_counts
from models.to_graph import model_to_graph
from warehouse import queries
from warehouse.records import Metric, NetworkRecord, StudyRecord
from warehouse.store import store_records

__all__ = ["load_model", "model_record", "store_model"]

_GRAPH_KEY = "graph"  # where graph-level attributes live in the network's attributes


def model_record(
    name: str,
    model: nn.Module,
    *,
    metrics: Sequence[Metric | tuple] = (),
    family: str | None = None,
    parent_id: str | None = None,
    seed: int | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> NetworkRecord:
    """The :class:`NetworkRecord` of ``model``: neuron graph with weights, counts, metrics."""
    graph = model_to_graph(model)
    graph_attributes = {k: v for k, v in graph.graph.items() if _is_scalar(v)}
    counts = parameter_counts(model)
    graph = graph.copy()
    graph.graph.clear()
    return NetworkRecord(
        name=name,
        graph=graph,
        family=family or str(graph_attributes.get("architecture", type(model).__name__)),
        seed=seed,
        num_parameters=counts.total,
        num_nonzero=counts.nonzero,
        parent_id=parent_id,
        metrics=metrics,
        attributes={**(attributes or {}), _GRAPH_KEY: graph_attributes},
    )


def store_model(
    db: str | os.PathLike | None,
    study: StudyRecord,
    name: str,
    model: nn.Module,
    *,
    metrics: Sequence[Metric | tuple] = (),
    parent_id: str | None = None,
    replace: bool = False,
) -> str:
    """Store ``model`` in ``study`` (one transaction); returns its network id."""
    record = model_record(name, model, metrics=metrics, parent_id=parent_id)
    store_records(db, study, [record], replace=replace)
    return record.network_id(study.id)


def load_model(db: str | os.PathLike | None, network_id: str) -> nn.Module:
    """Rebuild a stored model from its graph (weights, biases and masks included).

    Raises
    ------
    KeyError
        Unknown network id.
    ValueError
        The stored network is not a model's neuron graph (e.g. an imported random graph).
    """
    graph = queries.load_graph(db, network_id=network_id)
    graph.graph.update(queries.network_attributes(db, network_id=network_id).get(_GRAPH_KEY, {}))
    if "architecture" not in graph.graph:
        raise ValueError(
            f"Network {network_id!r} was not stored from a model (no architecture recorded); "
            "only networks stored with store_model can be rebuilt."
        )
    return model_from_graph(graph)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None
