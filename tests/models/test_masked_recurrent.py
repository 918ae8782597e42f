"""Tests for models.masked_recurrent against torch's own nn.RNN / nn.LSTM / nn.GRU."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from models.masked_recurrent import MaskedRecurrent, MaskedRecurrentLayer
from models.masking import MaskError
from models.recurrent_cells import gate_stacked_mask, get_cell, list_cells

CELLS = list_cells()


def torch_rnn(cell: str, input_size: int, hidden_size: int, num_layers: int = 1) -> nn.RNNBase:
    if cell in ("tanh", "relu"):
        return nn.RNN(input_size, hidden_size, num_layers, nonlinearity=cell, batch_first=True)
    return getattr(nn, cell.upper())(input_size, hidden_size, num_layers, batch_first=True)


def copy_from_torch(body: MaskedRecurrent, reference: nn.RNNBase) -> None:
    with torch.no_grad():
        for k, layer in enumerate(body.layers):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(layer, name).copy_(getattr(reference, f"{name}_l{k}"))


@pytest.mark.parametrize("cell", CELLS)
def test_all_ones_masks_equal_torch_stacked_rnn(cell):
    torch.manual_seed(0)
    body = MaskedRecurrent(cell, 3, [5, 5]).double()
    reference = torch_rnn(cell, 3, 5, num_layers=2).double()
    copy_from_torch(body, reference)
    x = torch.randn(4, 7, 3, dtype=torch.double)
    lengths = torch.tensor([7, 2, 5, 1])
    output, _ = reference(x)
    expected = output[torch.arange(4), lengths - 1]
    assert torch.allclose(body(x, lengths), expected, atol=1e-12)
    assert torch.allclose(body(x), output[:, -1], atol=1e-12)  # no lengths: full sequences


@pytest.mark.parametrize("cell", CELLS)
def test_layer_mirrors_torch_with_initial_state_and_packed_input(cell):
    torch.manual_seed(1)
    layer = MaskedRecurrentLayer(cell, 2, 4).double()
    reference = torch_rnn(cell, 2, 4).double()
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(layer, name).copy_(getattr(reference, f"{name}_l0"))
    x = torch.randn(3, 6, 2, dtype=torch.double)
    h0 = torch.randn(1, 3, 4, dtype=torch.double)
    hx = (h0, torch.randn_like(h0)) if cell == "lstm" else h0
    lengths = torch.tensor([2, 6, 4])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, h_n = layer(packed, hx)
    ref_out, ref_h_n = reference(packed, hx)
    assert torch.allclose(out.data, ref_out.data)
    for got, want in zip(
        h_n if cell == "lstm" else [h_n], ref_h_n if cell == "lstm" else [ref_h_n], strict=True
    ):
        assert torch.allclose(got, want)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_masked_out_input_connection_has_no_influence_through_any_gate(cell):
    """Input 1 -> unit 2 is removed; unit 2 must not depend on input 1 in any gate."""
    torch.manual_seed(2)
    layer = MaskedRecurrentLayer(cell, 3, 4)
    ih = torch.ones(4, 3, dtype=torch.bool)
    ih[2, 1] = False
    layer.set_unit_masks(ih=ih, hh=torch.eye(4, dtype=torch.bool))  # units independent
    x = torch.randn(2, 5, 3, requires_grad=True)
    output, _ = layer(x)
    (grad,) = torch.autograd.grad(output[..., 2].sum(), x)
    assert torch.count_nonzero(grad[..., 1]) == 0
    assert torch.count_nonzero(grad[..., 0]) > 0  # kept connection still acts

    # The paper's bug (rows repeated per gate) lets input 1 reach unit 2: the test catches it.
    buggy = MaskedRecurrentLayer(cell, 3, 4)
    buggy.set_mask("weight_ih", ih.repeat_interleave(get_cell(cell).gates, dim=0))
    buggy.set_mask("weight_hh", torch.eye(4, dtype=torch.bool).repeat_interleave(buggy.gates, 0))
    output, _ = buggy(x)
    (grad,) = torch.autograd.grad(output[..., 2].sum(), x)
    assert torch.count_nonzero(grad[..., 1]) > 0


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_masked_out_recurrent_connection_has_no_influence_through_any_gate(cell):
    torch.manual_seed(3)
    layer = MaskedRecurrentLayer(cell, 2, 3)
    hh = torch.ones(3, 3, dtype=torch.bool)
    hh[0, 2] = hh[1, 2] = False  # unit 2 feeds only itself
    hh[2, 0] = hh[2, 1] = False  # and is fed only by itself
    layer.set_unit_masks(hh=hh)
    x = torch.randn(2, 4, 2)
    h0 = torch.randn(1, 2, 3, requires_grad=True)
    hx = (h0, torch.zeros_like(h0)) if cell == "lstm" else h0
    output, _ = layer(x, hx)
    (to_others,) = torch.autograd.grad(output[..., :2].sum(), h0, retain_graph=True)
    (to_self,) = torch.autograd.grad(output[..., 2].sum(), h0)
    assert torch.count_nonzero(to_others[..., 2]) == 0
    assert torch.count_nonzero(to_self[..., :2]) == 0
    assert torch.count_nonzero(to_self[..., 2]) > 0


@pytest.mark.parametrize("cell", CELLS)
def test_padding_garbage_does_not_change_outputs(cell):
    torch.manual_seed(4)
    body = MaskedRecurrent(cell, 3, [4, 6])
    x = torch.randn(3, 5, 3)
    lengths = torch.tensor([5, 2, 3])
    garbage = torch.randn(3, 9, 3) * 100
    garbage[:, :5] = torch.where(torch.arange(5)[None, :, None] < lengths[:, None, None], x, 0)
    assert torch.allclose(body(x, lengths), body(garbage, lengths), atol=1e-6)


@pytest.mark.parametrize("cell", CELLS)
def test_masked_weights_stay_zero_through_adam_training(cell):
    torch.manual_seed(5)
    body = MaskedRecurrent(cell, 3, [4, 4])
    for layer in body.layers:
        layer.set_unit_masks(ih=torch.rand(4, layer.input_size) > 0.5, hh=torch.rand(4, 4) > 0.5)
    optimizer = torch.optim.Adam(body.parameters(), lr=0.1, weight_decay=0.01)
    x, lengths = torch.randn(5, 6, 3), torch.tensor([6, 3, 1, 4, 6])
    for _ in range(5):
        optimizer.zero_grad()
        body(x, lengths).pow(2).sum().backward()
        optimizer.step()
    for layer in body.layers:
        for name in ("weight_ih", "weight_hh"):
            weight, mask = getattr(layer, name), layer.get_mask(name)
            assert torch.all(weight[~mask] == 0)
            assert torch.count_nonzero(weight[mask]) == int(mask.sum())


def test_set_unit_masks_rejects_wrong_shape():
    layer = MaskedRecurrentLayer("gru", 3, 4)
    with pytest.raises(MaskError, match=r"weight_ih must have shape \(12, 3\)"):
        layer.set_unit_masks(ih=torch.ones(3, 4, dtype=torch.bool))


def test_constructor_errors_name_parameter_and_value():
    with pytest.raises(ValueError, match=r"'cell' parameter of MaskedRecurrent.*\['gru'"):
        MaskedRecurrent("elman", 3, [4])
    with pytest.raises(ValueError, match="'input_size'.*Got 0"):
        MaskedRecurrent("tanh", 0, [4])
    with pytest.raises(ValueError, match="'hidden_sizes'.*Got -4"):
        MaskedRecurrent("tanh", 3, [4, -4])
    with pytest.raises(ValueError, match=r"'hidden_sizes'.*non-empty.*Got \[\]"):
        MaskedRecurrent("tanh", 3, [])
    with pytest.raises(ValueError, match="'hidden_sizes'.*Got 4"):
        MaskedRecurrent("tanh", 3, 4)
    with pytest.raises(ValueError, match="'hidden_size'.*MaskedRecurrentLayer"):
        MaskedRecurrentLayer("lstm", 3, 0)


def test_forward_validates_batch():
    body = MaskedRecurrent("tanh", 3, [4])
    with pytest.raises(ValueError, match=r"MaskedRecurrent.forward.*\(batch, time, 3\)"):
        body(torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match="'lengths'"):
        body(torch.zeros(2, 5, 3), torch.tensor([6, 1]))


@pytest.mark.parametrize("cell", CELLS)
def test_neuron_graph_edges_are_the_nonzero_masked_weights(cell):
    torch.manual_seed(6)
    body = MaskedRecurrent(cell, 2, [3, 2])
    gates = get_cell(cell).gates
    body.layers[0].set_unit_masks(ih=torch.tensor([[1, 0], [1, 1], [0, 1]]).bool())
    body.layers[1].set_unit_masks(hh=torch.tensor([[1, 0], [1, 1]]).bool())
    graph = body.neuron_graph()
    assert graph.number_of_nodes() == 2 + 3 + 2
    roles = [graph.nodes[v]["role"] for v in sorted(graph)]
    assert roles == ["input"] * 2 + ["hidden"] * 5
    assert [graph.nodes[v]["layer"] for v in sorted(graph)] == [0, 0, 1, 1, 1, 2, 2]
    assert graph.graph["architecture"] == "recurrent" and graph.graph["cell"] == cell
    # independent answer: read the masked weights directly
    expected = set()
    offsets = [0, 2, 5]
    for k, layer in enumerate(body.layers):
        for name, src_offset in (("weight_ih", offsets[k]), ("weight_hh", offsets[k + 1])):
            w = layer.masked(name).detach().reshape(gates, layer.hidden_size, -1)
            for j, i in torch.nonzero((w != 0).any(0)).tolist():
                expected.add((src_offset + i, offsets[k + 1] + j, name == "weight_hh"))
    got = {(u, v, d.get("recurrent", False)) for u, v, d in graph.edges(data=True)}
    assert got == expected
    assert (0, 3) in graph.edges and (1, 2) not in graph.edges  # the masked-out input
    w = body.layers[0].masked("weight_ih").detach().reshape(gates, 3, 2)[:, 1, 1]
    weight = graph.edges[1, 3]["weight"]
    assert weight == pytest.approx(float(w[0]) if gates == 1 else float(w.norm()))
    assert body.feature_neurons() == [5, 6]
    assert graph.has_edge(5, 5) and graph.edges[5, 5]["recurrent"]
    assert not graph.has_edge(6, 5)  # masked-out recurrent connection


def test_set_unit_masks_uses_gate_stacked_blocks():
    layer = MaskedRecurrentLayer("lstm", 2, 3)
    unit = torch.tensor([[1, 0], [0, 1], [1, 1]]).bool()
    layer.set_unit_masks(ih=unit)
    assert torch.equal(layer.get_mask("weight_ih"), gate_stacked_mask(unit, "lstm"))
