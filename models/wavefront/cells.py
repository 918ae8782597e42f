"""Per-cell sweep step math: the gate equations of one wavefront sweep step and their
hand-written derivatives, for every cell the sweep can run.

A cell's :class:`SweepStep` is bound to the cell where the cell is registered
(:func:`models.recurrent_cells.register_cell`, argument ``sweep``), so the cell registry is the
one place that says what a cell is; a cell registered without one is refused by the structured
RNN when it is built. This module only holds torch math and imports nothing from the project
(the cell registry imports it).

Every tanh of a sweep step goes through :func:`tanh_into`, one switch: on this project's CPU
build of torch ``torch.tanh`` is slow (about 3.5 ns per float32 element against
0.3 ns for ``torch.sigmoid``), so the steps compute ``tanh(x) = 2 sigmoid(2x) - 1`` instead
(:func:`tanh_via_sigmoid`: 3-4x faster on a ``(350, 32)`` block, 1.5-1.9x on a whole tanh,
GRU or LSTM step, 1.2-1.3x on training a 12-network pack; see docs/results.md). Packed and
lone networks run the same steps, so they stay alike; the results differ from ``torch.tanh``'s
at float level (see :func:`tanh_via_sigmoid`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = [
    "GRU_SWEEP",
    "LSTM_SWEEP",
    "RELU_SWEEP",
    "TANH_SWEEP",
    "SweepStep",
    "tanh_into",
    "tanh_via_sigmoid",
]


def tanh_via_sigmoid(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """Write ``tanh(x) = 2 sigmoid(2x) - 1`` into ``out`` (which may be ``x``) and return it.

    Three element-wise passes, each vectorised, instead of torch's slow tanh. The identity
    is exact; the rounding is not. Measured on 2,000,001 points of [-20, 20]: in float32 the
    result is within 1.8e-7 of ``torch.tanh``'s float32 result and within 1.9e-7 of the
    float64 tanh (``torch.tanh`` in float32: 5.4e-8); in float64 within 3.4e-16 of
    ``torch.tanh``. The error is absolute, not relative: near 0 the result is rounded to
    multiples of the float eps around 1 (``tanh(1e-9)`` comes out as 0 in float32).
    Nor is it exactly odd (``-f(-x)`` and ``f(x)`` can differ in the last bit). Saturates to
    exactly -1 and 1 (also at infinities) and keeps NaN.
    """
    two, minus_one = _constants(out)
    torch.mul(x, two, out=out).sigmoid_()
    return torch.add(minus_one, out, alpha=2, out=out)  # -1 + 2 sigmoid(2x): one pass


# 2 and -1 as 0-dim tensors, per dtype and device: a Python number costs every op a
# conversion (aten::to, about 1.7 us, more than the math on a (346, 32) block).
_CONSTANTS: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}


def _constants(like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    key = (like.dtype, like.device)
    pair = _CONSTANTS.get(key)
    if pair is None:
        pair = _CONSTANTS[key] = tuple(like.new_tensor(v) for v in (2.0, -1.0))
    return pair


#: The tanh of every sweep step, ``tanh_into(x, out)`` (``out`` may be ``x``): the one
#: switch between :func:`tanh_via_sigmoid` and ``torch.tanh`` (``lambda x, out:
#: torch.tanh(x, out=out)``), read when a step runs.
tanh_into = tanh_via_sigmoid


# Gate equations in torch's conventions, on feature-major blocks (rows = neurons or gate rows,
# columns = batch). ``forward(a, h_prev, c_prev, n, h, c)`` gets the pre-activations ``a`` of
# one sweep step (written either into the cell's saved rows, or into ``h`` when the cell
# saves nothing), turns them in place into what the backward pass needs and writes the new
# state into ``h`` (and ``c``). A cell with ``gate_views(saved, n)`` gets, instead of ``a``,
# that step's tuple of views of its gate blocks (made once per buffer and cached with it:
# slicing ``a`` on every step costs about a microsecond per slice).
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
class SweepStep:
    """How one sweep step of a cell computes, and how its backward pass differentiates it.

    Attributes
    ----------
    forward, prepare, views, backward:
        The four functions described above.
    gate_views:
        Optional ``gate_views(saved, n)``: per step, the views of the saved rows that
        ``forward`` reads instead of the whole block (see above).
    saved_rows:
        Rows saved per sweep step, given ``N``.
    coefficient_rows:
        Rows of backward coefficients per step, given ``N``.
    has_cell_state:
        Whether the cell carries a second state ``c`` (LSTM).
    split_last_gate:
        Whether the last gate's recurrent part gets its own ``N`` rows (GRU: the reset gate
        scales only the recurrent part of the candidate), so a step has ``(gates + 1) * N``
        rows instead of ``gates * N``.
    """

    forward: Callable
    prepare: Callable
    views: Callable
    backward: Callable
    saved_rows: Callable[[int], int]
    coefficient_rows: Callable[[int], int]
    has_cell_state: bool = False
    split_last_gate: bool = False
    gate_views: Callable | None = None

    def width(self, gates: int, n: int) -> int:
        """Rows of one sweep step's pre-activations for ``gates`` gate blocks of ``N`` rows."""
        return (gates + self.split_last_gate) * n


def _tanh_forward(a, h_prev, c_prev, n, h, c):
    tanh_into(h, h)  # a is h


def _tanh_prepare(h, h_prev, c, c_prev, saved, coefficients, n):
    torch.addcmul(h.new_ones(()), h, h, value=-1, out=coefficients)  # 1 - h^2


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


def _gru_gate_views(saved, n):
    # a: [r, z | candidate, input part | candidate, recurrent part] (4n rows)
    return [(a[: 2 * n], a[:n], a[n : 2 * n], a[2 * n : 3 * n], a[3 * n :]) for a in saved]


def _gru_forward(gates, h_prev, c_prev, n, h, c):
    # the pre-activations become [r, z | candidate | candidate, recurrent part]
    rz, r, z, candidate, recurrent = gates
    rz.sigmoid_()
    candidate.addcmul_(r, recurrent)
    tanh_into(candidate, candidate)
    torch.lerp(candidate, h_prev, z, out=h)  # (1 - z) * candidate + z * h_prev


def _gru_prepare(h, h_prev, c, c_prev, saved, coefficients, n):
    # Gradients of the pre-activations, rows [r, z, candidate input, candidate recurrent]:
    # z and candidate input: dh * coefficients [z rows, candidate rows]; r and candidate
    # recurrent: d_candidate * coefficients [r rows, last rows]. Written in place, with no
    # temporaries: fresh (S, n, B) temporaries cost page faults (twice the time of the math).
    steps, batch = saved.shape[0], saved.shape[2]
    r, z, candidate, recurrent = saved.view(steps, 4, n, batch).unbind(1)
    coef_r, coef_z, coef_candidate, coef_last = coefficients.view(steps, 4, n, batch).unbind(1)
    torch.addcmul(r, r, r, value=-1, out=coef_r).mul_(recurrent)  # recurrent * r(1 - r)
    z_slope = torch.addcmul(z, z, z, value=-1, out=coef_last)  # z(1 - z), scratch
    torch.sub(h_prev, candidate, out=coef_z).mul_(z_slope)  # (h_prev - candidate) z(1 - z)
    ones = coef_last.fill_(1)
    torch.addcmul(ones, candidate, candidate, value=-1, out=coef_candidate)  # 1 - candidate^2
    coef_candidate.addcmul_(coef_candidate, z, value=-1)  # (1 - z)(1 - candidate^2)
    coef_last.copy_(r)


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


def _lstm_gate_views(saved, n):
    # a: [i, f, g, o] pre-activations (4n rows)
    return [(a[: 2 * n], a[:n], a[n : 2 * n], a[2 * n : 3 * n], a[3 * n :]) for a in saved]


def _lstm_forward(gates, h_prev, c_prev, n, h, c):
    # the pre-activations become the activations
    i_f, i, f, g, o = gates
    tanh_into(g, g)
    i_f.sigmoid_()
    o.sigmoid_()
    torch.mul(f, c_prev, out=c).addcmul_(i, g)  # c = f * c_prev + i * g
    tanh_into(c, h).mul_(o)  # h = o * tanh(c)


def _lstm_prepare(h, h_prev, c, c_prev, saved, coefficients, n):
    # coefficients [i, f, g rows: dc factors | o rows: dh factor | dc from dh factor], written
    # in place with no temporaries (see _gru_prepare)
    steps, batch = saved.shape[0], saved.shape[2]
    i, f, g, o = saved.view(steps, 4, n, batch).unbind(1)
    coef_i, coef_f, coef_g, coef_o, coef_c = coefficients.view(steps, 5, n, batch).unbind(1)
    tanh_c = tanh_into(c, coef_c)
    torch.addcmul(o, o, o, value=-1, out=coef_o).mul_(tanh_c)  # tanh(c) o(1 - o)
    squared = tanh_c.mul_(tanh_c)
    torch.addcmul(o, o, squared, value=-1, out=coef_c)  # o (1 - tanh(c)^2)
    torch.addcmul(i, i, i, value=-1, out=coef_i).mul_(g)  # g i(1 - i)
    torch.addcmul(f, f, f, value=-1, out=coef_f).mul_(c_prev)  # c_prev f(1 - f)
    squared = torch.mul(g, g, out=coef_g)
    torch.addcmul(i, i, squared, value=-1, out=coef_g)  # i (1 - g^2)


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


TANH_SWEEP = SweepStep(
    _tanh_forward, _tanh_prepare, _slope_views, _slope_backward, lambda n: 0, lambda n: n
)
RELU_SWEEP = SweepStep(
    _relu_forward, _relu_prepare, _slope_views, _slope_backward, lambda n: 0, lambda n: n
)
LSTM_SWEEP = SweepStep(
    _lstm_forward,
    _lstm_prepare,
    _lstm_views,
    _lstm_backward,
    lambda n: 4 * n,
    lambda n: 5 * n,
    has_cell_state=True,
    gate_views=_lstm_gate_views,
)
GRU_SWEEP = SweepStep(
    _gru_forward,
    _gru_prepare,
    _gru_views,
    _gru_backward,
    lambda n: 4 * n,
    lambda n: 4 * n,
    split_last_gate=True,
    gate_views=_gru_gate_views,
)
