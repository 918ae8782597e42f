"""Tests for models.wavefront.buffers: growing work buffers and their cached views."""

from __future__ import annotations

import torch

from models.wavefront import wavefront_states
from models.wavefront.buffers import Workspace
from tests.models.test_wavefront import make_inputs, make_plan


def test_a_buffer_is_a_view_of_one_storage_that_only_grows():
    workspace = Workspace()
    like = torch.zeros(1)
    first = workspace.take("states", (4, 3), like)
    workspace.give(states=first)
    smaller = workspace.take("states", (2, 5), like)
    assert smaller.shape == (2, 5) and smaller.is_contiguous()
    assert smaller.data_ptr() == first.data_ptr()  # the same storage, no new allocation
    workspace.give(states=smaller)
    larger = workspace.take("states", (5, 3), like)
    assert larger.shape == (5, 3) and larger.data_ptr() != first.data_ptr()
    lent = workspace.take("other", (2,), like)  # a name lent out is not handed out twice
    assert workspace.take("other", (2,), like).data_ptr() != lent.data_ptr()


def test_views_are_cached_per_buffer_address_and_shape():
    workspace = Workspace()
    buffer = torch.zeros(6)
    calls = []

    def make(view):
        calls.append(view.shape)
        return view.unbind(0)

    a, b = buffer[:6].view(2, 3), buffer[:6].view(3, 2)
    assert workspace.views("rows", (a,), lambda: make(a)) is workspace.views(
        "rows", (buffer.view(2, 3),), lambda: make(a)
    )
    workspace.views("rows", (b,), lambda: make(b))
    assert calls == [(2, 3), (3, 2)]  # one make per shape, none for the repeated one


def test_sweeps_of_changing_shapes_on_one_plan_equal_sweeps_on_fresh_plans():
    shared = make_plan("gru")
    for steps, batch in ((7, 3), (5, 3), (9, 2), (5, 3), (7, 2)):
        x, *weights = (t.detach() for t in make_inputs("gru", seed=steps))
        x = x[:batch]
        results = []
        for plan in (shared, make_plan("gru")):
            args = [t.clone().requires_grad_() for t in (x, *weights)]
            states = wavefront_states(plan, *args, steps=steps)
            grads = torch.autograd.grad(states.pow(2).sum(), args)
            results.append((states.detach(), grads))
        (states_a, grads_a), (states_b, grads_b) = results
        assert torch.equal(states_a, states_b)
        for a, b in zip(grads_a, grads_b, strict=True):
            assert torch.equal(a, b)
