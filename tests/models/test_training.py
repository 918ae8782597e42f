"""Tests for models.training: batches, the training step, epochs and evaluation."""

from __future__ import annotations

import networkx as nx
import pytest
import torch
from torch import nn

from models.masked_recurrent import MaskedRecurrent
from models.sequence_classifier import SequenceClassifier
from models.structured_rnn import StructuredRNN
from models.training import (
    TrainConfig,
    collate_sequences,
    evaluate,
    make_optimizer,
    train_epoch,
    train_step,
)


def toy_task(count: int, seed: int):
    """Label 1 when the sequence contains token 3, on random lengths 2..6 over tokens 1..4."""
    gen = torch.Generator().manual_seed(seed)
    items = []
    for _ in range(count):
        length = int(torch.randint(2, 7, (1,), generator=gen))
        seq = torch.randint(1, 5, (length,), generator=gen)
        items.append((seq, int((seq == 3).any())))
    return items


def batches(items, size):
    return [collate_sequences(items[i : i + size]) for i in range(0, len(items), size)]


def test_collate_pads_and_keeps_lengths_and_labels():
    tokens, lengths, labels = collate_sequences([([1, 2, 3], 0), ([4], 1)], padding_value=9)
    assert tokens.tolist() == [[1, 2, 3], [4, 9, 9]]
    assert lengths.tolist() == [3, 1] and labels.tolist() == [0, 1]
    with pytest.raises(ValueError, match="'items'.*empty"):
        collate_sequences([])
    with pytest.raises(ValueError, match="item 1 is empty"):
        collate_sequences([([1], 0), ([], 1)])


def test_train_step_clips_gradient_norm_and_updates():
    torch.manual_seed(0)
    model = SequenceClassifier(MaskedRecurrent("tanh", 4, [6]), 5, 4, 2)
    batch = collate_sequences(toy_task(16, 0))
    before = [p.detach().clone() for p in model.parameters()]
    loss = train_step(model, batch, make_optimizer(model), clip=1e-3)
    assert loss == pytest.approx(
        float(nn.functional.cross_entropy(model_logits(model, before, batch), batch[2])), rel=1e-5
    )
    total = torch.norm(torch.stack([p.grad.norm() for p in model.parameters()]))
    assert float(total) <= 1e-3 * (1 + 1e-4)
    assert any(not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True))


def model_logits(model, parameters, batch):
    """Logits of ``model`` evaluated with ``parameters`` (the state before the step)."""
    names = [name for name, _ in model.named_parameters()]
    return torch.func.functional_call(model, dict(zip(names, parameters, strict=True)), batch[:2])


def test_evaluate_matches_manual_loss_and_accuracy_and_restores_mode():
    torch.manual_seed(1)
    model = SequenceClassifier(MaskedRecurrent("gru", 4, [5]), 5, 4, 2)
    data = batches(toy_task(20, 1), 8)
    model.train()
    loss, acc = evaluate(model, data)
    assert model.training
    with torch.no_grad():
        logits = torch.cat([model(t, n) for t, n, _ in data])
    labels = torch.cat([y for _, _, y in data])
    assert loss == pytest.approx(float(nn.functional.cross_entropy(logits, labels)), rel=1e-5)
    assert acc == pytest.approx(float((logits.argmax(1) == labels).float().mean()))
    with pytest.raises(ValueError, match="'loader'"):
        evaluate(model, [])


def test_train_epoch_weights_batches_by_size():
    torch.manual_seed(2)
    model = SequenceClassifier(MaskedRecurrent("tanh", 4, [5]), 5, 4, 2)
    data = batches(toy_task(10, 2), 7)  # sizes 7 and 3
    reference = SequenceClassifier(MaskedRecurrent("tanh", 4, [5]), 5, 4, 2)
    reference.load_state_dict(model.state_dict())
    opt = make_optimizer(reference)
    losses = [train_step(reference, b, opt) for b in data]
    mean = train_epoch(model, data, make_optimizer(model))
    assert mean == pytest.approx((7 * losses[0] + 3 * losses[1]) / 10, rel=1e-5)
    with pytest.raises(ValueError, match="'loader'"):
        train_epoch(model, [], make_optimizer(model))
    with pytest.raises(ValueError, match="'learning_rate'.*Got 0"):
        make_optimizer(model, 0)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_structured_rnn_learns_a_toy_task(cell):
    torch.manual_seed(3)
    body = StructuredRNN(nx.barabasi_albert_graph(8, 2, seed=3), cell, 8)
    model = SequenceClassifier(body, 5, 8, 2, padding_idx=0)
    optimizer = make_optimizer(model, learning_rate=1e-2)
    train, test = batches(toy_task(256, 4), 32), batches(toy_task(128, 5), 64)
    for _ in range(16):  # reaches 100% after ~13 epochs for both cells
        train_epoch(model, train, optimizer)
    _, acc = evaluate(model, test)
    assert acc >= 0.95


def test_train_config_defaults_are_the_papers():
    config = TrainConfig()
    assert (config.learning_rate, config.clip, config.batch_size) == (1e-3, 5.0, 32)
