"""Real sparse inference: compute a masked network with sparse or shrunk weights.

A masked network stores and multiplies dense matrices, zeros included. For inference,
:func:`to_sparse_inference` turns a masked feed-forward network into a
:class:`SparseInferenceNetwork` whose layers each use whichever of two forms is faster:

* ``"csr"``: the weight as a ``torch.sparse_csr`` matrix (32-bit indices) — pays off for very
  sparse layers;
* ``"dense"``: a dense matrix *without the dead neurons* — hidden neurons whose outgoing
  weights are all zero are dropped, and neurons whose incoming weights are all zero (constant
  ``σ(b)``) are folded into the next layer's bias. Both are exact rewrites.

:func:`compare_inference` reports speed, memory and the largest output difference against the
masked dense network; outputs agree up to float rounding.

Example
-------
>>> import torch
>>> from models.feedforward import MaskedFeedForward
>>> net = MaskedFeedForward(8, [16], 2)
>>> sparse = to_sparse_inference(net, strategy="csr")
>>> [choice.kind for choice in sparse.choices]
['csr', 'csr']
>>> x = torch.randn(3, 8)
>>> bool(torch.allclose(sparse(x), net(x), atol=1e-6))
True
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from models.activations import Activation
from models.feedforward import MaskedFeedForward
from models.inference_layers import CSRLinear, DenseLinear, Elementwise
from models.masked_linear import MaskedLinear

__all__ = [
    "InferenceReport",
    "LayerChoice",
    "SparseInferenceNetwork",
    "compare_inference",
    "list_strategies",
    "memory_bytes",
    "to_sparse_inference",
]

_STRATEGIES = ("auto", "csr", "dense")


@dataclass(frozen=True)
class LayerChoice:
    """How one layer of a :class:`SparseInferenceNetwork` computes.

    Attributes
    ----------
    index:
        Layer position, input to output.
    kind:
        ``"csr"`` or ``"dense"``.
    in_features, out_features:
        Shape of the layer after dead neurons were removed.
    nonzero:
        Non-zero weights of the layer.
    removed_neurons:
        Output neurons of this layer that were dropped or folded away.
    """

    index: int
    kind: str
    in_features: int
    out_features: int
    nonzero: int
    removed_neurons: int


@dataclass(frozen=True)
class InferenceReport:
    """Speed and memory of a sparse inference network against its masked dense original.

    Times are medians over repeats, in milliseconds per forward pass; memory counts
    parameters and buffers (weights, masks, biases, sparse indices) in bytes.
    """

    batch_size: int
    dense_ms: float
    sparse_ms: float
    speedup: float
    dense_bytes: int
    sparse_bytes: int
    memory_ratio: float
    max_abs_diff: float


class SparseInferenceNetwork(nn.Module):
    """Inference-only network of CSR / shrunk dense layers (build with :func:`to_sparse_inference`).

    The forward pass runs without autograd; the input is flattened from dimension 1 on.
    """

    def __init__(self, layers: list[nn.Module], choices: list[LayerChoice]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)
        self.choices = choices

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, *features) -> (batch, out_features)``."""
        x = x.flatten(1)
        for layer in self.layers:
            x = layer(x)
        return x


def list_strategies() -> list[str]:
    """Valid ``strategy`` values of :func:`to_sparse_inference`."""
    return list(_STRATEGIES)


@torch.no_grad()
def to_sparse_inference(
    model: nn.Module,
    *,
    strategy: str = "auto",
    batch_size: int = 1,
    remove_dead_neurons: bool = True,
) -> SparseInferenceNetwork:
    """Build a sparse inference network computing the same function as ``model``.

    Parameters
    ----------
    model:
        A :class:`MaskedFeedForward`, a :class:`MaskedLinear` / ``nn.Linear``, or an
        ``nn.Sequential`` of those with ``nn.Flatten`` / ``nn.Dropout`` / activation modules
        (``nn.ReLU``, ``nn.Tanh``, ``nn.Sigmoid``, ``nn.ELU``, ``nn.LeakyReLU``) and norms in
        between. Dropout is dropped (inference).
    strategy:
        ``"csr"`` or ``"dense"`` for every layer, or ``"auto"`` to time both forms of each
        layer on a random batch of ``batch_size`` and keep the faster one.
    batch_size:
        Batch size ``"auto"`` optimises for.
    remove_dead_neurons:
        Drop hidden neurons without outgoing weights and fold constant neurons (without
        incoming weights) into the next bias; only between layers joined by element-wise
        activations (not across layer norms).

    Raises
    ------
    ValueError
        If ``strategy`` or ``batch_size`` is invalid.
    TypeError
        If the model (or a module in it) is not supported.
    """
    if strategy not in _STRATEGIES:
        raise ValueError(
            f"The 'strategy' parameter of to_sparse_inference must be one of "
            f"{list(_STRATEGIES)}. Got {strategy!r} instead."
        )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(
            "The 'batch_size' parameter of to_sparse_inference must be a positive integer. "
            f"Got {batch_size!r} instead."
        )
    stages = _stages(model)
    original_widths = [stage.weight.shape[0] for stage in stages]
    if remove_dead_neurons:
        _remove_dead_neurons(stages)
    layers: list[nn.Module] = []
    choices: list[LayerChoice] = []
    for index, stage in enumerate(stages):
        candidates = {
            "csr": lambda s=stage: CSRLinear(s.weight, s.bias),
            "dense": lambda s=stage: DenseLinear(s.weight, s.bias),
        }
        kind = strategy if strategy != "auto" else _fastest(candidates, stage, batch_size)
        linear = candidates[kind]()
        layers.append(linear)
        layers.extend(stage.post)
        out_features, in_features = stage.weight.shape
        choices.append(
            LayerChoice(
                index=index,
                kind=kind,
                in_features=in_features,
                out_features=out_features,
                nonzero=int(torch.count_nonzero(stage.weight)),
                removed_neurons=original_widths[index] - out_features,
            )
        )
    return SparseInferenceNetwork(layers, choices)


@torch.no_grad()
def compare_inference(
    dense: nn.Module,
    sparse: nn.Module,
    inputs: torch.Tensor,
    *,
    repeats: int = 20,
    warmup: int = 3,
) -> InferenceReport:
    """Time ``dense`` and ``sparse`` on ``inputs`` (interleaved runs) and compare outputs."""
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(
            "The 'repeats' parameter of compare_inference must be a positive integer. "
            f"Got {repeats!r} instead."
        )
    was_training = dense.training
    dense.eval()
    try:
        for _ in range(warmup):
            dense(inputs)
            sparse(inputs)
        dense_times, sparse_times = [], []
        for _ in range(repeats):
            dense_times.append(_time(dense, inputs))
            sparse_times.append(_time(sparse, inputs))
        difference = float((dense(inputs) - sparse(inputs)).abs().max())
    finally:
        dense.train(was_training)
    dense_ms = statistics.median(dense_times) * 1e3
    sparse_ms = statistics.median(sparse_times) * 1e3
    dense_bytes, sparse_bytes = memory_bytes(dense), memory_bytes(sparse)
    return InferenceReport(
        batch_size=inputs.shape[0],
        dense_ms=dense_ms,
        sparse_ms=sparse_ms,
        speedup=dense_ms / sparse_ms,
        dense_bytes=dense_bytes,
        sparse_bytes=sparse_bytes,
        memory_ratio=dense_bytes / sparse_bytes,
        max_abs_diff=difference,
    )


def memory_bytes(module: nn.Module) -> int:
    """Bytes held by ``module``'s parameters and buffers (sparse tensors: values + indices)."""
    total = 0
    for tensor in [*module.parameters(), *module.buffers()]:
        if tensor.layout == torch.sparse_csr:
            parts = [tensor.values(), tensor.crow_indices(), tensor.col_indices()]
            total += sum(part.numel() * part.element_size() for part in parts)
        else:
            total += tensor.numel() * tensor.element_size()
    return total


# ---------------------------------------------------------------------- model -> stages


@dataclass
class _Stage:
    """One linear map and the modules applied after it."""

    weight: torch.Tensor  # effective (out, in)
    bias: torch.Tensor | None
    post: list[nn.Module]

    @property
    def elementwise(self) -> bool:
        """Only element-wise modules follow (dead neurons may be removed across them)."""
        return all(isinstance(m, (Elementwise, *_ELEMENTWISE_MODULES)) for m in self.post)


_ELEMENTWISE_MODULES = (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.ELU, nn.LeakyReLU, nn.Identity)
_NORM_MODULES = (nn.LayerNorm, nn.BatchNorm1d)


def _stages(model: nn.Module) -> list[_Stage]:
    if isinstance(model, MaskedFeedForward):
        return _feedforward_stages(model)
    modules = list(_flatten(model))
    stages: list[_Stage] = []
    for module in modules:
        if isinstance(module, MaskedLinear):
            stages.append(
                _Stage(module.effective_weight().detach(), _detach(module.effective_bias()), [])
            )
        elif isinstance(module, nn.Linear):
            stages.append(_Stage(module.weight.detach(), _detach(module.bias), []))
        elif isinstance(module, nn.Flatten | nn.Dropout):
            if isinstance(module, nn.Flatten) and stages:
                raise TypeError(
                    "to_sparse_inference supports nn.Flatten only before the first layer."
                )
        elif isinstance(module, _ELEMENTWISE_MODULES + _NORM_MODULES):
            if not stages:
                raise TypeError(
                    f"to_sparse_inference needs a linear layer before {type(module).__name__}."
                )
            stages[-1].post.append(_inference_copy(module))
        else:
            raise TypeError(
                f"to_sparse_inference cannot convert {type(module).__name__}; it converts "
                "MaskedFeedForward, MaskedLinear / nn.Linear and nn.Sequential stacks of them "
                "with activations, norms, nn.Flatten and nn.Dropout."
            )
    if not stages:
        raise TypeError("to_sparse_inference found no linear layer in the model.")
    return stages


def _feedforward_stages(model: MaskedFeedForward) -> list[_Stage]:
    activation: Activation = model.activation
    stages = []
    last = len(model.layers) - 1
    for index, layer in enumerate(model.layers):
        post: list[nn.Module] = []
        if index < last:
            if model.norms is not None:
                post.append(_inference_copy(model.norms[index]))
            post.append(Elementwise(activation.function, activation.name))
        stages.append(
            _Stage(layer.effective_weight().detach(), _detach(layer.effective_bias()), post)
        )
    return stages


def _flatten(model: nn.Module):
    if isinstance(model, nn.Sequential):
        for child in model:
            yield from _flatten(child)
    else:
        yield model


def _inference_copy(module: nn.Module) -> nn.Module:
    """An eval-mode copy of ``module`` (the source model keeps its own module and mode)."""
    copied = copy.deepcopy(module).eval()
    return copied


def _detach(tensor: torch.Tensor | None) -> torch.Tensor | None:
    return None if tensor is None else tensor.detach()


def _remove_dead_neurons(stages: list[_Stage]) -> None:
    """Drop hidden neurons without outgoing weights, fold constant ones into the next bias.

    Repeats until nothing changes, since removing one neuron can make another one dead.
    """
    changed = True
    while changed:
        changed = False
        for index in range(len(stages) - 1):
            stage, following = stages[index], stages[index + 1]
            if not stage.elementwise:
                continue
            no_output = (following.weight == 0).all(dim=0)  # (hidden,)
            no_input = (stage.weight == 0).all(dim=1)
            remove = no_output | no_input
            if not bool(remove.any()):
                continue
            if bool(remove.all()):  # keep one neuron so no layer becomes empty
                remove[0] = False
                if not bool(remove.any()):
                    continue
            constant = no_input & ~no_output & remove
            if bool(constant.any()):
                bias = stage.bias
                if bias is None:
                    bias = stage.weight.new_zeros(stage.weight.shape[0])
                value = bias[constant].reshape(1, -1)
                for module in stage.post:
                    value = module(value)  # σ(b) of the constant neurons, (1, k)
                shift = following.weight[:, constant] @ value.reshape(-1)
                following.bias = shift if following.bias is None else following.bias + shift
            keep = ~remove
            stage.weight = stage.weight[keep]
            stage.bias = None if stage.bias is None else stage.bias[keep]
            following.weight = following.weight[:, keep]
            changed = True


def _fastest(candidates: dict[str, Callable[[], nn.Module]], stage: _Stage, batch: int) -> str:
    """Name of the faster candidate layer on a random batch (median of a few runs)."""
    x = torch.randn(batch, stage.weight.shape[1], dtype=stage.weight.dtype)
    timings = {}
    for name, build in candidates.items():
        layer = build()
        layer(x)  # warm-up
        timings[name] = statistics.median(_time(layer, x) for _ in range(5))
    return min(timings, key=timings.get)


def _time(module: nn.Module, x: torch.Tensor) -> float:
    start = time.perf_counter()
    module(x)
    return time.perf_counter() - start
