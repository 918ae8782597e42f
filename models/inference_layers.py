"""The layers a realised sparse-inference network is made of (:mod:`models.sparse_inference`).

Plain inference modules without masks or gradients: a linear layer whose weight is stored in
CSR form (32-bit indices), one whose weight is a plain dense matrix (dead neurons already
removed), and an element-wise activation. :func:`~models.sparse_inference.to_sparse_inference`
times the candidates for each stage and keeps the fastest.

>>> import torch
>>> layer = CSRLinear(torch.tensor([[0.0, 2.0], [1.0, 0.0]]), torch.tensor([0.5, 0.0]))
>>> layer(torch.tensor([[1.0, 3.0]])).tolist()
[[6.5, 1.0]]
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

__all__ = ["CSRLinear", "DenseLinear", "Elementwise"]


class CSRLinear(nn.Module):
    """``y = x W^T + b`` with ``W`` in CSR form (32-bit indices)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
            csr = weight.to_sparse_csr()
            csr = torch.sparse_csr_tensor(
                csr.crow_indices().to(torch.int32),
                csr.col_indices().to(torch.int32),
                csr.values(),
                size=csr.shape,
                check_invariants=True,
            )
        self.register_buffer("weight", csr)
        self.register_buffer("bias", None if bias is None else bias.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = (self.weight @ x.t()).t()  # (out, in) @ (in, batch) -> (batch, out)
        return out if self.bias is None else out + self.bias


class DenseLinear(nn.Module):
    """``y = x W^T + b`` with a plain dense ``W`` (dead neurons already removed)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        self.register_buffer("weight", weight.clone().contiguous())
        self.register_buffer("bias", None if bias is None else bias.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)


class Elementwise(nn.Module):
    """An element-wise activation given as a function."""

    def __init__(self, function: Callable[[torch.Tensor], torch.Tensor], name: str) -> None:
        super().__init__()
        self.function = function
        self.name = name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.function(x)

    def extra_repr(self) -> str:
        return self.name
