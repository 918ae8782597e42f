"""How one recurrent pruning run becomes warehouse records (the shared pruning-run storage).

A run is one base model (per cell and seed) pruned with one target (``i2h`` / ``h2h`` /
``both``) by :func:`ingest.rnn_pruning.prune_sweep`. It is stored as the design of issues #9
and #10 says (:mod:`warehouse.pruning_store`):

* the **base network**: the base model's neuron graph (hidden-to-hidden edges ``recurrent``)
  with its training history as metrics — stored once, shared by the three targets' runs;
* the **run**: every prunable connection of the base once. A connection is a *neuron pair*
  (the graph's edge); an LSTM / GRU pair is pruned when the last of its gate weights is
  (:func:`run_connections`), the step at which each gate was pruned is kept in the
  connection's ``attributes`` (``{"gates": {"i": 3, "f": null, ...}}``);
* one **step network** per (p, re-training epochs). Re-training keeps the masks, so the
  budgets of a p share one graph; as the store wants distinct step numbers within a run,
  the ``B`` budgets of the ``k``-th p (1-based) get steps ``B(k-1)+1 … B(k-1)+B`` and a
  connection pruned at the ``k``-th p has ``pruned_at_step = B(k-1)+1``
  (:func:`step_number`), so every budget's graph is the p's surviving connections.
  Metrics: ``test acc_before`` (right after pruning the base) and ``test acc`` (after the
  re-training epochs; equal for 0). Attributes: ``percent``, ``retrain_epochs`` and
  ``weight_sparsity`` (pruned share of the target's *weights*; the network's ``sparsity``
  column is the pruned share of its neuron-pair connections).
"""

from __future__ import annotations

import json

import polars as pl

from ingest.rnn_pruning import BaseModel, SweepResult, connection_frame, surviving_graph
from ingest.rnn_pruning_config import RNNPruningConfig
from warehouse.pruning_store import PruningRunRecord, base_node_index, pruning_frames
from warehouse.records import Metric, NetworkRecord

__all__ = [
    "FAMILY",
    "METHOD",
    "base_name",
    "base_record",
    "run_connections",
    "run_frames",
    "run_key",
    "step_name",
    "step_number",
]

FAMILY = "recurrent"
METHOD = "percentile"  # the paper's rule: p-th percentile of a layer's chosen |weights|


def base_name(cell: str, seed: int) -> str:
    """Name of the base network of ``cell`` and ``seed``, e.g. ``lstm/s0/base``."""
    return f"{cell}/s{seed}/base"


def run_key(cell: str, seed: int, target: str) -> str:
    """Key of the run pruning that base with ``target``, e.g. ``lstm/s0/h2h``."""
    return f"{cell}/s{seed}/{target}"


def step_name(cell: str, seed: int, target: str, percent: float, retrain_epochs: int) -> str:
    """Name of one step network, e.g. ``lstm/s0/h2h/p70/e1``."""
    return f"{run_key(cell, seed, target)}/p{percent:g}/e{retrain_epochs}"


def step_number(percent_index: int, budget_index: int, budgets: int) -> int:
    """The ``pruning_step`` of the ``budget_index``-th (0-based) of ``budgets`` re-training
    budgets at the ``percent_index``-th p (1-based); its connections were pruned at
    ``step_number(percent_index, 0, budgets)``.

    >>> [step_number(k, j, 3) for k in (1, 2) for j in range(3)]
    [1, 2, 3, 4, 5, 6]
    """
    return budgets * (percent_index - 1) + 1 + budget_index


def base_record(base: BaseModel) -> NetworkRecord:
    """The base model as an ordinary network: its neuron graph and training history."""
    graph = surviving_graph(base.model)
    graph.graph.clear()  # cell and architecture live in the record's columns
    metrics = []
    for m in base.history:
        metrics += [
            Metric(m.epoch, "train", "loss", m.train_loss),
            Metric(m.epoch, "train", "acc", m.train_accuracy),
            Metric(m.epoch, "test", "loss", m.test_loss),
            Metric(m.epoch, "test", "acc", m.test_accuracy),
        ]
    parameters = sum(p.numel() for p in base.model.parameters())
    return NetworkRecord(
        name=base_name(base.cell, base.seed), graph=graph, family=FAMILY, cell=base.cell,
        seed=base.seed, num_parameters=parameters, num_nonzero=_nonzero(base),
        metrics=metrics, attributes={"role": "base", "epochs": len(base.history)},
    )  # fmt: skip


def run_connections(
    base: BaseModel, sweep: SweepResult, record: NetworkRecord, budgets: int
) -> pl.DataFrame:
    """One row per neuron-pair connection of the swept matrices: the base graph's node indices,
    the base's edge weight, the step at which its last gate weight was pruned (NULL: some
    gate weight survives every step) and, for gated cells, every gate's step in
    ``attributes``."""
    weights = connection_frame(base.model, sweep.pruned_at)
    sizes = [layer.hidden_size for layer in base.model.body.layers]
    first_unit = [base.model.body.input_size + sum(sizes[:k]) for k in range(len(sizes))]
    # a layer's i2h sources are the previous layer's units (layer 0: the embedding dimensions,
    # the graph's first vertices)
    previous = [0, *first_unit[:-1]]
    offsets = pl.DataFrame({"layer": range(len(sizes)), "first": first_unit, "prev": previous})
    never = pl.col("pruned_at_step") < 0
    weights = weights.join(offsets, on="layer").with_columns(
        target_vertex=pl.col("first") + pl.col("unit"),
        source_vertex=pl.when(pl.col("matrix") == "h2h")
        .then(pl.col("first"))
        .otherwise(pl.col("prev"))
        + pl.col("source"),
        step=pl.when(never).then(None).otherwise(budgets * (pl.col("pruned_at_step") - 1) + 1),
    )
    pairs = weights.group_by("source_vertex", "target_vertex", maintain_order=True).agg(
        pl.col("step").max().alias("last"),
        never.any().alias("survives"),
        pl.col("gate"),
        pl.col("step").alias("gate_steps"),
    )
    index = base_node_index(record)
    edges = record.graph.edges
    gated = base.model.body.layers[0].gates > 1
    rows = {"source": [], "target": [], "weight": [], "pruned_at_step": [], "attributes": []}
    for source, target, last, survives, gates, steps in pairs.iter_rows():
        rows["source"].append(index[source])
        rows["target"].append(index[target])
        rows["weight"].append(edges[source, target]["weight"])
        rows["pruned_at_step"].append(None if survives else last)
        rows["attributes"].append(
            json.dumps({"gates": dict(zip(gates, steps, strict=True))}) if gated else None
        )
    return pl.DataFrame(
        rows,
        schema={"source": pl.Int32, "target": pl.Int32, "weight": pl.Float64,
                "pruned_at_step": pl.Int32, "attributes": pl.String},
    )  # fmt: skip


def run_frames(
    study_id: str, base: BaseModel, sweep: SweepResult, config: RNNPruningConfig
) -> dict[str, pl.DataFrame]:
    """The table frames of one run: base, run row, connections and its step networks."""
    base_net = base_record(base)
    budgets = sorted({r.retrain_epochs for r in sweep.records})
    connections = run_connections(base, sweep, base_net, len(budgets))
    run = PruningRunRecord(
        run_key=run_key(base.cell, base.seed, sweep.target), base_name=base_net.name,
        method=METHOD, connections=connections, target=sweep.target, granularity="weights",
        seed=base.seed,
        attributes={"scope": config.scope, "percents": list(config.percents),
                    "retrain_epochs": list(config.retrain_epochs)},
    )  # fmt: skip
    base_id = base_net.network_id(study_id)
    pruned_weights_total = sum(int(t.numel()) for t in sweep.pruned_at.values())
    steps = []
    for r in sweep.records:
        pruned = pruned_weights_total - r.surviving
        steps.append(
            NetworkRecord(
                name=step_name(base.cell, base.seed, r.target, r.percent, r.retrain_epochs),
                family=FAMILY,
                cell=base.cell,
                seed=base.seed,
                parent_id=base_id,
                num_parameters=base_net.num_parameters,
                num_nonzero=base_net.num_nonzero - pruned,
                metrics=[
                    Metric(0, "test", "acc_before", r.accuracy_before),
                    Metric(r.retrain_epochs, "test", "acc", r.accuracy_after),
                ],
                attributes={
                    "percent": r.percent,
                    "percent_index": r.step,
                    "retrain_epochs": r.retrain_epochs,
                    "weight_sparsity": r.sparsity,
                    "target": r.target,
                },
                pruning_step=step_number(r.step, budgets.index(r.retrain_epochs), len(budgets)),
            )  # fmt: skip
        )
    return pruning_frames(study_id, base_net, run, steps)


def _nonzero(base: BaseModel) -> int:
    return sum(int((p.detach() != 0).sum()) for p in base.model.parameters())
