"""Tests for models.recurrent_cells: registry, gate-stacked masks, batch validation."""

from __future__ import annotations

import networkx as nx
import pytest
import torch

from models import recurrent_cells
from models.masked_recurrent import MaskedRecurrentLayer
from models.recurrent_cells import (
    add_unit_edges,
    check_padded_batch,
    check_size,
    gate_stacked_mask,
    get_cell,
    list_cells,
    register_cell,
    unit_biases,
    unit_weights,
)
from models.structured_rnn import StructuredRNN
from models.wavefront import WavefrontPlan


def test_registry_lists_torch_cells_with_their_gate_counts():
    assert list_cells() == ["gru", "lstm", "relu", "tanh"]
    gates = {name: get_cell(name).gates for name in list_cells()}
    assert gates == {"gru": 3, "lstm": 4, "relu": 1, "tanh": 1}
    # gate counts agree with torch's own parameter shapes
    assert torch.nn.LSTM(2, 5).weight_ih_l0.shape[0] == 4 * 5
    assert torch.nn.GRU(2, 5).weight_ih_l0.shape[0] == 3 * 5
    assert get_cell("lstm").has_cell_state and not get_cell("gru").has_cell_state


def test_unknown_cell_error_lists_valid_names():
    with pytest.raises(ValueError, match=r"must be one of \['gru', 'lstm', 'relu', 'tanh'\]"):
        get_cell("elman", where="somewhere")
    with pytest.raises(ValueError, match="somewhere"):
        get_cell("elman", where="somewhere")


@pytest.mark.parametrize("cell", list_cells())
def test_gate_stacked_mask_repeats_whole_block_per_gate(cell):
    unit = torch.rand(4, 3) > 0.5
    unit[0, 1], unit[2, 0] = True, False
    stacked = gate_stacked_mask(unit, cell)
    gates = get_cell(cell).gates
    assert stacked.shape == (gates * 4, 3) and stacked.dtype == torch.bool
    for g in range(gates):
        assert torch.equal(stacked[g * 4 : (g + 1) * 4], unit)
    if gates > 1:  # the paper's bug (repeat rows) gives a different mask
        assert not torch.equal(stacked, unit.repeat_interleave(gates, dim=0))


def test_gate_stacked_mask_rejects_non_matrix():
    with pytest.raises(ValueError, match="unit_mask"):
        gate_stacked_mask(torch.ones(3, dtype=torch.bool), "gru")


def test_unit_weights_signed_for_one_gate_norm_for_several():
    weight = torch.tensor([[1.0, -2.0], [0.0, 3.0]])
    assert torch.equal(unit_weights(weight, 1), weight)
    stacked = torch.cat([weight, 2 * weight, torch.zeros_like(weight)])  # 3 gates
    expected = (weight.pow(2) + (2 * weight).pow(2)).sqrt()
    assert torch.allclose(unit_weights(stacked, 3), expected)


def test_unit_biases_sum_ih_and_hh():
    b_ih, b_hh = torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.0, 0.0, 0.0, 0.0])
    assert unit_biases(b_ih, b_hh, 1, 4) == [2.0, 2.0, 3.0, 4.0]
    assert unit_biases(b_ih, b_hh, 2, 2) == pytest.approx([(4 + 9) ** 0.5, (4 + 16) ** 0.5])
    assert unit_biases(None, None, 3, 2) == [0.0, 0.0]


def test_add_unit_edges_adds_nonzero_connections_only():
    graph = nx.DiGraph()
    weight = torch.tensor([[0.0, 1.0], [0.0, 0.0], [0.0, 0.0], [2.0, 0.0]])  # 2 gates, 2 units
    add_unit_edges(graph, weight, gates=2, sources=["a", "b"], targets=["u", "v"], recurrent=True)
    assert sorted(graph.edges(data=True)) == [
        ("a", "v", {"weight": 2.0, "recurrent": True}),
        ("b", "u", {"weight": 1.0, "recurrent": True}),
    ]


def test_check_padded_batch_defaults_and_errors():
    x = torch.zeros(3, 5, 2)
    assert check_padded_batch(x, None, input_size=2, where="f").tolist() == [5, 5, 5]
    assert check_padded_batch(x, [1, 5, 2], input_size=2, where="f").dtype == torch.int64
    with pytest.raises(ValueError, match=r"'x' parameter of f .* \(batch, time, 4\)"):
        check_padded_batch(x, None, input_size=4, where="f")
    with pytest.raises(ValueError, match="'x'"):
        check_padded_batch(torch.zeros(3, 5), None, input_size=2, where="f")
    with pytest.raises(ValueError, match="at least one step"):
        check_padded_batch(torch.zeros(3, 0, 2), None, input_size=2, where="f")
    with pytest.raises(ValueError, match=r"'lengths'.*size 3"):
        check_padded_batch(x, torch.tensor([1, 2]), input_size=2, where="f")
    with pytest.raises(ValueError, match=r"'lengths'.*integer"):
        check_padded_batch(x, torch.tensor([1.0, 2.0, 3.0]), input_size=2, where="f")
    with pytest.raises(ValueError, match=r"\[1, 5\].*0 to 5"):
        check_padded_batch(x, torch.tensor([0, 2, 5]), input_size=2, where="f")
    with pytest.raises(ValueError, match=r"\[1, 5\].*1 to 6"):
        check_padded_batch(x, torch.tensor([1, 2, 6]), input_size=2, where="f")


@pytest.mark.parametrize("value", [0, -1, 2.0, True, "3", None])
def test_check_size_rejects_non_positive_integers(value):
    with pytest.raises(ValueError, match=r"'hidden_size' parameter of g must be a positive"):
        check_size(value, name="hidden_size", where="g")


@pytest.fixture
def scratch_registry(monkeypatch):
    """A copy of the cell registry that the test may add to (restored afterwards)."""
    monkeypatch.setattr(recurrent_cells, "_CELLS", dict(recurrent_cells._CELLS))


@pytest.mark.parametrize("cell", list_cells())
def test_every_registered_cell_gives_the_same_states_fused_and_in_the_wavefront_sweep(cell):
    """One vertex with 3 units is one recurrent layer: both paths must agree exactly."""
    torch.manual_seed(0)
    fused = MaskedRecurrentLayer(cell, 2, 3).double()
    swept = StructuredRNN(nx.empty_graph(1), cell, 2, units_per_vertex=3).double()
    with torch.no_grad():
        swept.weight_ih.zero_()
        swept.weight_ih[:, :2] = fused.weight_ih
        swept.weight_hh.copy_(fused.weight_hh)
        swept.bias_ih.copy_(fused.bias_ih)
        swept.bias_hh.copy_(fused.bias_hh)
    x = torch.randn(4, 6, 2, dtype=torch.double)
    states, _ = fused(x)  # (batch, time, hidden)
    torch.testing.assert_close(swept(x), states[:, -1])
    lengths = torch.tensor([6, 2, 4, 1])
    torch.testing.assert_close(swept(x, lengths), states[torch.arange(4), lengths - 1])


def test_registry_refuses_a_duplicate_name(scratch_registry):
    with pytest.raises(ValueError, match="'lstm' is already registered"):
        register_cell("lstm", gates=4, fused=torch.lstm, has_cell_state=True)
    assert get_cell("lstm").sweep is not None  # the original is kept


def test_registry_refuses_a_sweep_that_disagrees_with_the_cell(scratch_registry):
    with pytest.raises(ValueError, match="has_cell_state"):
        register_cell("half_lstm", gates=4, fused=torch.lstm, sweep=get_cell("lstm").sweep)
    with pytest.raises(ValueError, match="'gates'"):
        register_cell("no_gates", gates=0, fused=torch.rnn_tanh)
    with pytest.raises(ValueError, match="'fused'"):
        register_cell("no_kernel", gates=1, fused=None)
    assert "half_lstm" not in list_cells()


def test_a_cell_without_sweep_step_runs_fused_and_is_refused_by_structured_rnn_at_build(
    scratch_registry,
):
    register_cell("tanh_fused_only", gates=1, fused=torch.rnn_tanh)
    layer = MaskedRecurrentLayer("tanh_fused_only", 3, 4)  # fused layers need no sweep step
    reference = MaskedRecurrentLayer("tanh", 3, 4)
    reference.load_state_dict(layer.state_dict())
    x = torch.randn(2, 5, 3)
    torch.testing.assert_close(layer(x)[0], reference(x)[0])
    assert not torch.equal(layer(x)[0], torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match="'tanh_fused_only' was registered without a wavefront"):
        StructuredRNN(nx.path_graph(3), "tanh_fused_only", 3)
    with pytest.raises(ValueError, match="without a wavefront sweep step"):
        WavefrontPlan.build(
            "tanh_fused_only",
            torch.tensor([0]),
            torch.ones(1, 2, dtype=torch.bool),
            torch.ones(1, 1, dtype=torch.bool),
            num_inputs=1,
        )
