"""Tests for models.packed_rnn: K networks trained as one equal K networks trained alone."""

from __future__ import annotations

import copy

import networkx as nx
import pytest
import torch
import torch.nn.functional as F

from models.packed_rnn import PRODUCT_MODES, PackedClassifiers
from models.packed_steps import evaluate_pack, train_pack_step
from models.recurrent_cells import list_cells
from models.sequence_classifier import SequenceClassifier
from models.structured_rnn import StructuredRNN
from models.training import evaluate, make_optimizer, train_step

GRAPHS = (
    nx.barabasi_albert_graph(12, 2, seed=1),
    nx.watts_strogatz_graph(15, 4, 0.3, seed=2),
    nx.path_graph(5),  # depth 5: a different sweep length from the others
)
VOCAB, EMBED, PAD = 10, 4, 0
WIDTHS = (7, 5, 9)  # each network's batches have their own padded width
BATCH = 6
CLIP = 0.05  # small enough that every network is clipped, by its own norm


def make_networks(cell: str) -> list[SequenceClassifier]:
    nets = []
    for seed, graph in enumerate(GRAPHS):
        torch.manual_seed(seed)
        body = StructuredRNN(graph, cell, EMBED)
        nets.append(SequenceClassifier(body, VOCAB, EMBED, 2, padding_idx=PAD))
    return nets


def make_batches(steps: int, seed: int = 0):
    """Per step, one (tokens, lengths, labels) batch per network, each of its own width."""
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        batches = []
        for width in WIDTHS:
            lengths = torch.randint(1, width + 1, (BATCH,), generator=gen)
            lengths[0] = width
            tokens = torch.randint(1, VOCAB, (BATCH, width), generator=gen)
            tokens[torch.arange(width)[None, :] >= lengths[:, None]] = PAD
            batches.append((tokens, lengths, torch.randint(0, 2, (BATCH,), generator=gen)))
        yield batches


def stack(batches):
    """K ordinary batches -> one pack batch (tokens padded to the widest)."""
    width = max(tokens.shape[1] for tokens, _, _ in batches)
    tokens = torch.stack([F.pad(t, (0, width - t.shape[1]), value=PAD) for t, _, _ in batches])
    return tokens, torch.stack([b[1] for b in batches]), torch.stack([b[2] for b in batches])


def max_difference(nets_a, nets_b) -> float:
    return max(
        float((a.detach() - b.detach()).abs().max())
        for net_a, net_b in zip(nets_a, nets_b, strict=True)
        for a, b in zip(net_a.parameters(), net_b.parameters(), strict=True)
    )


@pytest.mark.parametrize("products", PRODUCT_MODES)
@pytest.mark.parametrize("cell", list_cells())
def test_packed_training_equals_training_each_network_alone(cell, products):
    alone = make_networks(cell)
    initial = copy.deepcopy(alone)
    packed = copy.deepcopy(alone)
    pack = PackedClassifiers(packed, products=products)
    assert pack.products == products
    optimizers = [make_optimizer(net) for net in alone]
    pack_optimizer = make_optimizer(pack)
    for batches in make_batches(steps=3):
        losses = [
            train_step(net, batch, opt, clip=CLIP)
            for net, batch, opt in zip(alone, batches, optimizers, strict=True)
        ]
        pack_losses = train_pack_step(pack, stack(batches), pack_optimizer, clip=CLIP)
        torch.testing.assert_close(pack_losses, torch.tensor(losses), rtol=1e-5, atol=1e-6)
    pack.unpack_into(packed)
    assert max_difference(alone, initial) > 1e-3  # training moved the weights
    for net_alone, net_packed in zip(alone, packed, strict=True):
        for (name, a), b in zip(net_alone.named_parameters(), net_packed.parameters(), strict=True):
            torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6, msg=f"{cell} {name}")


def test_one_global_norm_would_differ_from_per_network_clipping():
    """The equivalence above depends on per-network clipping: clipping the pack's gradients by
    one global norm (what clip_grad_norm_ over all parameters does) gives other weights."""
    alone = make_networks("tanh")
    packed = copy.deepcopy(alone)
    pack = PackedClassifiers(packed)
    optimizers = [make_optimizer(net) for net in alone]
    pack_optimizer = make_optimizer(pack)
    for batches in make_batches(steps=3):
        for net, batch, opt in zip(alone, batches, optimizers, strict=True):
            train_step(net, batch, opt, clip=CLIP)
        tokens, lengths, labels = stack(batches)
        pack_optimizer.zero_grad()
        pack.losses(pack(tokens, lengths), labels).sum().backward()
        torch.nn.utils.clip_grad_norm_(pack.parameters(), CLIP)
        pack_optimizer.step()
    pack.unpack_into(packed)
    assert max_difference(alone, packed) > 1e-4


def test_per_network_norms_match_clip_grad_norm_of_each_network():
    nets = make_networks("gru")
    pack = PackedClassifiers(copy.deepcopy(nets))
    batches = next(make_batches(steps=1))
    expected = []
    for net, (tokens, lengths, labels) in zip(nets, batches, strict=True):
        F.cross_entropy(net(tokens, lengths), labels).backward()
        expected.append(float(torch.nn.utils.clip_grad_norm_(net.parameters(), CLIP)))
    tokens, lengths, labels = stack(batches)
    pack.losses(pack(tokens, lengths), labels).sum().backward()
    norms = pack.clip_grad_norms_(CLIP)
    torch.testing.assert_close(norms, torch.tensor(expected), rtol=1e-5, atol=0.0)
    assert all(value > CLIP for value in expected)  # so the clipping was exercised


def test_evaluate_pack_matches_evaluate_of_each_network():
    nets = make_networks("lstm")
    pack = PackedClassifiers(copy.deepcopy(nets))
    batches = [b for b, *_ in make_batches(steps=3)]  # network 0's batches, read by all
    loss, acc = evaluate_pack(pack, batches)
    for k, net in enumerate(nets):
        expected_loss, expected_acc = evaluate(net, batches)
        assert float(loss[k]) == pytest.approx(expected_loss, rel=1e-5)
        assert float(acc[k]) == expected_acc


def test_pack_refuses_networks_of_different_cells_and_bad_inputs():
    nets = make_networks("tanh")
    torch.manual_seed(0)
    gru = SequenceClassifier(StructuredRNN(GRAPHS[0], "gru", EMBED), VOCAB, EMBED, 2)
    with pytest.raises(ValueError, match="agree on cell"):
        PackedClassifiers([nets[0], gru])
    with pytest.raises(ValueError, match="at least one network"):
        PackedClassifiers([])
    with pytest.raises(ValueError, match="'products'"):
        PackedClassifiers(nets, products="csr")
    pack = PackedClassifiers(nets)
    with pytest.raises(ValueError, match=r"'tokens'.*\(3, batch, time\)"):
        pack(torch.zeros(2, 4, 5, dtype=torch.int64), torch.ones(2, 4, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"'lengths'.*\[1, 5\]"):
        pack(torch.zeros(3, 4, 5, dtype=torch.int64), torch.full((3, 4), 6))
    with pytest.raises(ValueError, match="3 networks"):
        pack.unpack_into(nets[:2])
