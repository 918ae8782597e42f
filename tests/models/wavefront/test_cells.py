"""Tests for the tanh the sweep steps use (models.wavefront.cells.tanh_into).

The step math itself is checked against a step-by-step reference written with ``torch.tanh``
in tests/models/test_structured_rnn.py (float64, atol 1e-12, unchanged by the switch).
"""

from __future__ import annotations

import math

import networkx as nx
import pytest
import torch

from models.structured_rnn import StructuredRNN
from models.wavefront import cells
from models.wavefront.cells import tanh_via_sigmoid

# Largest absolute error measured on 2,000,001 points of [-20, 20] (see tanh_via_sigmoid):
# 1.9e-7 in float32 and 3.4e-16 in float64, against the true tanh.
TOLERANCE = {torch.float32: 2e-7, torch.float64: 4e-16}


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tanh_via_sigmoid_matches_math_tanh(dtype):
    x = torch.cat([torch.linspace(-20, 20, 4001), torch.linspace(-1e-3, 1e-3, 1001)]).to(dtype)
    got = tanh_via_sigmoid(x, torch.empty_like(x))
    want = torch.tensor([math.tanh(v) for v in x.tolist()], dtype=torch.float64)
    error = (got.double() - want).abs().max().item()
    assert error <= TOLERANCE[dtype]
    assert error > 0  # it is an approximation in floats: the bound above is what it costs


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tanh_via_sigmoid_rounds_like_the_plain_formula(dtype):
    """Its three passes (0-dim constants, one fused -1 + 2 s) give the bits of the plain
    four-pass ``2 * sigmoid(2 * x) - 1``: 2 and -1 are exact, so only the last add rounds."""
    x = torch.linspace(-20, 20, 200_001, dtype=dtype)
    plain = torch.sigmoid(x * 2) * 2 - 1
    assert torch.equal(tanh_via_sigmoid(x, torch.empty_like(x)), plain)
    in_place = x.clone()
    assert torch.equal(tanh_via_sigmoid(in_place, in_place), plain)


def test_tanh_via_sigmoid_writes_into_out_in_place_and_saturates():
    x = torch.tensor([-math.inf, -50.0, -0.5, 0.0, 0.5, 50.0, math.inf, math.nan])
    out = torch.full_like(x, 7.0)
    assert tanh_via_sigmoid(x, out) is out
    assert out[[0, 1, 3, 5, 6]].tolist() == [-1.0, -1.0, 0.0, 1.0, 1.0]
    for i in (2, 4):
        assert abs(out[i].item() - math.tanh(x[i].item())) <= 2e-7
    assert math.isnan(out[7].item())
    assert x[4] == 0.5  # the input is read only when out is another tensor
    same = x.clone()
    assert tanh_via_sigmoid(same, same) is same
    torch.testing.assert_close(same, out, rtol=0, atol=0, equal_nan=True)


@pytest.mark.parametrize("cell", ["tanh", "relu", "gru", "lstm"])
def test_every_tanh_of_a_sweep_goes_through_the_switch(cell, monkeypatch):
    calls = []

    def torch_tanh(x, out):
        calls.append(tuple(x.shape))
        return torch.tanh(x, out=out)

    monkeypatch.setattr(cells, "tanh_into", torch_tanh)
    model = StructuredRNN(nx.path_graph(4), cell, 2).double()
    x = torch.randn(3, 5, 2, dtype=torch.double)
    features = model(x, torch.tensor([5, 3, 2]))
    forward_calls = len(calls)
    features.sum().backward()
    if cell == "relu":
        assert calls == []
        return
    assert forward_calls > 0
    if cell == "lstm":  # the backward pass recomputes tanh(c) of all steps at once
        assert len(calls) == forward_calls + 1
        assert len(calls[-1]) == 3
    else:
        assert len(calls) == forward_calls
