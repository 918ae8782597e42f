"""One run of the recurrent pruning study (paper, section 4.2): pure functions a study job calls.

* :func:`load_rnn_data` — the encoded Reber train / test splits (generated, or given frames);
* :func:`train_base_model` — embedding → recurrent layers → linear, trained with Adam until
  ``base_epochs`` or the base accuracy on the training split; :func:`save_base_model` /
  :func:`load_base_model` keep it as a state dict file;
* :func:`prune_sweep` — for one target, every ``p`` applied to the **trained base model**
  (not chained), then re-training from that pruned model: one chain of
  ``max(retrain_epochs)`` epochs per ``p``, recorded after each budget in ``retrain_epochs``
  (0 = right after pruning). Accuracies are on the test split, which no step trains on.

The masks at ``p`` do not depend on re-training (re-training keeps them), and thresholds
only grow with ``p`` on the same base weights, so the masks are nested: a sweep's connections
are stored once, each with the step (1-based index of ``p``) at which it was pruned
(:attr:`SweepResult.pruned_at`, :func:`connection_frame`). :func:`surviving_graph` is the
neuron graph of the surviving connections, hidden-to-hidden edges marked ``recurrent``.

Nothing here touches the warehouse; everything is reproducible from ``seed``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import networkx as nx
import polars as pl
import torch

from ingest.reber_dataset import make_reber_dataset
from ingest.reber_encoding import PAD_ID, VOCAB_SIZE, Encoded, encode, sequence_batches
from ingest.rnn_pruning_config import RNNPruningConfig
from models.masked_recurrent import MaskedRecurrent
from models.pruning.percentile import prune_by_percentile
from models.pruning.recurrent import gate_blocks, recurrent_layers, recurrent_targets
from models.sequence_classifier import SequenceClassifier
from models.to_graph import model_to_graph
from models.training import evaluate, make_optimizer, train_epoch

__all__ = [
    "BaseModel",
    "EpochMetrics",
    "RNNData",
    "SweepRecord",
    "SweepResult",
    "build_model",
    "connection_frame",
    "load_base_model",
    "load_rnn_data",
    "prune_sweep",
    "save_base_model",
    "surviving_graph",
    "train_base_model",
]


@dataclass(frozen=True)
class RNNData:
    """Encoded splits: ``(tokens (n, time), lengths (n,), labels (n,))`` each."""

    train: Encoded
    test: Encoded

    @property
    def majority_rate(self) -> float:
        """Share of the test split's most frequent label (what a constant guess scores)."""
        labels = self.test[2]
        return float(torch.bincount(labels).max()) / len(labels)


@dataclass(frozen=True)
class EpochMetrics:
    """Loss and accuracy on both splits after one training epoch."""

    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float


@dataclass
class BaseModel:
    """A trained base model, its CPU state dict and its training history."""

    cell: str
    seed: int
    model: SequenceClassifier
    state: dict[str, torch.Tensor]
    history: list[EpochMetrics]

    @property
    def test_accuracy(self) -> float:
        return self.history[-1].test_accuracy


@dataclass(frozen=True)
class SweepRecord:
    """One (target, p, re-training budget) of a sweep; accuracies on the test split."""

    target: str
    percent: float
    step: int  # 1-based index of percent in the sweep
    retrain_epochs: int
    accuracy_before: float  # right after pruning the base model
    accuracy_after: float  # after retrain_epochs epochs (= before for 0)
    sparsity: float  # pruned fraction of the target's weights
    surviving: int  # surviving weights of the target
    thresholds: dict[str, float] = field(repr=False)
    graph: nx.DiGraph | None = field(default=None, repr=False)


@dataclass
class SweepResult:
    """All records of a sweep, and the step at which every target weight was pruned."""

    cell: str
    target: str
    records: list[SweepRecord]
    pruned_at: dict[str, torch.Tensor]  # per matrix, int32: step pruned, -1 = never


def load_rnn_data(
    config: RNNPruningConfig,
    *,
    seed: int = 0,
    frames: tuple[pl.DataFrame, pl.DataFrame] | None = None,
) -> RNNData:
    """Encode the (train, test) frames (``string``, ``valid``), generated from ``seed`` if None."""
    if frames is None:
        data = make_reber_dataset(
            config.sequences, seed=seed, negatives=config.negatives,
            test_fraction=config.test_fraction, min_length=config.min_length,
            max_length=config.max_length,
        )  # fmt: skip
        frames = (data.train, data.test)
    parts = []
    for frame in frames:
        tokens, lengths = encode(frame.get_column("string").to_list())
        labels = frame.get_column("valid").cast(pl.Int64).to_torch().to(torch.int64)
        parts.append((tokens.to(config.device), lengths, labels.to(config.device)))
    return RNNData(parts[0], parts[1])


def build_model(cell: str, config: RNNPruningConfig) -> SequenceClassifier:
    """Embedding of the character codes → masked recurrent layers → linear readout (2 classes)."""
    body = MaskedRecurrent(cell, config.embedding_dim, list(config.hidden_sizes))
    model = SequenceClassifier(body, VOCAB_SIZE, config.embedding_dim, 2, padding_idx=PAD_ID)
    return model.to(config.device)


def train_base_model(
    cell: str,
    seed: int,
    data: RNNData,
    config: RNNPruningConfig,
    *,
    on_epoch: Callable[[EpochMetrics], None] | None = None,
) -> BaseModel:
    """Train the base model of ``cell``: ``base_epochs`` epochs or until the base accuracy.

    ``on_epoch`` is called after every epoch (progress). The stop looks at the training
    split's accuracy (``config.base_train_accuracy``), never at the test split.
    """
    torch.manual_seed(_seed(seed, cell, "init"))
    model = build_model(cell, config)
    optimizer = make_optimizer(model, config.learning_rate)
    order = torch.Generator().manual_seed(_seed(seed, cell, "order"))
    history = []
    for epoch in range(1, config.base_epochs + 1):
        metrics = _train_one_epoch(model, optimizer, order, data, config, epoch)
        history.append(metrics)
        if on_epoch is not None:
            on_epoch(metrics)
        target = config.base_train_accuracy
        if target is not None and metrics.train_accuracy >= target:
            break
    return BaseModel(cell, seed, model, _cpu_state(model), history)


def save_base_model(base: BaseModel, path: str | Path, config: RNNPruningConfig) -> Path:
    """Write the base model's state dict, cell, seed, history and config to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "cell": base.cell,
        "seed": base.seed,
        "config": asdict(config),
        "history": [asdict(m) for m in base.history],
        "state": base.state,
    }
    temporary = path.with_name(path.name + ".partial")
    torch.save(payload, temporary)
    temporary.replace(path)  # a crash never leaves a half-written model behind
    return path


def load_base_model(path: str | Path, config: RNNPruningConfig) -> BaseModel:
    """Read a :func:`save_base_model` file and rebuild the model.

    Raises
    ------
    ValueError
        If the file's model shape (hidden sizes, embedding) differs from ``config``'s.
    """
    payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    saved = payload["config"]
    if tuple(saved["hidden_sizes"]) != config.hidden_sizes or (
        saved["embedding_dim"] != config.embedding_dim
    ):
        raise ValueError(
            f"The base model in {path} has hidden sizes {tuple(saved['hidden_sizes'])} and "
            f"embedding {saved['embedding_dim']}; the config asks for {config.hidden_sizes} "
            f"and {config.embedding_dim}."
        )
    model = build_model(payload["cell"], config)
    model.load_state_dict(payload["state"])
    history = [EpochMetrics(**m) for m in payload["history"]]
    return BaseModel(payload["cell"], payload["seed"], model, payload["state"], history)


def prune_sweep(
    base_state: dict[str, torch.Tensor],
    cell: str,
    target: str,
    percents: Sequence[float],
    data: RNNData,
    config: RNNPruningConfig,
    *,
    retrain_epochs: Sequence[int] = (0, 1, 2),
    seed: int = 0,
    with_graphs: bool = False,
    on_record: Callable[[SweepRecord], None] | None = None,
) -> SweepResult:
    """Prune the base model at every ``p`` of ``percents`` and re-train; see the module doc.

    Parameters
    ----------
    base_state:
        The trained base model's state dict (:attr:`BaseModel.state`).
    percents:
        Strictly increasing percents in [0, 100]; step ``k`` is ``percents[k - 1]``.
    retrain_epochs:
        Budgets to record; one chain of ``max(retrain_epochs)`` epochs per ``p``.
    with_graphs:
        Attach :func:`surviving_graph` of the model to every record.

    Raises
    ------
    ValueError / PruningError
        Bad percents, budgets or target, a state dict that does not fit ``cell`` and
        ``config``.
    """
    checked = RNNPruningConfig(
        preset=config.preset, percents=tuple(percents), retrain_epochs=tuple(retrain_epochs),
        targets=(target,), cells=(cell,), scope=config.scope,
    )  # fmt: skip
    # (a config validates percents, budgets, the target and the cell with clear messages)
    budgets = sorted(set(checked.retrain_epochs))
    model = build_model(cell, config)
    pruned_at = {
        t.name: torch.full(t.mask.shape, -1, dtype=torch.int32)
        for t in recurrent_targets(model, target)
    }
    records = []
    for step, percent in enumerate(checked.percents, start=1):
        model.load_state_dict(base_state)
        thresholds = prune_by_percentile(model, percent, target=target, scope=config.scope)
        targets = recurrent_targets(model, target)
        for t in targets:
            newly = (~t.mask.cpu()) & (pruned_at[t.name] < 0)
            pruned_at[t.name][newly] = step
        before = _test_accuracy(model, data, config)
        optimizer = make_optimizer(model, config.learning_rate)
        order = torch.Generator().manual_seed(_seed(seed, cell, f"{target}/{percent}"))
        accuracy, done = before, 0
        for budget in budgets:
            for _ in range(done + 1, budget + 1):
                train_epoch(
                    model, sequence_batches(data.train, config.batch_size, order), optimizer,
                    clip=config.clip,
                )  # fmt: skip
            done = budget
            accuracy = before if budget == 0 else _test_accuracy(model, data, config)
            alive = sum(int(t.mask.sum()) for t in targets)
            total = sum(t.numel for t in targets)
            record = SweepRecord(
                target=target, percent=percent, step=step, retrain_epochs=budget,
                accuracy_before=before, accuracy_after=accuracy,
                sparsity=(total - alive) / total, surviving=alive, thresholds=thresholds,
                graph=surviving_graph(model) if with_graphs else None,
            )  # fmt: skip
            records.append(record)
            if on_record is not None:
                on_record(record)
    return SweepResult(cell, target, records, pruned_at)


def surviving_graph(model: SequenceClassifier) -> nx.DiGraph:
    """Neuron graph of the surviving connections; hidden-to-hidden edges have ``recurrent``.

    An LSTM / GRU unit pair is connected while any of its gate weights survives
    (:meth:`models.masked_recurrent.MaskedRecurrent.neuron_graph`).
    """
    return model_to_graph(model)


def connection_frame(model: SequenceClassifier, pruned_at: dict[str, torch.Tensor]) -> pl.DataFrame:
    """Every weight of the swept matrices of ``model`` once, with the step it was pruned at.

    Columns: ``layer`` (0-based recurrent layer), ``matrix`` (``"i2h"`` / ``"h2h"``),
    ``gate`` (``i f g o`` / ``r z n`` / ``h``), ``unit`` (target unit in the layer),
    ``source`` (input feature or unit), ``weight`` (the model's value, e.g. the base
    model's) and ``pruned_at_step`` (-1: survives every step).
    """
    layers = {name: (index, layer) for index, (name, layer) in enumerate(recurrent_layers(model))}
    parts = []
    for name, steps in pruned_at.items():
        prefix, matrix = name.rsplit(".", 1)
        index, layer = layers[prefix]
        weight = getattr(layer, matrix).detach().cpu()
        for gate, rows in gate_blocks(layer):
            block, at = weight[rows], steps[rows]
            unit, source = torch.meshgrid(
                torch.arange(block.shape[0]), torch.arange(block.shape[1]), indexing="ij"
            )
            parts.append(
                pl.DataFrame({
                    "layer": [index] * block.numel(),
                    "matrix": ["i2h" if matrix == "weight_ih" else "h2h"] * block.numel(),
                    "gate": [gate] * block.numel(),
                    "unit": unit.reshape(-1).numpy(),
                    "source": source.reshape(-1).numpy(),
                    "weight": block.reshape(-1).numpy(),
                    "pruned_at_step": at.reshape(-1).numpy(),
                })
            )  # fmt: skip
    return pl.concat(parts)


# ---------------------------------------------------------------------------------------------
# Private helpers


def _train_one_epoch(model, optimizer, order, data, config, epoch) -> EpochMetrics:
    train_loss = train_epoch(
        model, sequence_batches(data.train, config.batch_size, order), optimizer, clip=config.clip
    )
    _, train_accuracy = evaluate(model, sequence_batches(data.train, config.eval_batch_size))
    test_loss, test_accuracy = evaluate(model, sequence_batches(data.test, config.eval_batch_size))
    return EpochMetrics(epoch, train_loss, train_accuracy, test_loss, test_accuracy)


def _test_accuracy(model, data: RNNData, config: RNNPruningConfig) -> float:
    return evaluate(model, sequence_batches(data.test, config.eval_batch_size))[1]


def _cpu_state(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def _seed(seed: int, cell: str, purpose: str) -> int:
    return (int(seed) * 1_000_003 + zlib.crc32(f"{cell}/{purpose}".encode())) % (2**31)
