"""Wavefront recurrence: run every layer of a layered recurrent network in one sweep.

A structured RNN (see :mod:`models.structured_rnn`) has neurons in DAG layers; within one time
step, layer ``L`` needs the outputs of earlier layers *at the same step*, and its own states
from the previous step. Running layer after layer costs ``time x depth`` sequential cell
steps. The *wavefront* schedule lets layer ``L`` process time ``t = s - L`` at sweep step
``s``, so all layers advance together and the sweep takes ``time + depth - 1`` steps:

* the recurrent input of a neuron (its layer, time ``t - 1``) was produced one sweep step
  earlier;
* the input along a connection ``u -> v`` between layers (time ``t``) was produced
  ``layer(v) - layer(u)`` sweep steps earlier (the connection's *delay*; skip-layer edges
  have delays above 1).

A sweep step gathers the delayed states it needs (one ``index_select``), multiplies them by
the sparse matrix of all connections of all gates (one product) and applies the cell's gate
equations; on small dense networks it skips the gather and multiplies the contiguous window
of the last ``pad`` steps' states instead (per-op overhead dominates there). The whole
sweep is one ``torch.autograd.Function`` with a hand-written backward pass
(backpropagation through time in the same schedule) that computes the gradient of every
connection with one sampled matrix product at the end. That is what lets a sparse structured
RNN train an order of magnitude faster than stepping through layers and time in Python (see
``benchmarks/bench_structured_rnn.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.autograd.function import once_differentiable

from models.recurrent_cells import get_cell

__all__ = ["WavefrontPlan", "wavefront_states"]

# Per-step products use a CSR matrix when the connection matrix is at least this large
# (rows x columns) and at most this dense; below that a dense product is faster.
_SPARSE_MIN_SIZE = 4096
_SPARSE_MAX_DENSITY = 0.15
# Dense plans multiply the whole window of the last ``pad`` steps' states (no gather, no
# scatter per step) when that matrix is at most this large or at most twice the gathered one.
_WINDOW_MAX_SIZE = 8192


@dataclass(frozen=True, eq=False)
class WavefrontPlan:
    """Precomputed schedule of a layered recurrent network.

    Neurons are numbered ``0 .. N - 1``; parameters are gate-stacked over that numbering
    (row ``g * N + v`` is neuron ``v`` in gate ``g``), as in torch. A sweep step computes the
    pre-activations of ``width`` rows (``gates * N``; ``4 * N`` for GRU, whose candidate gate
    keeps its input and recurrent parts in separate rows because the reset gate scales only
    the recurrent part) from ``K`` *columns*: column ``k`` is the state of neuron
    ``sources[k]`` produced ``delays[k]`` sweep steps earlier.

    Attributes
    ----------
    cell, num_neurons, gates, width:
        Cell name, ``N``, gate blocks and rows of a sweep step.
    layer:
        ``(N,)`` layer of every neuron.
    sources, delays:
        ``(K,)`` source neuron and delay of every column.
    pad:
        Largest delay (at least 1): zero sweep steps kept before step 0.
    rows, columns, crow:
        The connections (one per unmasked weight entry) in CSR order: row and column in the
        ``(width, K)`` sweep matrix, and CSR row pointers.
    parameter_index:
        Index of every connection's weight in ``cat([weight_ih.flatten(), weight_hh.flatten()])``.
    transpose_order, transpose_crow, transpose_columns:
        The same connections as a CSR pattern of the transposed ``(K, width)`` matrix.
    num_inputs:
        Features of the external input (the first columns of ``weight_ih``).
    input_rows, input_mask:
        Rows that receive the external input (gate rows of layer-0 neurons) and their
        ``(rows, num_inputs)`` mask.
    valid:
        ``(max layer, N)`` bool: neuron ``v`` has started (``layer(v) <= s``) at early step ``s``.
    sparse:
        Whether sweep steps use CSR products.
    window, window_index:
        Whether dense sweep steps read the contiguous window of the last ``pad`` steps'
        states (``(pad * N, B)``, a view) instead of gathering the ``K`` columns (ignored
        when ``sparse``), and the flat position of every connection in the ``(width, pad * N)``
        matrix that multiplies the window.
    workspace:
        Work buffers kept between sweeps (fresh multi-megabyte buffers cost page faults).
    """

    cell: str
    num_neurons: int
    gates: int
    width: int
    layer: torch.Tensor
    sources: torch.Tensor
    delays: torch.Tensor
    pad: int
    rows: torch.Tensor
    columns: torch.Tensor
    crow: torch.Tensor
    parameter_index: torch.Tensor
    transpose_order: torch.Tensor
    transpose_crow: torch.Tensor
    transpose_columns: torch.Tensor
    num_inputs: int
    input_rows: torch.Tensor
    input_mask: torch.Tensor
    valid: torch.Tensor
    sparse: bool
    window: bool
    window_index: torch.Tensor
    workspace: _Workspace = field(default_factory=lambda: _Workspace(), repr=False)

    @property
    def num_columns(self) -> int:
        """``K``: (source, delay) pairs read by a sweep step."""
        return int(self.sources.numel())

    @classmethod
    def build(
        cls,
        cell: str,
        layer: torch.Tensor,
        ih_mask: torch.Tensor,
        hh_mask: torch.Tensor,
        *,
        num_inputs: int,
    ) -> WavefrontPlan:
        """Plan the sweep of a network from its gate-stacked masks.

        Parameters
        ----------
        cell:
            Cell name (see :func:`models.recurrent_cells.list_cells`).
        layer:
            ``(N,)`` non-negative layer of every neuron.
        ih_mask:
            ``(gates * N, num_inputs + N)`` bool. Entry ``[g * N + v, i]`` feeds input ``i``
            to neuron ``v`` (gate ``g``), only layer-0 neurons may have inputs; entry
            ``[g * N + v, num_inputs + u]`` connects neuron ``u`` to ``v`` within a time step
            and requires ``layer[u] < layer[v]``.
        hh_mask:
            ``(gates * N, N)`` bool; ``[g * N + v, u]`` connects ``u`` at time ``t - 1`` to
            ``v`` at ``t``. Requires ``layer[u] == layer[v]``.
        num_inputs:
            Features of the external input.

        Raises
        ------
        ValueError
            If a connection breaks the layer order above or the cell has no gate equations.
        """
        if cell not in _STEPS:
            raise ValueError(
                f"The 'cell' parameter of WavefrontPlan.build must be one of {sorted(_STEPS)}. "
                f"Got {cell!r} instead."
            )
        gates = get_cell(cell).gates
        layer = torch.as_tensor(layer, dtype=torch.int64).cpu()
        n = layer.numel()
        ih_mask, hh_mask = ih_mask.cpu(), hh_mask.cpu()
        ff_row, ff_source = torch.nonzero(ih_mask[:, num_inputs:], as_tuple=True)
        hh_row, hh_source = torch.nonzero(hh_mask, as_tuple=True)
        ff_delay = layer[ff_row % n] - layer[ff_source]
        if bool((ff_delay < 1).any()):
            raise ValueError(
                "WavefrontPlan.build: a feed-forward connection must go to a later layer; "
                f"{int((ff_delay < 1).sum())} do not."
            )
        if bool((layer[hh_row % n] != layer[hh_source]).any()):
            raise ValueError(
                "WavefrontPlan.build: a recurrent connection must stay within its layer."
            )
        in_rows = torch.nonzero(ih_mask[:, :num_inputs].any(1)).flatten()
        if bool((layer[in_rows % n] != 0).any()):
            raise ValueError("WavefrontPlan.build: the input may only feed layer-0 neurons.")

        width = 4 * n if cell == "gru" else gates * n
        hh_out = hh_row.clone()
        if cell == "gru":  # recurrent part of the candidate gate -> rows 3N .. 4N
            hh_out[hh_row >= 2 * n] += n
        delay = torch.cat([ff_delay, torch.ones_like(hh_source)])
        source = torch.cat([ff_source, hh_source])
        row = torch.cat([ff_row, hh_out])
        ih_width = num_inputs + n
        parameter_index = torch.cat(
            [
                ff_row * ih_width + num_inputs + ff_source,
                gates * n * ih_width + hh_row * n + hh_source,
            ]
        )
        # Columns: unique (delay, source) pairs.
        keys, column = torch.unique(delay * n + source, return_inverse=True)
        delays, sources = keys // n, keys % n
        k = int(keys.numel())
        order = torch.argsort(row * max(k, 1) + column)
        row, column, parameter_index = row[order], column[order], parameter_index[order]
        transpose_order = torch.argsort(column * width + row)
        nnz = int(row.numel())
        density = nnz / max(1, width * k)
        depth = int(layer.max()) if n else 0
        pad = max(1, int(delays.max()) if k else 1)
        sparse = width * k >= _SPARSE_MIN_SIZE and density <= _SPARSE_MAX_DENSITY
        window_size = width * pad * n
        return cls(
            cell=cell,
            num_neurons=n,
            gates=gates,
            width=width,
            layer=layer,
            sources=sources,
            delays=delays,
            pad=pad,
            rows=row,
            columns=column,
            crow=_crow(row, width),
            parameter_index=parameter_index,
            transpose_order=transpose_order,
            transpose_crow=_crow(column[transpose_order], k),
            transpose_columns=row[transpose_order],
            num_inputs=num_inputs,
            input_rows=in_rows,
            input_mask=ih_mask[in_rows, :num_inputs],
            valid=layer[None, :] <= torch.arange(depth)[:, None],
            sparse=sparse,
            window=window_size <= max(_WINDOW_MAX_SIZE, 2 * width * k),
            window_index=row * (pad * n) + ((pad - delays) * n + sources)[column],
        )


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

    Returns
    -------
    Without reads: ``(batch, S, N)``, entry ``[b, s, v]`` the state ``h`` of neuron ``v`` at
    time ``s - layer(v)`` (zero while that time is negative). With reads: ``(batch, F)``,
    entry ``[b, f]`` the state of ``read_neurons[f]`` at sweep step ``read_steps[b, f]``.
    """
    n, device = plan.num_neurons, x.device
    read_index = None
    if read_steps is not None:
        batch = torch.arange(x.shape[0], device=device)[:, None]
        # flat position in the ((pad + S) * N, batch) state buffer
        read_index = ((plan.pad + read_steps) * n + read_neurons[None, :]) * x.shape[0] + batch
    states = _Wavefront.apply(x, weight_ih, weight_hh, bias_ih, bias_hh, plan, steps, read_index)
    return states if read_index is not None else states.permute(2, 0, 1)


def _sweep_inputs(plan, x, weight_ih, weight_hh, bias_ih, bias_hh):
    """What the sweep reads: input projection ``(input rows, batch, time)``, bias ``(width,)``
    and connection values ``(connections,)``; plus the projection's two factors."""
    n, device = plan.num_neurons, x.device
    # (method calls, not Python indexing: this runs on every forward)
    weight_x = weight_ih.index_select(0, plan.input_rows.to(device))[:, : plan.num_inputs]
    weight_x = weight_x * plan.input_mask.to(device)
    # (rows, inputs) @ (inputs, batch * time) -> (rows, batch, time): one plain product with a
    # long output row (the fastest shape for few rows); the sweep reads a (time, rows, batch) view
    batch, time = x.shape[:2]
    x_flat = x.reshape(batch * time, plan.num_inputs)
    projection = (weight_x @ x_flat.t()).view(-1, batch, time)
    values = torch.cat([weight_ih.reshape(-1), weight_hh.reshape(-1)]).index_select(
        0, plan.parameter_index.to(device)
    )
    if bias_ih is None:
        bias = x.new_zeros(plan.width)
    elif plan.cell == "gru":
        bias = torch.cat([bias_ih[: 2 * n] + bias_hh[: 2 * n], bias_ih[2 * n :], bias_hh[2 * n :]])
    else:
        bias = bias_ih + bias_hh
    return projection, bias, values, weight_x, x_flat


def _parameter_gradients(plan, ctx, grad_projection, grad_bias, grad_values, weight_x, x_flat):
    """Gradients of ``x``, ``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh`` (the
    backward pass of :func:`_sweep_inputs`); None for inputs that need none."""
    x_shape, ih_shape, hh_shape, has_bias = ctx.inputs
    needs = ctx.needs_input_grad
    n, device = plan.num_neurons, grad_bias.device
    rows = plan.input_rows.to(device)
    grad_projection = grad_projection.reshape(rows.numel(), x_flat.shape[0])  # (rows, B * T)
    grad_x = None
    if needs[0]:
        grad_x = (grad_projection.t() @ weight_x).view(x_shape)
    grad_ih = grad_hh = None
    if needs[1] or needs[2]:
        ih_size = ih_shape[0] * ih_shape[1]
        flat = grad_values.new_zeros(ih_size + hh_shape[0] * hh_shape[1])
        flat.index_copy_(0, plan.parameter_index.to(device), grad_values)
        grad_ih, grad_hh = flat[:ih_size].view(ih_shape), flat[ih_size:].view(hh_shape)
        grad_x_weight = (grad_projection @ x_flat) * plan.input_mask.to(device)
        grad_ih[:, : plan.num_inputs].index_copy_(0, rows, grad_x_weight)
    grad_bias_ih = grad_bias_hh = None
    if has_bias:
        if plan.cell == "gru":
            grad_bias_ih = grad_bias[: 3 * n]
            grad_bias_hh = torch.cat([grad_bias[: 2 * n], grad_bias[3 * n :]])
        else:
            grad_bias_ih, grad_bias_hh = grad_bias, grad_bias.clone()
    return (
        grad_x,
        grad_ih if needs[1] else None,
        grad_hh if needs[2] else None,
        grad_bias_ih if needs[3] else None,
        grad_bias_hh if needs[4] else None,
    )


class _Workspace:
    """One reusable buffer per name; a buffer is either lent out or kept here."""

    def __init__(self) -> None:
        self._free: dict[str, torch.Tensor] = {}
        self._constants: dict[tuple, torch.Tensor] = {}
        self._views: dict[str, tuple[tuple[torch.Tensor, ...], Any]] = {}

    def take(self, name: str, shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
        """An uninitialised buffer of ``shape`` with ``like``'s dtype and device."""
        buffer = self._free.pop(name, None)
        if (
            buffer is None
            or tuple(buffer.shape) != shape
            or buffer.dtype != like.dtype
            or buffer.device != like.device
        ):
            buffer = like.new_empty(shape)
        return buffer

    def give(self, **buffers: torch.Tensor | None) -> None:
        """Return buffers for later sweeps."""
        self._free.update((name, b) for name, b in buffers.items() if b is not None)

    def views(self, name: str, buffers: tuple[torch.Tensor, ...], make: Callable[[], Any]) -> Any:
        """``make()`` (views of ``buffers``), made again only when a buffer was replaced.

        Per-step views of the work buffers cost about a microsecond each; a sweep uses
        hundreds, and the buffers rarely change between sweeps.
        """
        entry = self._views.get(name)
        if entry is None or not _same(entry[0], buffers):
            entry = self._views[name] = (buffers, make())
        return entry[1]

    def constant(self, key: tuple, make: Callable[[], torch.Tensor]) -> torch.Tensor:
        """The tensor ``make()`` returned for ``key`` (made once; never written to)."""
        value = self._constants.get(key)
        if value is None:
            value = self._constants[key] = make()
        return value


def _same(old: tuple[torch.Tensor, ...], new: tuple[torch.Tensor, ...]) -> bool:
    """Whether two tuples hold the very same tensor objects."""
    return len(old) == len(new) and all(a is b for a, b in zip(old, new, strict=True))


class _Lease:
    """Buffers a sweep's autograd node holds; they go back to the workspace when it dies."""

    def __init__(self, workspace: _Workspace, **buffers: torch.Tensor | None) -> None:
        self.workspace, self.buffers = workspace, buffers

    def __del__(self) -> None:
        self.workspace.give(**self.buffers)


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
    def forward(ctx, x, weight_ih, weight_hh, bias_ih, bias_hh, plan, steps, read_index):
        n, pad, width, k = plan.num_neurons, plan.pad, plan.width, plan.num_columns
        projection, bias, values, weight_x, x_flat = _sweep_inputs(
            plan, x, weight_ih, weight_hh, bias_ih, bias_hh
        )
        _, batch, time = projection.shape
        device, dtype = projection.device, projection.dtype
        cell = _STEPS[plan.cell]
        workspace = plan.workspace
        window = plan.window and not plan.sparse
        matrices = _window_matrices(plan, values) if window else _matrices(plan, values)
        weight = matrices[0]
        bias = bias.unsqueeze(1)
        base = workspace.take("base", (time, width, batch), projection)  # (time, width, batch)
        base.copy_(bias.expand(time, width, batch))
        base.index_add_(1, plan.input_rows.to(device), projection.permute(2, 0, 1))
        index = workspace.constant(
            ("index", steps, device), lambda: _column_index(plan, steps, device)
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
        # Per-step views, made once (slicing inside the loop costs more than the math).
        views = workspace.views
        h_slots = views(  # [s] = h(s - 1)
            "h", (states,), lambda: states.view(pad + steps, n, batch).unbind(0)[pad - 1 :]
        )
        c_slots = None
        if cells is not None:
            c_slots = views("c", (cells,), lambda: cells.view(1 + steps, n, batch).unbind(0))
        bases = views("bases", (base,), lambda: base.unbind(0))
        outs = views("outs", (saved,), lambda: saved.unbind(0)) if saved_rows else h_slots[1:]
        inputs = None
        if window:  # [s]: states of steps s - pad .. s - 1
            columns = views("windows", (states,), lambda: _windows(states, steps, n, pad))
        else:
            inputs = workspace.take("inputs", (k, steps, batch), projection)
            columns = views("columns", (inputs,), lambda: inputs.unbind(1))
            step_index = views("step_index", (index,), lambda: index.unbind(0))
        forward, addmm, index_select = cell.forward, torch.addmm, torch.index_select
        step_bases = (*bases, *(bias,) * (steps - time))
        valid_slots = views("valid", (valid,), lambda: valid.unbind(0))
        early = len(valid_slots)
        for s in range(steps):
            if not window:
                index_select(states, 0, step_index[s], out=columns[s])
            # pre-activations straight into the cell's buffer (saved rows, or h itself)
            out = outs[s]
            addmm(step_bases[s], weight, columns[s], out=out)
            h = h_slots[s + 1]
            if c_slots is None:
                forward(out, h_slots[s], None, n, h, None)
                if s < early:
                    h.mul_(valid_slots[s])
                continue
            c = c_slots[s + 1]
            forward(out, h_slots[s], c_slots[s], n, h, c)
            if s < early:
                h.mul_(valid_slots[s])
                c.mul_(valid_slots[s])
        result = (
            torch.take(states, read_index)
            if read_index is not None
            else states[pad * n :].view(steps, n, batch).clone()
        )
        if any(ctx.needs_input_grad[:5]):
            ctx.inputs = (x.shape, weight_ih.shape, weight_hh.shape, bias_ih is not None)
            ctx.projection_factors = (weight_x, x_flat)
            ctx.plan, ctx.time, ctx.window, ctx.matrices = plan, time, window, matrices
            ctx.saved = (values, index, valid, read_index)
            ctx.lease = _Lease(workspace, states=states, cells=cells, inputs=inputs, saved=saved)
        else:
            workspace.give(states=states, cells=cells, inputs=inputs, saved=saved)
        workspace.give(base=base)
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
        cell = _STEPS[plan.cell]
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
            grad_windows = views("grad_windows", (grad_h,), lambda: _windows(grad_h, steps, n, pad))
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
        grad_values = _connection_gradients(
            plan, grad_pre.view(width, -1), inputs.view(k, steps * batch)
        )
        grad_bias = grad_pre.sum((1, 2))
        # (width, S, B) -> (input rows, B, time); advanced indexing copies
        grad_projection = grad_pre.index_select(0, plan.input_rows.to(grad_pre.device))
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
        )


def _windows(buffer: torch.Tensor, steps: int, n: int, pad: int) -> tuple[torch.Tensor, ...]:
    """Views ``buffer[s * N : (s + pad) * N]`` (s < steps) of a ``((pad + S) * N, B)`` buffer."""
    batch = buffer.shape[1]
    return buffer.as_strided((steps, pad * n, batch), (n * batch, batch, 1)).unbind(0)


def _column_index(plan: WavefrontPlan, steps: int, device: torch.device) -> torch.Tensor:
    """``(S, K)``: row of the states buffer that holds column ``k`` at sweep step ``s``."""
    n = plan.num_neurons
    index = plan.sources + (plan.pad - plan.delays) * n
    return (index[None, :] + torch.arange(steps)[:, None] * n).to(device)


def _window_matrices(plan: WavefrontPlan, values: torch.Tensor):
    """The dense ``(width, pad * N)`` matrix that multiplies a window of states, and its
    transpose."""
    size = plan.width * plan.pad * plan.num_neurons
    weight = values.new_zeros(size).index_copy_(0, plan.window_index.to(values.device), values)
    weight = weight.view(plan.width, -1)
    return weight, weight.t()


def _matrices(plan: WavefrontPlan, values: torch.Tensor):
    """The ``(width, K)`` connection matrix and its transpose, CSR or dense."""
    shape = (plan.width, plan.num_columns)
    if plan.sparse:
        with warnings.catch_warnings():  # "sparse CSR support is in beta"
            warnings.simplefilter("ignore", UserWarning)
            weight = torch.sparse_csr_tensor(plan.crow, plan.columns, values, shape)
            weight_t = torch.sparse_csr_tensor(
                plan.transpose_crow,
                plan.transpose_columns,
                values[plan.transpose_order],
                shape[::-1],
            )
        return weight, weight_t
    weight = values.new_zeros(shape)
    weight[plan.rows, plan.columns] = values
    return weight, weight.t()


def _connection_gradients(plan, grad_pre: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """``(grad_pre @ inputs.T)`` at the connections only: ``(width, S*B)``, ``(K, S*B)``."""
    if plan.rows.numel() == 0:
        return grad_pre.new_zeros(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pattern = torch.sparse_csr_tensor(
            plan.crow,
            plan.columns,
            grad_pre.new_zeros(plan.rows.numel()),
            (plan.width, plan.num_columns),
        )
        return torch.sparse.sampled_addmm(pattern, grad_pre, inputs.t(), beta=0.0).values()


def _crow(sorted_rows: torch.Tensor, num_rows: int) -> torch.Tensor:
    """CSR row pointers of entries sorted by row."""
    crow = torch.zeros(num_rows + 1, dtype=torch.int64)
    crow[1:] = torch.bincount(sorted_rows, minlength=num_rows).cumsum(0)
    return crow


# Gate equations in torch's conventions, on feature-major blocks (rows = neurons or gate rows,
# columns = batch). ``forward(a, h_prev, c_prev, n, h, c)`` gets the pre-activations ``a`` of
# one sweep step (written either into the cell's saved rows, or into ``h`` when the cell
# saves nothing), turns them in place into what the backward pass needs and writes the new
# state into ``h`` (and ``c``).
#
# The backward pass first calls ``prepare(h, h_prev, c, c_prev, saved, coefficients, n)``
# once, on all steps at once (``(S, rows, B)`` views): it writes every factor of the local
# derivatives that does not depend on the incoming gradient into ``coefficients``
# (``(S, coefficient rows, B)``), so the per-step work is a few products.
# ``views(saved, grad_pre, coefficients, n)`` (``grad_pre`` is ``(width, S, B)``) lists the
# per-step views ``backward`` needs (cached with the buffers). ``backward(dh, dc, dh_prev,
# data)`` writes the gradient of step ``s``'s pre-activations into its ``grad_pre`` view, adds
# what flows directly to ``h_prev`` into ``dh_prev`` and returns the gradient of ``c_prev``.


@dataclass(frozen=True)
class _CellMath:
    forward: Callable
    prepare: Callable
    views: Callable
    backward: Callable
    saved_rows: Callable[[int], int]  # rows saved per sweep step, given N
    coefficient_rows: Callable[[int], int]  # rows of backward coefficients per step, given N
    has_cell_state: bool = False


def _tanh_forward(a, h_prev, c_prev, n, h, c):
    h.tanh_()  # a is h


def _tanh_prepare(h, h_prev, c, c_prev, saved, coefficients, n):
    torch.addcmul(_ONE, h, h, value=-1, out=coefficients)  # 1 - h^2


def _slope_views(saved, grad_pre, coefficients, n):
    return list(zip(coefficients.unbind(0), grad_pre.unbind(1), strict=True))


def _relu_forward(a, h_prev, c_prev, n, h, c):
    h.clamp_min_(0)  # a is h


def _relu_prepare(h, h_prev, c, c_prev, saved, coefficients, n):
    torch.sign(h, out=coefficients)  # h >= 0, so its sign is the slope (1 where h > 0)


def _slope_backward(dh, dc, dh_prev, data):
    slope, grad_a = data
    torch.mul(dh, slope, out=grad_a)
    return None


def _gru_forward(a, h_prev, c_prev, n, h, c):
    # a: [r, z | candidate, input part | candidate, recurrent part] (4n rows); becomes
    # [r, z | candidate | candidate, recurrent part]
    rz = a[: 2 * n].sigmoid_()
    r, z = rz[:n], rz[n:]
    candidate = a[2 * n : 3 * n]
    candidate.addcmul_(r, a[3 * n :]).tanh_()
    torch.lerp(candidate, h_prev, z, out=h)  # (1 - z) * candidate + z * h_prev


def _gru_prepare(h, h_prev, c, c_prev, saved, coefficients, n):
    # Gradients of the pre-activations, rows [r, z, candidate input, candidate recurrent]:
    # z and candidate input: dh * coefficients [z rows, candidate rows]; r and candidate
    # recurrent: d_candidate * coefficients [r rows, last rows].
    steps, batch = saved.shape[0], saved.shape[2]
    r, z, candidate, recurrent = saved.view(steps, 4, n, batch).unbind(1)
    rz = saved[:, : 2 * n]
    slope = torch.addcmul(rz, rz, rz, value=-1).view(steps, 2, n, batch)  # sigmoid slopes
    coef = coefficients.view(steps, 4, n, batch)
    torch.mul(recurrent, slope[:, 0], out=coef[:, 0])
    torch.mul(h_prev - candidate, slope[:, 1], out=coef[:, 1])
    tanh_slope = torch.addcmul(_ONE, candidate, candidate, value=-1)  # 1 - candidate^2
    torch.mul(torch.rsub(z, 1), tanh_slope, out=coef[:, 2])
    coef[:, 3].copy_(r)


def _gru_views(saved, grad_pre, coefficients, n):
    steps, batch = saved.shape[0], saved.shape[2]
    z = saved.view(steps, 4, n, batch)[:, 1]
    coef = coefficients.view(steps, 4, n, batch)
    grads = grad_pre.view(4, n, steps, batch)
    return list(
        zip(
            z.unbind(0),
            coef[:, 1:3].unbind(0),
            coef[:, ::3].unbind(0),
            grads[1:3].unbind(2),
            grads[::3].unbind(2),
            grads[2].unbind(1),
            strict=True,
        )
    )


def _gru_backward(dh, dc, dh_prev, data):
    z, coef_dh, coef_candidate, grad_dh, grad_candidate, d_candidate = data
    torch.mul(coef_dh, dh, out=grad_dh)  # z and candidate-input rows
    torch.mul(coef_candidate, d_candidate, out=grad_candidate)  # r and candidate-recurrent
    dh_prev.addcmul_(dh, z)
    return None


def _lstm_forward(a, h_prev, c_prev, n, h, c):
    # a: [i, f, g, o] pre-activations, becomes the activations
    a[2 * n : 3 * n].tanh_()
    a[: 2 * n].sigmoid_()
    a[3 * n :].sigmoid_()
    i, f, g, o = a[:n], a[n : 2 * n], a[2 * n : 3 * n], a[3 * n :]
    torch.addcmul(f * c_prev, i, g, out=c)
    torch.mul(o, torch.tanh(c), out=h)


def _lstm_prepare(h, h_prev, c, c_prev, saved, coefficients, n):
    # coefficients [i, f, g rows: dc factors | o rows: dh factor | dc from dh factor]
    steps, batch = saved.shape[0], saved.shape[2]
    i, f, g, o = saved.view(steps, 4, n, batch).unbind(1)
    slope = torch.addcmul(saved, saved, saved, value=-1).view(steps, 4, n, batch)
    coef = coefficients.view(steps, 5, n, batch)
    tanh_c = torch.tanh(c)
    torch.mul(g, slope[:, 0], out=coef[:, 0])
    torch.mul(c_prev, slope[:, 1], out=coef[:, 1])
    torch.mul(i, torch.addcmul(_ONE, g, g, value=-1), out=coef[:, 2])
    torch.mul(tanh_c, slope[:, 3], out=coef[:, 3])
    torch.mul(o, torch.addcmul(_ONE, tanh_c, tanh_c, value=-1), out=coef[:, 4])


def _lstm_views(saved, grad_pre, coefficients, n):
    steps, batch = saved.shape[0], saved.shape[2]
    f = saved.view(steps, 4, n, batch)[:, 1]
    coef = coefficients.view(steps, 5, n, batch)
    grads = grad_pre.view(4, n, steps, batch)
    return list(
        zip(
            f.unbind(0),
            coef[:, :3].unbind(0),
            coef[:, 3].unbind(0),
            coef[:, 4].unbind(0),
            grads[:3].unbind(2),
            grads[3].unbind(1),
            strict=True,
        )
    )


def _lstm_backward(dh, dc, dh_prev, data):
    f, coef_dc, coef_o, coef_c, grad_dc, grad_o = data
    dc = torch.addcmul(dc, dh, coef_c)
    torch.mul(coef_dc, dc, out=grad_dc)  # i, f, g rows
    torch.mul(dh, coef_o, out=grad_o)
    return dc * f


_ONE = torch.ones(())
_STEPS = {
    "tanh": _CellMath(
        _tanh_forward, _tanh_prepare, _slope_views, _slope_backward, lambda n: 0, lambda n: n
    ),
    "relu": _CellMath(
        _relu_forward, _relu_prepare, _slope_views, _slope_backward, lambda n: 0, lambda n: n
    ),
    "lstm": _CellMath(
        _lstm_forward,
        _lstm_prepare,
        _lstm_views,
        _lstm_backward,
        lambda n: 4 * n,
        lambda n: 5 * n,
        has_cell_state=True,
    ),
    "gru": _CellMath(
        _gru_forward, _gru_prepare, _gru_views, _gru_backward, lambda n: 4 * n, lambda n: 4 * n
    ),
}
