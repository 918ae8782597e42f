"""The wavefront sweep itself: one ``torch.autograd.Function`` that runs every sweep step
forward and backpropagates through time in the same schedule by hand.

See :mod:`models.wavefront` for the schedule; :mod:`models.wavefront.plan` for what a sweep
reads, :mod:`models.wavefront.products` for its products and :mod:`models.wavefront.cells`
for the per-cell step math.
"""

from __future__ import annotations

import torch
from torch.autograd.function import once_differentiable

from models.wavefront.buffers import Lease
from models.wavefront.plan import WavefrontPlan
from models.wavefront.products import (
    check_device,
    column_index,
    connection_gradients,
    matrices,
    window_matrices,
    windows,
)

__all__ = ["wavefront_states", "wavefront_states_compact"]


def wavefront_states(
    plan: WavefrontPlan,
    x: torch.Tensor,
    weight_ih: torch.Tensor,
    weight_hh: torch.Tensor,
    bias_ih: torch.Tensor | None,
    bias_hh: torch.Tensor | None,
    *,
    steps: int,
    read_steps: torch.Tensor | None = None,
    read_neurons: torch.Tensor | None = None,
) -> torch.Tensor:
    """States of the neurons of a layered recurrent network over a wavefront sweep.

    Parameters
    ----------
    plan:
        The network's :class:`WavefrontPlan`.
    x:
        ``(batch, time, num_inputs)`` input sequence (padding included).
    weight_ih:
        ``(gates * N, num_inputs + N)`` input and feed-forward weights; only entries the plan
        connects are read, so masked entries never contribute.
    weight_hh:
        ``(gates * N, N)`` recurrent weights; only entries the plan connects are read.
    bias_ih, bias_hh:
        ``(gates * N,)`` biases, or None.
    steps:
        Sweep steps ``S`` to run, at least ``time``.
    read_steps, read_neurons:
        Optional ``(batch, F)`` sweep steps and ``(F,)`` neurons to read.

    Raises
    ------
    ValueError
        If ``x`` is on another device than the plan, or the plan's product mode has no
        kernels on that device (see :func:`models.wavefront.products.check_device`).

    Returns
    -------
    Without reads: ``(batch, S, N)``, entry ``[b, s, v]`` the state ``h`` of neuron ``v`` at
    time ``s - layer(v)`` (zero while that time is negative). With reads: ``(batch, F)``,
    entry ``[b, f]`` the state of ``read_neurons[f]`` at sweep step ``read_steps[b, f]``.
    """
    return _run(plan, x, weight_ih, weight_hh, bias_ih, bias_hh, steps, read_steps, read_neurons)


def wavefront_states_compact(
    plan: WavefrontPlan,
    projection: torch.Tensor,
    connection_weight: torch.Tensor,
    bias_ih: torch.Tensor | None,
    bias_hh: torch.Tensor | None,
    *,
    steps: int,
    read_steps: torch.Tensor | None = None,
    read_neurons: torch.Tensor | None = None,
) -> torch.Tensor:
    """:func:`wavefront_states` with the input already projected and the weights held
    compactly: only the entries the plan reads, so a model whose dense weights would be
    mostly masked (a pack of many networks, see :mod:`models.packed_rnn`) keeps,
    differentiates, clips and optimises only those, and computes the input projection its
    own way.

    Parameters
    ----------
    projection:
        ``(input rows, batch, time)``: what the external input adds to the pre-activation of
        every row of ``plan.input_rows`` (``weight_ih[plan.input_rows, :num_inputs] @ x``,
        masked by ``plan.input_mask``).
    connection_weight:
        ``(connections,)``: the plan's connection weights in its order,
        ``cat([weight_ih.flatten(), weight_hh.flatten()])[plan.parameter_index]``.

    The other parameters, the errors and the result are :func:`wavefront_states`'s.
    """
    return _run(
        plan, projection, None, connection_weight, bias_ih, bias_hh, steps, read_steps,
        read_neurons, compact=True,
    )  # fmt: skip


def _run(plan, x, weight_a, weight_b, bias_ih, bias_hh, steps, read_steps, read_neurons, *,
         compact=False):  # fmt: skip
    n, device = plan.num_neurons, x.device
    check_device(plan, device, where="wavefront_states")
    read_index = None
    if read_steps is not None:
        batch = torch.arange(x.shape[-2 if compact else 0], device=device)[:, None]
        # flat position in the ((pad + S) * N, batch) state buffer
        read_index = ((plan.pad + read_steps) * n + read_neurons[None, :]) * batch.numel() + batch
    states = _Wavefront.apply(
        x, weight_a, weight_b, bias_ih, bias_hh, plan, steps, read_index, compact
    )
    return states if read_index is not None else states.permute(2, 0, 1)


def _sweep_inputs(plan, x, weight_ih, weight_hh, bias_ih, bias_hh, compact):
    """What the sweep reads: input projection ``(input rows, batch, time)``, bias ``(width,)``
    and connection values ``(connections,)``; plus the projection's two factors (None when
    ``compact``: then ``x`` is the projection and ``weight_hh`` the connection values, see
    wavefront_states_compact)."""
    n = plan.num_neurons
    if compact:
        projection, values, weight_x, x_flat = x, weight_hh, None, None
    else:
        # (method calls, not Python indexing: this runs on every forward)
        weight_x = weight_ih.index_select(0, plan.input_rows)[:, : plan.num_inputs]
        weight_x = weight_x * plan.input_mask
        # (rows, inputs) @ (inputs, batch * time) -> (rows, batch, time): one plain product
        # with a long output row (the fastest shape for few rows); the sweep reads a
        # (time, rows, batch) view
        batch, time = x.shape[:2]
        x_flat = x.reshape(batch * time, plan.num_inputs)
        projection = (weight_x @ x_flat.t()).view(-1, batch, time)
        values = torch.cat([weight_ih.reshape(-1), weight_hh.reshape(-1)]).index_select(
            0, plan.parameter_index
        )
    if bias_ih is None:
        bias = x.new_zeros(plan.width)
    elif plan.step.split_last_gate:  # [shared gates | last gate, input | last, recurrent]
        last = (plan.gates - 1) * n
        bias = torch.cat([bias_ih[:last] + bias_hh[:last], bias_ih[last:], bias_hh[last:]])
    else:
        bias = bias_ih + bias_hh
    return projection, bias, values, weight_x, x_flat


def _parameter_gradients(plan, ctx, grad_projection, grad_bias, grad_values, weight_x, x_flat):
    """Gradients of ``x``, ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (the
    backward pass of :func:`_sweep_inputs`); None for inputs that need none."""
    x_shape, ih_shape, hh_shape, has_bias = ctx.inputs
    needs = ctx.needs_input_grad
    n = plan.num_neurons
    rows = plan.input_rows
    grad_x = grad_ih = grad_hh = None
    if ctx.compact:  # x is the projection, weight_hh the connection values
        grad_x, grad_hh = grad_projection, grad_values
    else:
        grad_projection = grad_projection.reshape(rows.numel(), x_flat.shape[0])  # (rows, B*T)
    if needs[0] and not ctx.compact:
        grad_x = (grad_projection.t() @ weight_x).view(x_shape)
    if (needs[1] or needs[2]) and not ctx.compact:
        ih_size = ih_shape[0] * ih_shape[1]
        flat = grad_values.new_zeros(ih_size + hh_shape[0] * hh_shape[1])
        flat.index_copy_(0, plan.parameter_index, grad_values)
        grad_ih, grad_hh = flat[:ih_size].view(ih_shape), flat[ih_size:].view(hh_shape)
        grad_x_weight = (grad_projection @ x_flat) * plan.input_mask
        grad_ih[:, : plan.num_inputs].index_copy_(0, rows, grad_x_weight)
    grad_bias_ih = grad_bias_hh = None
    if has_bias:
        if plan.step.split_last_gate:
            last, stacked = (plan.gates - 1) * n, plan.gates * n
            grad_bias_ih = grad_bias[:stacked]
            grad_bias_hh = torch.cat([grad_bias[:last], grad_bias[stacked:]])
        else:
            grad_bias_ih, grad_bias_hh = grad_bias, grad_bias.clone()
    return (
        grad_x,
        grad_ih if needs[1] else None,
        grad_hh if needs[2] else None,
        grad_bias_ih if needs[3] else None,
        grad_bias_hh if needs[4] else None,
    )


def _shape(tensor: torch.Tensor | None):
    return None if tensor is None else tensor.shape


class _Wavefront(torch.autograd.Function):
    """The sweep: forward in the wavefront order, backward through time in reverse.

    Layouts (feature-major, so gate blocks are contiguous rows): states
    ``((pad + S) * N, B)``; gathered columns ``(K, S, B)``; what the cell saves for the
    backward pass ``(S, saved rows, B)``; pre-activation gradients ``(width, S, B)``, so the
    connection gradients are one sampled product at the end. A *window* plan reads step
    ``s``'s columns straight from states rows ``s * N .. (s + pad) * N`` (the states of steps
    ``s - pad .. s - 1``) and gathers the columns once, in the backward pass.
    """

    @staticmethod
    def forward(ctx, x, weight_ih, weight_hh, bias_ih, bias_hh, plan, steps, read_index, compact):
        n, pad, width, k = plan.num_neurons, plan.pad, plan.width, plan.num_columns
        projection, bias, values, weight_x, x_flat = _sweep_inputs(
            plan, x, weight_ih, weight_hh, bias_ih, bias_hh, compact
        )
        _, batch, time = projection.shape
        device, dtype = projection.device, projection.dtype
        cell = plan.step
        workspace = plan.workspace
        window = plan.window or plan.sparse  # CSR steps always read the window
        if plan.sparse:
            products = matrices(plan, values)
        else:
            products = window_matrices(plan, values) if window else matrices(plan, values)
        weight = products[0]
        index = workspace.constant(
            ("index", steps, device), lambda: column_index(plan, steps, device)
        )
        valid = workspace.constant(
            ("valid", device, dtype), lambda: plan.valid.to(device=device, dtype=dtype)[:, :, None]
        )
        states = workspace.take("states", ((pad + steps) * n, batch), projection)
        states.narrow(0, 0, pad * n).zero_()
        cells = None
        if cell.has_cell_state:
            cells = workspace.take("cells", ((1 + steps) * n, batch), projection)
            cells.narrow(0, 0, n).zero_()
        saved_rows = cell.saved_rows(n)
        saved = workspace.take("saved", (steps, saved_rows, batch), projection)
        # Every step's pre-activations start as bias + input projection, written for all
        # steps at once where the cell computes (its saved rows, or h itself), so a step
        # only adds its product in place (no per-step copy of a base).
        pre = saved if saved_rows else states[pad * n :].view(steps, width, batch)
        pre.copy_(bias.view(1, width, 1).expand(steps, width, batch))
        pre.narrow(0, 0, time).index_add_(1, plan.input_rows, projection.permute(2, 0, 1))
        # Per-step views, made once (slicing inside the loop costs more than the math).
        views = workspace.views
        h_slots = views(  # [s] = h(s - 1)
            "h", (states,), lambda: states.view(pad + steps, n, batch).unbind(0)[pad - 1 :]
        )
        c_slots = None
        if cells is not None:
            c_slots = views("c", (cells,), lambda: cells.view(1 + steps, n, batch).unbind(0))
        outs = views("outs", (saved,), lambda: saved.unbind(0)) if saved_rows else h_slots[1:]
        gates = outs  # what the cell's forward reads: the block or its gate views
        if cell.gate_views is not None:
            gates = views("gates", (saved,), lambda: cell.gate_views(saved.unbind(0), n))
        inputs = None
        if window:  # [s]: states of steps s - pad .. s - 1
            columns = views("windows", (states,), lambda: windows(states, steps, n, pad))
        else:
            inputs = workspace.take("inputs", (k, steps, batch), projection)
            columns = views("columns", (inputs,), lambda: inputs.unbind(1))
            step_index = views("step_index", (index,), lambda: index.unbind(0))
        forward, addmm_, index_select = cell.forward, torch.Tensor.addmm_, torch.index_select
        valid_slots = views("valid", (valid,), lambda: valid.unbind(0))
        early = len(valid_slots)
        for s in range(steps):
            if not window:
                index_select(states, 0, step_index[s], out=columns[s])
            # pre-activations in the cell's buffer (saved rows, or h itself)
            out = outs[s]
            addmm_(out, weight, columns[s])
            h = h_slots[s + 1]
            if c_slots is None:
                forward(gates[s], h_slots[s], None, n, h, None)
                if s < early:
                    h.mul_(valid_slots[s])
                continue
            c = c_slots[s + 1]
            forward(gates[s], h_slots[s], c_slots[s], n, h, c)
            if s < early:
                h.mul_(valid_slots[s])
                c.mul_(valid_slots[s])
        result = (
            torch.take(states, read_index)
            if read_index is not None
            else states[pad * n :].view(steps, n, batch).clone()
        )
        if any(ctx.needs_input_grad[:5]):
            ctx.inputs = (x.shape, _shape(weight_ih), weight_hh.shape, bias_ih is not None)
            ctx.compact = compact
            ctx.projection_factors = (weight_x, x_flat)
            ctx.plan, ctx.time, ctx.window, ctx.matrices = plan, time, window, products
            ctx.saved = (values, index, valid, read_index)
            ctx.lease = Lease(workspace, states=states, cells=cells, inputs=inputs, saved=saved)
        else:
            workspace.give(states=states, cells=cells, inputs=inputs, saved=saved)
        return result

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_result):
        values, index, valid, read_index = ctx.saved
        buffers = ctx.lease.buffers
        states, cells, inputs, saved = (buffers[k] for k in ("states", "cells", "inputs", "saved"))
        plan, time, window = ctx.plan, ctx.time, ctx.window
        n, pad, width, k = plan.num_neurons, plan.pad, plan.width, plan.num_columns
        steps, batch = saved.shape[0], saved.shape[2]
        cell = plan.step
        workspace = plan.workspace
        weight_t = ctx.matrices[1]
        grad_h = workspace.take("grad_h", tuple(states.shape), states).zero_()
        if read_index is not None:
            grad_h.view(-1).index_put_((read_index,), grad_result, accumulate=True)
        else:
            grad_h.narrow(0, pad * n, steps * n).copy_(grad_result.reshape(steps * n, batch))
        grad_pre = workspace.take("grad_pre", (width, steps, batch), states)
        coefficients = workspace.take(
            "coefficients", (steps, cell.coefficient_rows(n), batch), states
        )
        grad_c = states.new_zeros(n, batch) if cells is not None else None
        h_all = states.view(pad + steps, n, batch)
        c_all = cells.view(1 + steps, n, batch) if cells is not None else None
        cell.prepare(
            h_all[pad:],
            h_all[pad - 1 : pad - 1 + steps],
            c_all[1:] if c_all is not None else None,
            c_all[:-1] if c_all is not None else None,
            saved,
            coefficients,
            n,
        )
        views = workspace.views
        step_data = views(
            "step_data",
            (saved, grad_pre, coefficients),
            lambda: cell.views(saved, grad_pre, coefficients, n),
        )
        dh_slots = views(
            "dh", (grad_h,), lambda: grad_h.view(pad + steps, n, batch).unbind(0)[pad - 1 :]
        )
        grad_a_slots = views("grad_a", (grad_pre,), lambda: grad_pre.unbind(1))
        if window:
            grad_windows = views("grad_windows", (grad_h,), lambda: windows(grad_h, steps, n, pad))
        else:
            step_index = views("step_index", (index,), lambda: index.unbind(0))
        backward = cell.backward
        valid_slots = views("valid", (valid,), lambda: valid.unbind(0))
        early = len(valid_slots)
        for s in range(steps - 1, -1, -1):
            dh = dh_slots[s + 1]
            if s < early:
                dh.mul_(valid_slots[s])
                grad_c = grad_c * valid_slots[s] if grad_c is not None else None
            grad_c = backward(dh, grad_c, dh_slots[s], step_data[s])
            if window:
                if k:
                    grad_windows[s].addmm_(weight_t, grad_a_slots[s])
            elif k:
                grad_h.index_add_(0, step_index[s], weight_t @ grad_a_slots[s])
        if window:
            inputs = workspace.take("inputs", (k, steps, batch), states)
            by_column = workspace.constant(("by_column", steps, index.device), index.t().flatten)
            torch.index_select(states, 0, by_column, out=inputs.view(k * steps, batch))
        grad_values = connection_gradients(
            plan, grad_pre.view(width, -1), inputs.view(k, steps * batch)
        )
        grad_bias = grad_pre.sum((1, 2))
        # (width, S, B) -> (input rows, B, time); advanced indexing copies
        grad_projection = grad_pre.index_select(0, plan.input_rows)
        grad_projection = grad_projection[:, :time].transpose(1, 2)
        workspace.give(grad_h=grad_h, grad_pre=grad_pre, coefficients=coefficients)
        if window:
            workspace.give(inputs=inputs)
        return (
            *_parameter_gradients(
                plan, ctx, grad_projection, grad_bias, grad_values, *ctx.projection_factors
            ),
            None,
            None,
            None,
            None,
        )
