"""The schedule of a wavefront sweep (:class:`WavefrontPlan`): which delayed states every
sweep step reads, and where every connection sits in the sweep's product.

A plan is built once per mask (on the CPU, from the masks' integer structure) and then moved
with its module (:meth:`WavefrontPlan.to`), so every index tensor lives on the device the
sweep runs on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import torch

# (a module import: models.recurrent_cells imports this package's cell math while it loads)
from models import recurrent_cells
from models.wavefront.buffers import Workspace
from models.wavefront.cells import SweepStep

__all__ = ["WavefrontPlan", "sweep_step"]

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
    rows, columns:
        The connections (one per unmasked weight entry) in CSR order: row and column in the
        ``(width, K)`` sweep matrix.
    crow, csr_columns:
        CSR row pointers and column indices of that order, as int32 (the CPU's sparse kernels
        take int32 indices; int64 ones are converted on every product).
    parameter_index:
        Index of every connection's weight in ``cat([weight_ih.flatten(), weight_hh.flatten()])``.
    window_order, window_columns:
        The connections in CSR order of the ``(width, pad * N)`` *window* matrix (column
        ``(pad - delay) * N + source``, see ``window`` below; rows keep ``crow``): their
        order among the connections and their columns (int32).
    transpose_order, transpose_crow, transpose_columns:
        The same connections as a CSR pattern of the transposed window matrix
        ``(pad * N, width)`` (int32 indices).
    num_inputs:
        Features of the external input (the first columns of ``weight_ih``).
    input_rows, input_mask:
        Rows that receive the external input (gate rows of layer-0 neurons) and their
        ``(rows, num_inputs)`` mask.
    valid:
        ``(max layer, N)`` bool: neuron ``v`` has started (``layer(v) <= s``) at early step ``s``.
    sparse:
        Whether sweep steps use CSR products. A CSR product always multiplies the window
        matrix by the contiguous window of the last ``pad`` steps' states (no gather of
        columns, no scatter of their gradients per step).
    window, window_index:
        Whether dense sweep steps read the contiguous window of the last ``pad`` steps'
        states (``(pad * N, B)``, a view) instead of gathering the ``K`` columns (ignored
        when ``sparse``: CSR steps always read the window), and the flat position of every
        connection in the ``(width, pad * N)`` matrix that multiplies the window.
    step:
        The cell's sweep step math (bound to the cell in :mod:`models.recurrent_cells`).
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
    csr_columns: torch.Tensor
    parameter_index: torch.Tensor
    window_order: torch.Tensor
    window_columns: torch.Tensor
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
    step: SweepStep = field(repr=False)
    workspace: Workspace = field(default_factory=Workspace, repr=False)

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
        step = sweep_step(cell, where="WavefrontPlan.build")
        gates = recurrent_cells.get_cell(cell).gates
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

        width = step.width(gates, n)
        hh_out = hh_row.clone()
        if step.split_last_gate:  # recurrent part of the last gate -> rows gates*N .. width
            hh_out[hh_row >= (gates - 1) * n] += n
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
        nnz = int(row.numel())
        density = nnz / max(1, width * k)
        depth = int(layer.max()) if n else 0
        pad = max(1, int(delays.max()) if k else 1)
        window_width = pad * n
        window_column = ((pad - delays) * n + sources)[column]  # position in the window
        window_order = torch.argsort(row * window_width + window_column)
        transpose_order = torch.argsort(window_column * width + row)
        sparse = width * k >= _SPARSE_MIN_SIZE and density <= _SPARSE_MAX_DENSITY
        window_size = width * pad * n
        int32 = torch.int32
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
            crow=_crow(row, width).to(int32),
            csr_columns=column.to(int32),
            parameter_index=parameter_index,
            window_order=window_order,
            window_columns=window_column[window_order].to(int32),
            transpose_order=transpose_order,
            transpose_crow=_crow(window_column[transpose_order], window_width).to(int32),
            transpose_columns=row[transpose_order].to(int32),
            num_inputs=num_inputs,
            input_rows=in_rows,
            input_mask=ih_mask[in_rows, :num_inputs],
            valid=layer[None, :] <= torch.arange(depth)[:, None],
            sparse=sparse,
            window=window_size <= max(_WINDOW_MAX_SIZE, 2 * width * k),
            window_index=row * window_width + window_column,
            step=step,
        )

    @property
    def device(self) -> torch.device:
        """Device of the plan's index tensors (the device its sweeps run on)."""
        return self.rows.device

    def to(self, device: torch.device | str) -> WavefrontPlan:
        """The same plan with every tensor on ``device`` (itself when already there).

        The copy gets its own work buffers; the structure is shared.
        """
        device = torch.device(device)
        if self.device == device:
            return self
        moved = {
            f.name: getattr(self, f.name).to(device)
            for f in dataclasses.fields(self)
            if isinstance(getattr(self, f.name), torch.Tensor)
        }
        return dataclasses.replace(self, **moved, workspace=Workspace())


def sweep_step(cell: str, *, where: str) -> SweepStep:
    """The sweep step math registered with ``cell``.

    Raises
    ------
    ValueError
        If ``cell`` is not registered, or was registered without a sweep step (it can run in
        fused torch layers but not in the wavefront sweep); the message names the cell.
    """
    step = recurrent_cells.get_cell(cell, where=where).sweep
    if step is None:
        raise ValueError(
            f"{where}: the cell {cell!r} was registered without a wavefront sweep step "
            "(register_cell(..., sweep=SweepStep(...)), see models.wavefront.cells), so a "
            "structured RNN cannot run it. Cells with one: "
            f"{[c for c in recurrent_cells.list_cells() if recurrent_cells.get_cell(c).sweep]}."
        )
    return step


def _crow(sorted_rows: torch.Tensor, num_rows: int) -> torch.Tensor:
    """CSR row pointers of entries sorted by row."""
    crow = torch.zeros(num_rows + 1, dtype=torch.int64)
    crow[1:] = torch.bincount(sorted_rows, minlength=num_rows).cumsum(0)
    return crow
