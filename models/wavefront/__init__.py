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

Modules: :mod:`~models.wavefront.plan` (the schedule), :mod:`~models.wavefront.cells` (the
per-cell step math, bound to each cell in :mod:`models.recurrent_cells`),
:mod:`~models.wavefront.buffers` (work buffers), :mod:`~models.wavefront.products` (the
per-step products and connection gradients) and :mod:`~models.wavefront.sweep` (the
autograd function).
"""

from __future__ import annotations

from models.wavefront.cells import SweepStep
from models.wavefront.plan import WavefrontPlan, sweep_step
from models.wavefront.products import CSR_DEVICES
from models.wavefront.sweep import wavefront_states, wavefront_states_compact

__all__ = [
    "CSR_DEVICES",
    "SweepStep",
    "WavefrontPlan",
    "sweep_step",
    "wavefront_states",
    "wavefront_states_compact",
]
