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
equations. The whole sweep is one ``torch.autograd.Function`` with a hand-written backward
pass (backpropagation through time in the same schedule) that computes the gradient of every
connection with one sampled matrix product at the end. That is what lets a sparse structured
RNN train an order of magnitude faster than stepping through layers and time in Python (see
``benchmarks/bench_structured_rnn.py``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch.autograd.function import once_differentiable

from models.recurrent_cells import get_cell

__all__ = ["WavefrontPlan", "wavefront_states"]

# Per-step products use a CSR matrix when the connection matrix is at least this large
# (rows x columns) and at most this dense; below that a dense product is faster.
_SPARSE_MIN_SIZE = 4096
_SPARSE_MAX_DENSITY = 0.15


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
            sparse=width * k >= _SPARSE_MIN_SIZE and density <= _SPARSE_MAX_DENSITY,
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
    rows = plan.input_rows.to(device)
    weight_x = weight_ih[rows, : plan.num_inputs] * plan.input_mask.to(device)
    # (rows, inputs) @ (time, inputs, batch) -> (time, rows, batch): feature-major layout
    projection = weight_x @ x.permute(1, 2, 0)
    values = torch.cat([weight_ih.reshape(-1), weight_hh.reshape(-1)])[
        plan.parameter_index.to(device)
    ]
    if bias_ih is None:
        bias = x.new_zeros(plan.width)
    elif plan.cell == "gru":
        bias = torch.cat([bias_ih[: 2 * n] + bias_hh[: 2 * n], bias_ih[2 * n :], bias_hh[2 * n :]])
    else:
        bias = bias_ih + bias_hh
    read_index = None
    if read_steps is not None:
        batch = torch.arange(x.shape[0], device=device)[:, None]
        # flat position in the ((pad + S) * N, batch) state buffer
        read_index = ((plan.pad + read_steps) * n + read_neurons[None, :]) * x.shape[0] + batch
    states = _Wavefront.apply(projection, bias, values, plan, steps, read_index)
    return states if read_index is not None else states.permute(2, 0, 1)


class _Workspace:
    """One reusable buffer per name; a buffer is either lent out or kept here."""

    def __init__(self) -> None:
        self._free: dict[str, torch.Tensor] = {}

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
    connection gradients are one sampled product at the end.
    """

    @staticmethod
    def forward(ctx, projection, bias, values, plan, steps, read_index):
        n, pad, width, k = plan.num_neurons, plan.pad, plan.width, plan.num_columns
        time, _, batch = projection.shape
        device, dtype = projection.device, projection.dtype
        cell = _STEPS[plan.cell]
        workspace = plan.workspace
        weight, _ = _matrices(plan, values)
        bias = bias[:, None]
        base = workspace.take("base", (time, width, batch), projection)  # (time, width, batch)
        base.copy_(bias.expand(time, width, batch))
        base.index_add_(1, plan.input_rows.to(device), projection)
        index = plan.sources.to(device) + (plan.pad - plan.delays.to(device)) * n
        index = index[None, :] + torch.arange(steps, device=device)[:, None] * n  # (S, K)
        valid = plan.valid.to(device=device, dtype=dtype)[:, :, None]
        states = workspace.take("states", ((pad + steps) * n, batch), projection)
        states[: pad * n] = 0
        cells = None
        if cell.has_cell_state:
            cells = workspace.take("cells", ((1 + steps) * n, batch), projection)
            cells[:n] = 0
        inputs = workspace.take("inputs", (k, steps, batch), projection)
        saved = workspace.take("saved", (steps, cell.saved_rows(n), batch), projection)
        # Per-step views, made once (slicing inside the loop costs more than the math).
        h_slots = states.view(pad + steps, n, batch).unbind(0)[pad - 1 :]  # [s] = h(s - 1)
        c_slots = cells.view(1 + steps, n, batch).unbind(0) if cells is not None else None
        bases = base.unbind(0)
        for s, (step_index, columns, step_saved) in enumerate(
            zip(index.unbind(0), inputs.unbind(1), saved.unbind(0), strict=True)
        ):
            torch.index_select(states, 0, step_index, out=columns)
            h = h_slots[s + 1]
            c, c_prev = (c_slots[s + 1], c_slots[s]) if c_slots is not None else (None, None)
            # pre-activations straight into the cell's buffer (saved rows, or h itself)
            out = step_saved if cell.saved_rows(n) else h
            torch.addmm(bases[s] if s < time else bias, weight, columns, out=out)
            cell.forward(out, h_slots[s], c_prev, n, h, c)
            if s < valid.shape[0]:
                h.mul_(valid[s])
                if c is not None:
                    c.mul_(valid[s])
        result = (
            states.view(-1)[read_index]
            if read_index is not None
            else states[pad * n :].view(steps, n, batch).clone()
        )
        if any(ctx.needs_input_grad[:3]):
            ctx.plan, ctx.time = plan, time
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
        plan, time = ctx.plan, ctx.time
        n, pad, width, k = plan.num_neurons, plan.pad, plan.width, plan.num_columns
        steps, batch = saved.shape[0], saved.shape[2]
        cell = _STEPS[plan.cell]
        workspace = plan.workspace
        _, weight_t = _matrices(plan, values)
        grad_h = workspace.take("grad_h", tuple(states.shape), states).zero_()
        if read_index is not None:
            grad_h.view(-1).index_put_((read_index,), grad_result, accumulate=True)
        else:
            grad_h[pad * n :] = grad_result.reshape(steps * n, batch)
        grad_pre = workspace.take("grad_pre", (width, steps, batch), states)
        grad_c = states.new_zeros(n, batch) if cells is not None else None
        h_slots = states.view(pad + steps, n, batch).unbind(0)[pad - 1 :]
        dh_slots = grad_h.view(pad + steps, n, batch).unbind(0)[pad - 1 :]
        c_slots = cells.view(1 + steps, n, batch).unbind(0) if cells is not None else None
        steps_data = zip(index.unbind(0), grad_pre.unbind(1), saved.unbind(0), strict=True)
        for s, (step_index, grad_a, step_saved) in reversed(list(enumerate(steps_data))):
            dh = dh_slots[s + 1]
            if s < valid.shape[0]:
                dh = dh * valid[s]
                grad_c = grad_c * valid[s] if grad_c is not None else None
            c, c_prev = (c_slots[s + 1], c_slots[s]) if c_slots is not None else (None, None)
            dh_prev, grad_c = cell.backward(
                dh, grad_c, h_slots[s + 1], h_slots[s], c, c_prev, step_saved, grad_a, n
            )
            if dh_prev is not None:
                dh_slots[s].add_(dh_prev)
            if k:
                grad_h.index_add_(0, step_index, weight_t @ grad_a)
        grad_values = _connection_gradients(
            plan, grad_pre.view(width, -1), inputs.view(k, steps * batch)
        )
        grad_bias = grad_pre.sum((1, 2))
        # (width, S, B) -> (time, input rows, B); advanced indexing copies
        grad_projection = grad_pre[plan.input_rows.to(grad_pre.device), :time].transpose(0, 1)
        workspace.give(grad_h=grad_h, grad_pre=grad_pre)
        return grad_projection, grad_bias, grad_values, None, None, None


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
# state into ``h`` (and ``c``). ``backward(dh, dc, h, h_prev, c, c_prev, saved, grad_a, n)``
# writes the gradient of the pre-activations into ``grad_a`` and returns the gradients that
# flow directly to ``h_prev`` and ``c_prev``.


@dataclass(frozen=True)
class _CellMath:
    forward: Callable
    backward: Callable
    saved_rows: Callable[[int], int]  # rows saved per sweep step, given N
    has_cell_state: bool = False


def _tanh_forward(a, h_prev, c_prev, n, h, c):
    h.tanh_()  # a is h


def _tanh_backward(dh, dc, h, h_prev, c, c_prev, saved, grad_a, n):
    torch.mul(dh, torch.addcmul(_ONE, h, h, value=-1), out=grad_a)  # dh * (1 - h^2)
    return None, None


def _relu_forward(a, h_prev, c_prev, n, h, c):
    h.clamp_min_(0)  # a is h


def _relu_backward(dh, dc, h, h_prev, c, c_prev, saved, grad_a, n):
    torch.mul(dh, h > 0, out=grad_a)
    return None, None


def _gru_forward(a, h_prev, c_prev, n, h, c):
    # a: [r, z | candidate, input part | candidate, recurrent part] (4n rows); becomes
    # [r, z | candidate | candidate, recurrent part]
    rz = a[: 2 * n].sigmoid_()
    r, z = rz[:n], rz[n:]
    candidate = a[2 * n : 3 * n]
    candidate.addcmul_(r, a[3 * n :]).tanh_()
    torch.lerp(candidate, h_prev, z, out=h)  # (1 - z) * candidate + z * h_prev


def _gru_backward(dh, dc, h, h_prev, c, c_prev, saved, grad_a, n):
    rz, candidate, recurrent = saved[: 2 * n], saved[2 * n : 3 * n], saved[3 * n :]
    r, z = rz[:n], rz[n:]
    dh_z = dh * z
    tanh_slope = torch.addcmul(_ONE, candidate, candidate, value=-1)  # 1 - candidate^2
    d_candidate = torch.mul(dh - dh_z, tanh_slope, out=grad_a[2 * n : 3 * n])
    torch.mul(d_candidate, r, out=grad_a[3 * n :])
    slope = torch.addcmul(rz, rz, rz, value=-1)  # sigmoid derivatives of r and z
    torch.mul(d_candidate * recurrent, slope[:n], out=grad_a[:n])
    torch.mul(dh * (h_prev - candidate), slope[n:], out=grad_a[n : 2 * n])
    return dh_z, None


def _lstm_forward(a, h_prev, c_prev, n, h, c):
    # a: [i, f, g, o] pre-activations, becomes the activations
    a[2 * n : 3 * n].tanh_()
    a[: 2 * n].sigmoid_()
    a[3 * n :].sigmoid_()
    i, f, g, o = a[:n], a[n : 2 * n], a[2 * n : 3 * n], a[3 * n :]
    torch.addcmul(f * c_prev, i, g, out=c)
    torch.mul(o, torch.tanh(c), out=h)


def _lstm_backward(dh, dc, h, h_prev, c, c_prev, saved, grad_a, n):
    i, f, g, o = saved[:n], saved[n : 2 * n], saved[2 * n : 3 * n], saved[3 * n :]
    tanh_c = torch.tanh(c)
    dc = torch.addcmul(dc, dh * o, torch.addcmul(_ONE, tanh_c, tanh_c, value=-1))
    slope = torch.addcmul(saved, saved, saved, value=-1)  # sigmoid derivatives (i, f, o rows)
    torch.mul(dc * g, slope[:n], out=grad_a[:n])
    torch.mul(dc * c_prev, slope[n : 2 * n], out=grad_a[n : 2 * n])
    torch.mul(dc * i, torch.addcmul(_ONE, g, g, value=-1), out=grad_a[2 * n : 3 * n])
    torch.mul(dh * tanh_c, slope[3 * n :], out=grad_a[3 * n :])
    return None, dc * f


_ONE = torch.ones(())
_STEPS = {
    "tanh": _CellMath(_tanh_forward, _tanh_backward, lambda n: 0),
    "relu": _CellMath(_relu_forward, _relu_backward, lambda n: 0),
    "lstm": _CellMath(_lstm_forward, _lstm_backward, lambda n: 4 * n, has_cell_state=True),
    "gru": _CellMath(_gru_forward, _gru_backward, lambda n: 4 * n),
}
