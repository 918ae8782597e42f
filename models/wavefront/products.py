"""The sparse and dense products of a wavefront sweep step, and the gradient of every
connection (one sampled product over the whole sweep).

Three product modes (chosen by :meth:`~models.wavefront.plan.WavefrontPlan.build`):
a CSR ``(width, pad * N)`` matrix times the contiguous window of the last ``pad`` steps'
states (``sparse``; the backward pass adds the transposed product straight into the window
of state gradients); a dense ``(width, K)`` matrix times the gathered columns
(``window=False``); or a dense ``(width, pad * N)`` matrix times the window (``window``).
CSR products run on the devices in :data:`CSR_DEVICES` only.

On a 12-network GRU pack (346 neurons, batch 32) a CSR window step costs 17.8 against
22.5 us for gathering the columns and multiplying the ``(width, K)`` matrix, and the
backward step 27.1 against 30.2 us for the transposed product and its scatter
(microbenchmark, one thread).
"""

from __future__ import annotations

import warnings

import torch

from models.wavefront.plan import WavefrontPlan

__all__ = [
    "CSR_DEVICES",
    "check_device",
    "column_index",
    "connection_gradients",
    "matrices",
    "window_matrices",
    "windows",
]

# Device types whose torch kernels cover CSR products and sampled_addmm.
CSR_DEVICES = ("cpu", "cuda")


def check_device(plan: WavefrontPlan, device: torch.device, *, where: str) -> None:
    """Refuse, before any work, a sweep on another device than the plan's or a CSR plan on a
    device without CSR kernels.

    Raises
    ------
    ValueError
        Naming the devices and, for CSR plans, the product mode.
    """
    if plan.device != device:
        raise ValueError(
            f"{where}: the input is on {device} but the sweep plan on {plan.device}; move the "
            f"module and its input to one device (module.to({str(device)!r}))."
        )
    if plan.sparse and device.type not in CSR_DEVICES:
        raise ValueError(
            f"{where}: this network uses the sparse CSR product path (a connection matrix of "
            f"{plan.width} x {plan.num_columns} with {plan.rows.numel()} connections), which "
            f"runs on {' and '.join(CSR_DEVICES)} only; got device {device}. Run it on one of "
            "those devices."
        )


def windows(buffer: torch.Tensor, steps: int, n: int, pad: int) -> tuple[torch.Tensor, ...]:
    """Views ``buffer[s * N : (s + pad) * N]`` (s < steps) of a ``((pad + S) * N, B)`` buffer."""
    batch = buffer.shape[1]
    return buffer.as_strided((steps, pad * n, batch), (n * batch, batch, 1)).unbind(0)


def column_index(plan: WavefrontPlan, steps: int, device: torch.device) -> torch.Tensor:
    """``(S, K)``: row of the states buffer that holds column ``k`` at sweep step ``s``."""
    n = plan.num_neurons
    index = plan.sources + (plan.pad - plan.delays) * n
    return index[None, :] + torch.arange(steps, device=device)[:, None] * n


def window_matrices(plan: WavefrontPlan, values: torch.Tensor):
    """The dense ``(width, pad * N)`` matrix that multiplies a window of states, and its
    transpose."""
    size = plan.width * plan.pad * plan.num_neurons
    weight = values.new_zeros(size).index_copy_(0, plan.window_index, values)
    weight = weight.view(plan.width, -1)
    return weight, weight.t()


def matrices(plan: WavefrontPlan, values: torch.Tensor):
    """The matrix of a sweep step and its transpose: for CSR plans the ``(width, pad * N)``
    window matrix, otherwise the dense ``(width, K)`` matrix of the gathered columns."""
    if plan.sparse:
        shape = (plan.width, plan.pad * plan.num_neurons)
        with warnings.catch_warnings():  # "sparse CSR support is in beta"
            warnings.simplefilter("ignore", UserWarning)
            weight = torch.sparse_csr_tensor(
                plan.crow, plan.window_columns, values[plan.window_order], shape
            )
            weight_t = torch.sparse_csr_tensor(
                plan.transpose_crow,
                plan.transpose_columns,
                values[plan.transpose_order],
                shape[::-1],
            )
        return weight, weight_t
    weight = values.new_zeros((plan.width, plan.num_columns))
    weight[plan.rows, plan.columns] = values
    return weight, weight.t()


def connection_gradients(plan, grad_pre: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """``(grad_pre @ inputs.T)`` at the connections only: ``(width, S*B)``, ``(K, S*B)``."""
    if plan.rows.numel() == 0:
        return grad_pre.new_zeros(0)
    if grad_pre.device.type not in CSR_DEVICES:  # dense plans only (sparse ones are refused)
        flat = plan.rows * plan.num_columns + plan.columns
        return (grad_pre @ inputs.t()).view(-1).index_select(0, flat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pattern = torch.sparse_csr_tensor(
            plan.crow,
            plan.csr_columns,
            grad_pre.new_zeros(plan.rows.numel()),
            (plan.width, plan.num_columns),
        )
        return torch.sparse.sampled_addmm(pattern, grad_pre, inputs.t(), beta=0.0).values()
