"""Recurrent targets: i2h / h2h / both, gate-aware masks checked against torch's own cells."""

import doctest

import numpy as np
import pytest
import torch
from torch import nn

import models.pruning.recurrent as recurrent_module
from models.feedforward import MaskedFeedForward
from models.masked_recurrent import MaskedRecurrent
from models.pruning import (
    PruningError,
    gate_blocks,
    gate_sparsity,
    prunable_parameters,
    prune_by_percentile,
    recurrent_targets,
)
from models.training import make_optimizer

HIDDEN, INPUTS = 3, 2


def test_doctests():
    result = doctest.testmod(recurrent_module)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(
    ("target", "matrices"),
    [("i2h", ["weight_ih"]), ("h2h", ["weight_hh"]), ("both", ["weight_ih", "weight_hh"])],
)
def test_targets_name_each_layers_matrices_with_the_layer_as_class(target, matrices):
    body = MaskedRecurrent("lstm", INPUTS, [HIDDEN, HIDDEN])
    found = [(t.name, t.group, t.parameter) for t in recurrent_targets(body, target)]
    expected = [
        (f"layers.{i}.{m}", f"layers.{i}", m) for i in range(2) for m in matrices
    ]  # fmt: skip
    assert found == expected
    for t in recurrent_targets(body, target):
        assert t.mask is getattr(t.module, f"{t.parameter}_mask")  # the layer's own mask


def test_unknown_target_lists_the_valid_ones():
    body = MaskedRecurrent("gru", INPUTS, [HIDDEN])
    with pytest.raises(PruningError, match=r"'target'.*\['i2h', 'h2h', 'both'\]. Got 'ih'"):
        recurrent_targets(body, "ih")


def test_a_recurrent_target_on_a_feedforward_model_is_refused():
    with pytest.raises(PruningError, match="MaskedFeedForward\\) has no recurrent layers"):
        recurrent_targets(MaskedFeedForward(3, [4], 2), "h2h")


def _layer_with_one_small_gate(cell: str, matrix: str, gate: int) -> MaskedRecurrent:
    """One layer whose ``matrix`` has tiny magnitudes in gate block ``gate`` only."""
    torch.manual_seed(3)
    body = MaskedRecurrent(cell, INPUTS, [HIDDEN])
    layer = body.layers[0]
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh"):
            weight = getattr(layer, name)
            weight.copy_(torch.sign(weight) * (1.0 + torch.rand_like(weight)))  # |w| in [1, 2]
        small = getattr(layer, matrix)[gate * HIDDEN : (gate + 1) * HIDDEN]
        small.mul_(1e-3)
    return body


def _torch_reference(cell: str, layer) -> nn.Module:
    """torch's own nn.LSTM / nn.GRU holding the layer's masked weights."""
    reference = {"lstm": nn.LSTM, "gru": nn.GRU}[cell](INPUTS, HIDDEN, batch_first=True)
    with torch.no_grad():
        reference.weight_ih_l0.copy_(layer.masked("weight_ih"))
        reference.weight_hh_l0.copy_(layer.masked("weight_hh"))
        reference.bias_ih_l0.copy_(layer.bias_ih)
        reference.bias_hh_l0.copy_(layer.bias_hh)
    return reference


# torch's gate layout: LSTM rows [i|f|g|o], GRU rows [r|z|n]
@pytest.mark.parametrize(
    ("cell", "matrix", "gate", "gate_name", "percent"),
    [
        ("lstm", "weight_hh", 1, "f", 25.0),
        ("lstm", "weight_ih", 3, "o", 25.0),
        ("gru", "weight_ih", 1, "z", 100 / 3),
        ("gru", "weight_hh", 2, "n", 100 / 3),
    ],
)
def test_pruned_weights_are_zero_in_their_own_gate_and_stay_zero_through_training(
    cell, matrix, gate, gate_name, percent
):
    body = _layer_with_one_small_gate(cell, matrix, gate)
    layer = body.layers[0]
    target = "i2h" if matrix == "weight_ih" else "h2h"
    prune_by_percentile(body, percent, target=target)  # exactly the small gate block goes
    rows = dict(gate_blocks(layer))[gate_name]
    assert rows == slice(gate * HIDDEN, (gate + 1) * HIDDEN)
    mask = layer.get_mask(matrix)
    assert not bool(mask[rows].any())
    others = torch.ones(mask.shape[0], dtype=torch.bool)
    others[rows] = False
    assert bool(mask[others].all())  # no mask row of another gate changed
    other_matrix = "weight_hh" if matrix == "weight_ih" else "weight_ih"
    assert bool(layer.get_mask(other_matrix).all())
    assert bool((getattr(layer, matrix)[rows] == 0).all())
    sparsity = gate_sparsity(body)
    assert sparsity[("layers.0", matrix, gate_name)] == 1.0
    assert sum(sparsity.values()) == 1.0

    # torch's own cell with that gate block zeroed computes what the masked layer computes:
    # the block we masked is the gate torch reads from those rows
    x = torch.randn(4, 5, INPUTS)
    reference = _torch_reference(cell, layer)
    assert bool((reference.__getattr__(f"{matrix}_l0")[rows] == 0).all())
    torch.testing.assert_close(layer(x)[0], reference(x)[0])

    # re-training with Adam keeps the block at zero and the masks as they are
    masks = {m: layer.get_mask(m).clone() for m in ("weight_ih", "weight_hh")}
    head = nn.Linear(HIDDEN, 2)
    optimizer = make_optimizer(nn.ModuleList([body, head]))
    labels = torch.randint(0, 2, (4,))
    for _ in range(5):
        optimizer.zero_grad()
        nn.functional.cross_entropy(head(body(x)), labels).backward()
        optimizer.step()
    assert bool((getattr(layer, matrix)[rows] == 0).all())
    assert bool((getattr(layer, matrix)[others] != 0).all())
    for name, before in masks.items():
        assert torch.equal(layer.get_mask(name), before)


def test_gate_scope_takes_one_threshold_per_gate_block():
    torch.manual_seed(0)
    body = MaskedRecurrent("gru", INPUTS, [4])
    layer = body.layers[0]
    original = layer.weight_hh.detach().clone().numpy().astype(np.float64)
    thresholds = prune_by_percentile(body, 50, target="h2h", scope="gate")
    assert sorted(thresholds) == ["layers.0/n", "layers.0/r", "layers.0/z"]
    for gate, rows in gate_blocks(layer):
        block = np.abs(original[rows])
        threshold = np.percentile(block, 50)
        assert thresholds[f"layers.0/{gate}"] == pytest.approx(threshold, rel=1e-12)
        np.testing.assert_array_equal(layer.get_mask("weight_hh")[rows].numpy(), block >= threshold)
        assert int((block < threshold).sum()) == 8  # half of each 4 x 4 block


def test_gate_scope_refuses_weights_without_gate_blocks():
    net = MaskedFeedForward(3, [4], 2)
    with pytest.raises(PruningError, match="'scope' parameter of prune_by_percentile is 'gate'"):
        prune_by_percentile(net, 50, targets=prunable_parameters(net), scope="gate")
