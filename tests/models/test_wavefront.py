"""Tests for models.wavefront: the sweep's hand-written backward pass and its plan."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from models.recurrent_cells import gate_stacked_mask, get_cell, list_cells
from models.wavefront import WavefrontPlan, wavefront_states, wavefront_states_compact

# Neurons 0, 1 (layer 0), 2 (layer 1), 3, 4 (layer 2), 5 (layer 3); skip edges 0->3, 1->5.
LAYER = torch.tensor([0, 0, 1, 2, 2, 3])
EDGES = [(0, 2), (1, 2), (2, 3), (2, 4), (0, 3), (1, 5), (4, 5)]
INPUTS = 2


def make_plan(cell: str) -> WavefrontPlan:
    n = LAYER.numel()
    ih = torch.zeros(n, INPUTS + n, dtype=torch.bool)
    ih[LAYER == 0, :INPUTS] = True
    for u, v in EDGES:
        ih[v, INPUTS + u] = True
    hh = LAYER[:, None] == LAYER[None, :]
    return WavefrontPlan.build(
        cell, LAYER, gate_stacked_mask(ih, cell), gate_stacked_mask(hh, cell), num_inputs=INPUTS
    )


def make_inputs(cell: str, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    n, gates = LAYER.numel(), get_cell(cell).gates

    def rand(*shape):
        return (torch.rand(*shape, generator=gen, dtype=torch.double) - 0.5).requires_grad_()

    x = rand(3, 4, INPUTS)
    return x, rand(gates * n, INPUTS + n), rand(gates * n, n), rand(gates * n), rand(gates * n)


def product_variants(plan: WavefrontPlan) -> dict[str, WavefrontPlan]:
    """The plan in each product mode: CSR (window), dense window, dense gathered columns."""
    return {
        "sparse": dataclasses.replace(plan, sparse=True),
        "window": dataclasses.replace(plan, sparse=False, window=True),
        "dense": dataclasses.replace(plan, sparse=False, window=False),
    }


@pytest.mark.parametrize("mode", ["sparse", "window", "dense"])
@pytest.mark.parametrize("cell", list_cells())
def test_backward_matches_numerical_gradients(cell, mode):
    plan = product_variants(make_plan(cell))[mode]
    x, w_ih, w_hh, b_ih, b_hh = make_inputs(cell)
    steps = x.shape[1] + int(LAYER.max())

    def all_states(*args):
        return wavefront_states(plan, *args, steps=steps)

    assert torch.autograd.gradcheck(all_states, (x, w_ih, w_hh, b_ih, b_hh), fast_mode=True)

    read_steps = torch.tensor([[3, 5], [1, 4], [0, 6]])

    def read(*args):
        return wavefront_states(
            plan, *args, steps=steps, read_steps=read_steps, read_neurons=torch.tensor([3, 5])
        )

    assert torch.autograd.gradcheck(read, (x, w_ih, w_hh, b_ih, b_hh), fast_mode=True)


@pytest.mark.parametrize("cell", ["gru", "tanh"])
def test_sparse_and_dense_products_agree(cell):
    results = []
    for p in product_variants(make_plan(cell)).values():
        args = make_inputs(cell, seed=1)
        out = wavefront_states(p, *args, steps=7)
        out.pow(2).sum().backward()
        results.append((out.detach(), [a.grad for a in args]))
    for output, grads in results[1:]:
        assert torch.allclose(results[0][0], output)
        for g0, g1 in zip(results[0][1], grads, strict=True):
            assert torch.allclose(g0, g1)


def test_overlapping_sweeps_and_repeated_backward_share_no_buffers():
    plan = make_plan("lstm")
    first, second = make_inputs("lstm", seed=2), make_inputs("lstm", seed=3)
    expected = []
    for args in (first, second):
        out = wavefront_states(plan, *args, steps=7)
        expected.append(torch.autograd.grad(out.sum(), args))
    # Two graphs alive at once, then backward twice through the first.
    out1 = wavefront_states(plan, *first, steps=7)
    out2 = wavefront_states(plan, *second, steps=7)
    grads1 = torch.autograd.grad(out1.sum(), first, retain_graph=True)
    grads2 = torch.autograd.grad(out2.sum(), second)
    again = torch.autograd.grad(out1.sum(), first)
    for got, want in ((grads1, expected[0]), (grads2, expected[1]), (again, expected[0])):
        for g, w in zip(got, want, strict=True):
            assert torch.allclose(g, w)


def test_states_start_at_zero_before_each_layer_begins():
    plan = make_plan("tanh")
    x, w_ih, w_hh, b_ih, b_hh = make_inputs("tanh")
    states = wavefront_states(plan, x, w_ih, w_hh, b_ih, b_hh, steps=7)  # (batch, S, N)
    for v, layer in enumerate(LAYER.tolist()):
        assert torch.all(states[:, :layer, v] == 0)
        assert torch.all(states[:, layer, v] != 0)


def test_plan_columns_pair_sources_with_delays():
    plan = make_plan("tanh")
    pairs = set(zip(plan.sources.tolist(), plan.delays.tolist(), strict=True))
    feed_forward = {(u, int(LAYER[v] - LAYER[u])) for u, v in EDGES}
    recurrent = {(u, 1) for u in range(LAYER.numel())}
    assert pairs == feed_forward | recurrent
    assert plan.pad == 3 and plan.width == LAYER.numel()  # largest delay: 1 -> 5
    assert make_plan("gru").width == 4 * LAYER.numel()


def test_plan_rejects_connections_against_the_layer_order():
    n = LAYER.numel()
    ih = torch.zeros(n, INPUTS + n, dtype=torch.bool)
    hh = torch.zeros(n, n, dtype=torch.bool)
    backwards = ih.clone()
    backwards[2, INPUTS + 3] = True  # layer 2 -> layer 1
    with pytest.raises(ValueError, match="later layer"):
        WavefrontPlan.build("tanh", LAYER, backwards, hh, num_inputs=INPUTS)
    across = hh.clone()
    across[2, 0] = True
    with pytest.raises(ValueError, match="within its layer"):
        WavefrontPlan.build("tanh", LAYER, ih, across, num_inputs=INPUTS)
    deep_input = ih.clone()
    deep_input[5, 0] = True
    with pytest.raises(ValueError, match="layer-0"):
        WavefrontPlan.build("tanh", LAYER, deep_input, hh, num_inputs=INPUTS)
    with pytest.raises(ValueError, match=r"'cell'.*\['gru'"):
        WavefrontPlan.build("elman", LAYER, ih, hh, num_inputs=INPUTS)


def test_empty_connection_set_runs_on_biases_alone():
    n = LAYER.numel()
    plan = WavefrontPlan.build(
        "tanh",
        LAYER,
        torch.zeros(n, INPUTS + n, dtype=torch.bool),
        torch.zeros(n, n, dtype=torch.bool),
        num_inputs=INPUTS,
    )
    x, w_ih, w_hh, b_ih, b_hh = make_inputs("tanh")
    states = wavefront_states(plan, x, w_ih, w_hh, b_ih, b_hh, steps=7)
    expected = torch.tanh(b_ih + b_hh).detach()
    assert torch.allclose(states[:, -1], expected.expand(3, n))
    states.sum().backward()
    assert torch.count_nonzero(w_ih.grad) == 0 and torch.count_nonzero(b_ih.grad) == n


def test_moved_plan_keeps_its_structure_on_the_new_device_and_refuses_other_inputs():
    plan = make_plan("lstm")
    moved = plan.to("meta")
    assert plan.to("cpu") is plan and moved.device.type == "meta"
    assert moved.workspace is not plan.workspace
    for name in ("rows", "columns", "crow", "parameter_index", "input_rows", "valid"):
        original, copy = getattr(plan, name), getattr(moved, name)
        assert copy.device.type == "meta" and copy.shape == original.shape, name
    x, w_ih, w_hh, b_ih, b_hh = make_inputs("lstm")
    with pytest.raises(ValueError, match="input is on cpu but the sweep plan on meta"):
        wavefront_states(moved, x, w_ih, w_hh, b_ih, b_hh, steps=7)


@pytest.mark.parametrize("cell", list_cells())
def test_compact_sweep_equals_the_dense_weight_sweep_and_numerical_gradients(cell):
    plan = dataclasses.replace(make_plan(cell), sparse=True)
    x, w_ih, w_hh, b_ih, b_hh = make_inputs(cell, seed=4)
    steps = x.shape[1] + int(LAYER.max())
    # the projection by hand: row r of plan.input_rows adds sum_i w[r, i] mask[r, i] x[b, t, i]
    w_x = w_ih.detach()[plan.input_rows, :INPUTS] * plan.input_mask
    projection = torch.einsum("ri,bti->rbt", w_x, x.detach()).requires_grad_()
    flat = torch.cat([w_ih.detach().flatten(), w_hh.detach().flatten()])
    connections = flat[plan.parameter_index].clone().requires_grad_()
    biases = (b_ih.detach().requires_grad_(), b_hh.detach().requires_grad_())
    read_steps, read_neurons = torch.tensor([[3, 5], [1, 4], [0, 6]]), torch.tensor([3, 5])
    dense = wavefront_states(
        plan, x, w_ih, w_hh, b_ih, b_hh,
        steps=steps, read_steps=read_steps, read_neurons=read_neurons,
    )  # fmt: skip

    def compact(projection, connections, b_ih, b_hh):
        return wavefront_states_compact(
            plan, projection, connections, b_ih, b_hh,
            steps=steps, read_steps=read_steps, read_neurons=read_neurons,
        )  # fmt: skip

    torch.testing.assert_close(compact(projection, connections, *biases), dense, rtol=0, atol=1e-12)
    dense.sum().backward()
    compact(projection, connections, *biases).sum().backward()
    dense_grads = torch.cat([w_ih.grad.flatten(), w_hh.grad.flatten()])
    torch.testing.assert_close(connections.grad, dense_grads[plan.parameter_index])
    torch.testing.assert_close(biases[0].grad, b_ih.grad)
    assert torch.autograd.gradcheck(compact, (projection, connections, *biases), fast_mode=True)
