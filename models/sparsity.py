"""The paper's sparsity measure ξ, and plain parameter counts.

Paper, section 2: for a vector ``x in R^d``, ``ξ(x) = ||x||_0 / d`` — the **proportion of
non-zero** entries (so a *lower* ξ means a sparser tensor). For a network ``f`` whose weights
are a set ``W`` of grouped vectors, ``ξ(f) = 1/|W| Σ_{x∈W} ξ(x)``, e.g. with one group per
neuron holding its weights from all possible incoming connections.

Names: the paper calls ξ "sparsity", but everywhere else in this project (the warehouse's
``networks.sparsity``, :attr:`ParameterCounts.sparsity`) *sparsity* is the fraction of
**zeros**, ``1 - ξ``. So the functions here say ``xi`` (:func:`tensor_xi`, :func:`network_xi`,
the ``xi`` keys); ``density`` is not used for ξ because it already names a graph feature.

Everything here reads *effective* weights: masked entries of
:class:`~models.masking.MaskedModule` parameters count as zero, and layers pruned with
``torch.nn.utils.prune`` are read through their ``weight`` attribute (``weight_orig *
weight_mask``).

Example
-------
>>> import torch
>>> tensor_xi(torch.tensor([0.0, 1.0, 2.0, 0.0]))
0.5
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import torch
from torch import nn

from models.masking import MaskedModule

__all__ = [
    "ParameterCounts",
    "effective_parameters",
    "layer_counts",
    "list_groupings",
    "network_xi",
    "parameter_counts",
    "tensor_xi",
    "weight_groups",
]

_GROUPINGS = ("neuron", "tensor", "network")


@dataclass(frozen=True)
class ParameterCounts:
    """Parameter counts of a model.

    Attributes
    ----------
    total:
        Number of parameter entries (weights and biases, masked ones included).
    nonzero:
        Number of non-zero effective entries.
    xi:
        ``nonzero / total``, the paper's ξ over all parameters.
    """

    total: int
    nonzero: int
    xi: float

    @property
    def sparsity(self) -> float:
        """Fraction of zero entries, ``1 - xi`` (what the warehouse stores as ``sparsity``)."""
        return 1.0 - self.xi


def tensor_xi(x: torch.Tensor) -> float:
    """ξ(x): proportion of non-zero entries of ``x`` (paper, section 2).

    Raises
    ------
    ValueError
        If ``x`` has no entries (ξ is undefined).
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"The 'x' parameter of tensor_xi must be a torch.Tensor. Got "
            f"{type(x).__name__} instead."
        )
    if x.numel() == 0:
        raise ValueError("The 'x' parameter of tensor_xi has no entries; ξ is undefined.")
    return int(torch.count_nonzero(x.detach())) / x.numel()


def list_groupings() -> list[str]:
    """Ways :func:`network_xi` can group a network's weights."""
    return list(_GROUPINGS)


def weight_groups(model: nn.Module, *, grouping: str = "neuron") -> list[torch.Tensor]:
    """The grouped weight vectors ``W`` of ``model``.

    Parameters
    ----------
    grouping:
        ``"neuron"``: one vector per neuron (output unit or channel) with its weights from all
        its possible incoming connections — a row of every weight matrix, a flattened
        ``(in, kh, kw)`` kernel stack of a convolution, a row of every layer block of a DAG
        network; ``"tensor"``: one vector per weight tensor; ``"network"``: all weights as one
        vector.

    Raises
    ------
    ValueError
        If ``grouping`` is unknown or the model has no weight matrix.
    """
    if grouping not in _GROUPINGS:
        raise ValueError(
            f"The 'grouping' parameter of weight_groups must be one of {list(_GROUPINGS)}. "
            f"Got {grouping!r} instead."
        )
    weights = [w for name, w in effective_parameters(model).items() if _is_weight(name, w)]
    if not weights:
        raise ValueError(f"{type(model).__name__} has no weight matrix to measure.")
    if grouping == "network":
        return [torch.cat([w.reshape(-1) for w in weights])]
    if grouping == "tensor":
        return [w.reshape(-1) for w in weights]
    return [row for w in weights for row in w.reshape(w.shape[0], -1) if row.numel()]


def network_xi(model: nn.Module, *, grouping: str = "neuron") -> float:
    """ξ(f) = mean of ξ over the grouped weight vectors (paper, section 2).

    See :func:`weight_groups` for ``grouping``. Biases and norm parameters are not weights and
    are left out.
    """
    groups = weight_groups(model, grouping=grouping)
    values = [tensor_xi(group) for group in groups if group.numel()]
    return sum(values) / len(values)


def parameter_counts(model: nn.Module) -> ParameterCounts:
    """Total and non-zero effective parameter entries of ``model``."""
    frame = layer_counts(model)
    total = int(frame["total"].sum())
    nonzero = int(frame["nonzero"].sum())
    return ParameterCounts(total=total, nonzero=nonzero, xi=nonzero / total if total else 0.0)


def layer_counts(model: nn.Module) -> pl.DataFrame:
    """One row per parameter tensor (DAG networks: per layer block) with its counts.

    Returns
    -------
    polars.DataFrame
        Columns ``name`` (str), ``kind`` ("weight" or "other"), ``shape`` (list of int),
        ``total``, ``nonzero`` (int) and ``xi`` (float, ξ of the tensor), in module order.
    """
    rows = []
    for name, value in effective_parameters(model).items():
        total = value.numel()
        nonzero = int(torch.count_nonzero(value))
        rows.append(
            {
                "name": name,
                "kind": "weight" if _is_weight(name, value) else "other",
                "shape": list(value.shape),
                "total": total,
                "nonzero": nonzero,
                "xi": nonzero / total if total else 0.0,
            }
        )
    schema = {
        "name": pl.String,
        "kind": pl.String,
        "shape": pl.List(pl.Int64),
        "total": pl.Int64,
        "nonzero": pl.Int64,
        "xi": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


@torch.no_grad()
def effective_parameters(model: nn.Module) -> dict[str, torch.Tensor]:
    """Every parameter of ``model`` as the forward pass sees it, by qualified name.

    Masked parameters come with their mask applied; a ``torch.nn.utils.prune`` parameter
    ``weight_orig`` is reported as ``weight`` (the pruned tensor). A module with a
    ``weight_matrices()`` method (e.g. :class:`~models.dag_network.MaskedDAGNetwork`) reports
    those matrices in place of its ``weight`` parameter.
    """
    result: dict[str, torch.Tensor] = {}
    for module_name, module in model.named_modules():
        prefix = f"{module_name}." if module_name else ""
        matrices = getattr(module, "weight_matrices", None)
        replaced = set()
        if callable(matrices):
            for name, value in matrices().items():
                result[f"{prefix}weight[{name}]"] = value.detach()
            replaced.add("weight")
        for name, parameter in module.named_parameters(recurse=False):
            if name in replaced:
                continue
            value = parameter
            if isinstance(module, MaskedModule) and name in module.masked_parameter_names:
                value = torch.where(module.get_mask(name), parameter, 0.0)
            elif name.endswith("_orig") and isinstance(
                getattr(module, name[: -len("_orig")], None), torch.Tensor
            ):
                name = name[: -len("_orig")]
                value = getattr(module, name)
            result[f"{prefix}{name}"] = value.detach()
    return result


def _is_weight(name: str, value: torch.Tensor) -> bool:
    """Weight matrices and kernels: tensors of rank >= 2 (biases and norm scales are rank 1)."""
    return value.dim() >= 2 and "bias" not in name.rsplit(".", 1)[-1]
