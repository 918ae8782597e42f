"""A small recurrent pruning warehouse with KNOWN accuracies, built without training.

Real (untrained, tiny) base models are pruned with the paper's percentile rule, so every
stored mask and graph is real; only the accuracies are set by hand, so the safe compression
and the curves have known answers:

* base accuracy 1.0; without re-training the accuracy at ``p`` is 1.0 up to the seed's safe
  ``p`` (:data:`SAFE`), then 0.8; after one re-training epoch it is 1.0 again except at
  p = 50 (0.9);
* cells lstm and tanh, targets h2h and both, seeds 0 and 1, p = 10 … 50, budgets 0 and 1.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ingest.rnn_pruning import BaseModel, EpochMetrics, SweepRecord, SweepResult, build_model
from ingest.rnn_pruning_config import make_rnn_pruning_config
from ingest.rnn_pruning_records import run_frames
from models.pruning.percentile import prune_by_percentile
from models.pruning.recurrent import recurrent_targets
from warehouse.connection import writer
from warehouse.records import StudyRecord
from warehouse.store import store_frames

STUDY = StudyRecord(id="prune-rnn-test", kind="prune-rnn", config={})
CELLS, TARGETS, SEEDS = ("lstm", "tanh"), ("h2h", "both"), (0, 1)
PERCENTS, BUDGETS = (10.0, 20.0, 30.0, 40.0, 50.0), (0, 1)
SAFE = {("lstm", 0): 20.0, ("lstm", 1): 40.0, ("tanh", 0): 30.0, ("tanh", 1): 30.0}
CONFIG = make_rnn_pruning_config(
    "demo", hidden_sizes=(3, 3), embedding_dim=2, percents=PERCENTS, retrain_epochs=BUDGETS
)


def accuracy(cell: str, seed: int, percent: float, budget: int) -> float:
    """The hand-set test accuracy of a step."""
    if budget == 0:
        return 1.0 if percent <= SAFE[cell, seed] else 0.8
    return 0.9 if percent == 50.0 else 1.0


def build_rnn_pruning_db(path: Path) -> Path:
    """Store every (cell, seed, target) run into the warehouse at ``path``."""
    with writer(path) as con:
        for cell in CELLS:
            for seed in SEEDS:
                base = _base(cell, seed)
                for target in TARGETS:
                    frames = run_frames(STUDY.id, base, _sweep(base, target), CONFIG)
                    store_frames(con, STUDY, frames)
    return path


def _base(cell: str, seed: int) -> BaseModel:
    torch.manual_seed(seed)
    model = build_model(cell, CONFIG)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    history = [EpochMetrics(1, 0.1, 1.0, 0.1, 1.0)]
    return BaseModel(cell, seed, model, state, history)


def _sweep(base: BaseModel, target: str) -> SweepResult:
    model = build_model(base.cell, CONFIG)
    pruned_at = {
        t.name: torch.full(t.mask.shape, -1, dtype=torch.int32)
        for t in recurrent_targets(model, target)
    }
    records = []
    for step, percent in enumerate(PERCENTS, start=1):
        model.load_state_dict(base.state)
        prune_by_percentile(model, percent, target=target, scope=CONFIG.scope)
        targets = recurrent_targets(model, target)
        for t in targets:
            pruned_at[t.name][(~t.mask) & (pruned_at[t.name] < 0)] = step
        alive = sum(int(t.mask.sum()) for t in targets)
        total = sum(t.numel for t in targets)
        for budget in BUDGETS:
            records.append(
                SweepRecord(
                    target=target,
                    percent=percent,
                    step=step,
                    retrain_epochs=budget,
                    accuracy_before=accuracy(base.cell, base.seed, percent, 0),
                    accuracy_after=accuracy(base.cell, base.seed, percent, budget),
                    sparsity=(total - alive) / total,
                    surviving=alive,
                    thresholds={},
                )  # fmt: skip
            )
    return SweepResult(base.cell, target, records, pruned_at)
