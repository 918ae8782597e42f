"""Diagonals of the Hessian of the training loss, for Optimal Brain Damage.

OBD (LeCun, Denker & Solla 1990) ranks a weight by ``½ · h_ii · w_i²`` with ``h_ii`` the
diagonal of the Hessian of the training loss ``L = 1/N Σ_n ℓ(f(x_n; θ), y_n)``. Two diagonals:

* :func:`gauss_newton_diagonal` (the default of OBD here) — the diagonal of the Gauss–Newton
  matrix ``G = 1/N Σ_n J_nᵀ H_n J_n`` (``J_n`` the Jacobian of the network's output for sample
  ``n``, ``H_n`` the Hessian of ``ℓ`` with respect to that output), i.e. the
  Levenberg–Marquardt approximation LeCun et al. used: the terms with second derivatives of
  the network itself are dropped. It is computed exactly, per sample: with ``H_n = S_n S_nᵀ``
  (eigen-decomposition; ``H_n`` is positive semi-definite for cross-entropy and squared
  error), ``diag(G) = 1/N Σ_n Σ_c (J_nᵀ s_{n,c})²`` — one vector-Jacobian product per sample
  and output, vectorised with ``torch.func``; for the weights of masked linear layers the
  products factor into per-layer outer products, so the whole diagonal costs one backward
  pass per network output. It is non-negative. For a ReLU network (linear in every single
  weight) it *equals* the exact diagonal almost everywhere.
* :func:`exact_hessian_diagonal` — the true ``∂²L/∂w_i²``, by double back-propagation: one
  batched Hessian-vector product per entry (``is_grads_batched``), so it costs as many
  backward passes as there are weights — for small networks and checks.

Example
-------
>>> import torch
>>> net = torch.nn.Linear(3, 2)
>>> data = [(torch.randn(5, 3), torch.tensor([0, 1, 0, 1, 1]))]
>>> gn = gauss_newton_diagonal(net, [net.weight], data, torch.nn.functional.cross_entropy)
>>> exact = exact_hessian_diagonal(net, [net.weight], data, torch.nn.functional.cross_entropy)
>>> bool(torch.allclose(gn[0], exact[0], atol=1e-6))  # a linear model: GN is exact
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch
from torch import nn
from torch.func import functional_call, jacrev, vjp, vmap

from models.masked_linear import MaskedLinear
from models.masked_recurrent import MaskedRecurrentLayer
from models.masking import float_mask
from models.pruning.context import Batch, model_output
from models.pruning.errors import PruningError

__all__ = ["exact_hessian_diagonal", "gauss_newton_diagonal"]

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

_IMPLEMENTATIONS = ("auto", "linear", "functional", "per-sample")


def gauss_newton_diagonal(
    model: nn.Module,
    parameters: Sequence[torch.Tensor],
    batches: Iterable[Batch],
    loss: Loss,
    *,
    chunk_size: int = 16,
    implementation: str = "auto",
) -> list[torch.Tensor]:
    """Diagonal of the Gauss–Newton matrix of the mean training loss, per parameter.

    Parameters
    ----------
    model:
        Maps a batch of inputs to outputs ``(batch, outputs)``; evaluated in eval mode.
    parameters:
        Parameters of ``model`` whose diagonal is wanted (others are held fixed).
    batches:
        ``(inputs, labels)`` batches; the result averages over all their samples.
    loss:
        Mean loss ``loss(outputs, labels)``; applied to one sample at a time here.
    chunk_size:
        Samples vectorised together by the ``"functional"`` implementation (memory grows
        with ``chunk_size · outputs · weights``).
    implementation:
        ``"linear"`` — for parameters that are weights and biases of
        :class:`~models.masked_linear.MaskedLinear` layers applied once each to
        ``(batch, features)`` inputs: the per-sample squared products factor into
        ``Σ_n (δ_{n,c}²)ᵀ a_n²`` (δ the back-propagated factor column at the layer's output,
        ``a`` its input), one backward pass per output instead of one per sample and output;
        ``"functional"`` — any model ``torch.func.vmap`` can batch, per-sample
        vector-Jacobian products with ``torch.func``;
        ``"per-sample"`` — any model, one plain backward pass per sample and non-zero loss
        factor (slow but universal: recurrent layers run packed sequences and torch's fused
        RNN kernels, which ``vmap`` cannot batch);
        ``"auto"`` (default) — ``"linear"`` where it applies, ``"per-sample"`` for models
        with recurrent layers, else ``"functional"``.
    """
    if implementation not in _IMPLEMENTATIONS:
        raise PruningError(
            "The 'implementation' parameter of gauss_newton_diagonal must be one of "
            f"{list(_IMPLEMENTATIONS)}. Got {implementation!r} instead."
        )
    batches = list(batches)
    if implementation == "per-sample" or (
        implementation == "auto"
        and any(isinstance(m, MaskedRecurrentLayer) for m in model.modules())
    ):
        _parameter_names(model, parameters)  # all must belong to the model
        return _per_sample_gauss_newton(model, list(parameters), batches, loss)
    if implementation in ("auto", "linear"):
        layers = _linear_owners(model, parameters)
        if layers is not None:
            result = _linear_gauss_newton(model, parameters, layers, batches, loss)
            if result is not None:
                return result
        if implementation == "linear":
            raise PruningError(
                "The 'linear' Gauss-Newton implementation needs MaskedLinear weights and "
                "biases, each layer applied once to (batch, features) inputs."
            )
    names = _parameter_names(model, parameters)
    fixed = {name: p.detach() for name, p in model.named_parameters()}
    buffers = dict(model.named_buffers())

    def output(params: dict[str, torch.Tensor], inputs) -> torch.Tensor:
        batched = tuple(t.unsqueeze(0) for t in inputs)  # one sample -> a batch of one
        return functional_call(model, ({**fixed, **params}, buffers), batched).squeeze(0)

    def squared_products(params, inputs, factor):  # factor: (outputs, outputs), columns s_c
        _, pullback = vjp(lambda p: output(p, inputs), params)
        (columns,) = vmap(pullback)(factor.T)  # name -> (outputs, *shape)
        return {name: (value**2).sum(0) for name, value in columns.items()}

    params = {name: p.detach() for name, p in zip(names, parameters, strict=True)}
    total = {name: torch.zeros_like(p) for name, p in params.items()}
    count = 0
    with _eval_mode(model):
        for inputs, labels in batches:
            inputs = inputs if isinstance(inputs, tuple | list) else (inputs,)
            with torch.no_grad():
                outputs = model_output(model, tuple(inputs))  # (batch, outputs)
            factors = _loss_factors(outputs, labels, loss)  # H = S Sᵀ per sample
            for start in range(0, len(labels), chunk_size):
                part = slice(start, start + chunk_size)
                chunk = vmap(squared_products, in_dims=(None, 0, 0))(
                    params, tuple(t[part] for t in inputs), factors[part]
                )
                for name in total:
                    total[name] += chunk[name].sum(0)
            count += len(labels)
    if count == 0:
        raise PruningError("The data for the Gauss-Newton Hessian diagonal is empty.")
    return [total[name] / count for name in names]


def exact_hessian_diagonal(
    model: nn.Module,
    parameters: Sequence[torch.Tensor],
    batches: Iterable[Batch],
    loss: Loss,
    *,
    chunk_size: int = 256,
) -> list[torch.Tensor]:
    """The exact diagonal ``∂²L/∂w_i²`` of the mean training loss, per parameter.

    One batched double-backward per ``chunk_size`` entries and batch: use on small networks.
    """
    parameters = list(parameters)
    _parameter_names(model, parameters)  # all must belong to the model
    sizes = [p.numel() for p in parameters]
    entries = sum(sizes)
    chunk_size = max(1, min(chunk_size, 2**22 // max(entries, 1)))
    total = torch.zeros(entries, dtype=parameters[0].dtype, device=parameters[0].device)
    count = 0
    with _eval_mode(model):
        for inputs, labels in batches:
            value = loss(model_output(model, inputs), labels)
            grads = torch.autograd.grad(value, parameters, create_graph=True, allow_unused=True)
            flat = torch.cat(
                [
                    (g if g is not None else torch.zeros_like(p)).reshape(-1)
                    for g, p in zip(grads, parameters, strict=True)
                ]
            )
            diagonal = torch.zeros_like(total)
            if flat.requires_grad:  # otherwise L is linear in the parameters: diagonal 0
                for start in range(0, entries, chunk_size):
                    index = torch.arange(start, min(entries, start + chunk_size))
                    basis = torch.zeros(len(index), entries, dtype=flat.dtype, device=flat.device)
                    basis[torch.arange(len(index)), index] = 1.0
                    rows = torch.autograd.grad(
                        flat,
                        parameters,
                        grad_outputs=basis,
                        retain_graph=True,
                        is_grads_batched=True,
                        allow_unused=True,
                    )
                    rows = torch.cat(
                        [
                            (r if r is not None else p.new_zeros(len(index), *p.shape)).reshape(
                                len(index), -1
                            )
                            for r, p in zip(rows, parameters, strict=True)
                        ],
                        dim=1,
                    )  # (chunk, entries)
                    diagonal[index] = rows[torch.arange(len(index)), index].detach()
            total += diagonal * len(labels)
            count += len(labels)
    if count == 0:
        raise PruningError("The data for the exact Hessian diagonal is empty.")
    diagonals = (total / count).split(sizes)
    return [d.reshape(p.shape) for d, p in zip(diagonals, parameters, strict=True)]


def _linear_owners(model: nn.Module, parameters: Sequence[torch.Tensor]):
    """The MaskedLinear owning each parameter (as weight or bias), or None if one is not."""
    owners = {}
    for module in model.modules():
        if isinstance(module, MaskedLinear):
            owners[id(module.weight)] = module
            if module.bias is not None:
                owners[id(module.bias)] = module
    found = [owners.get(id(p)) for p in parameters]
    return None if any(layer is None for layer in found) else found


def _linear_gauss_newton(model, parameters, owners, batches, loss):
    """The per-layer outer-product form; None if the layers are not used as it assumes."""
    layers = list(dict.fromkeys(owners))
    seen: dict[MaskedLinear, list[tuple[torch.Tensor, torch.Tensor]]] = {}

    def hook(module, args, output):
        seen.setdefault(module, []).append((args[0].detach(), output))

    handles = [layer.register_forward_hook(hook) for layer in layers]
    squares_w = {layer: torch.zeros_like(layer.weight) for layer in layers}
    squares_b = {layer: torch.zeros_like(layer.weight[:, 0]) for layer in layers}
    count = 0
    try:
        with _eval_mode(model), torch.enable_grad():
            for inputs, labels in batches:
                seen.clear()
                outputs = model_output(model, inputs)
                if outputs.dim() != 2 or any(
                    len(seen.get(layer, ())) != 1 or seen[layer][0][0].dim() != 2
                    for layer in layers
                ):
                    return None
                factors = _loss_factors(outputs.detach(), labels, loss)  # (batch, out, out)
                activations = [seen[layer][0] for layer in layers]
                for c in range(factors.shape[2]):
                    pseudo = (outputs * factors[:, :, c]).sum()  # Σ_n s_{n,c} · f(x_n)
                    deltas = torch.autograd.grad(
                        pseudo, [z for _, z in activations], retain_graph=True
                    )
                    for layer, (a, _), delta in zip(layers, activations, deltas, strict=True):
                        squared = delta.detach() ** 2  # (batch, out)
                        squares_w[layer] += squared.T @ (a**2)  # (out, in)
                        squares_b[layer] += squared.sum(0)
                count += len(labels)
    finally:
        for handle in handles:
            handle.remove()
    if count == 0:
        raise PruningError("The data for the Gauss-Newton Hessian diagonal is empty.")
    result = []
    for parameter, layer in zip(parameters, owners, strict=True):
        if parameter is layer.weight:
            result.append(squares_w[layer] * float_mask(layer, "weight") / count)
        else:
            bias = squares_b[layer] / count
            if "bias" in layer.masked_parameter_names:
                bias = bias * float_mask(layer, "bias")
            result.append(bias)
    return result


def _per_sample_gauss_newton(model, parameters, batches, loss):
    """``1/N Σ_n Σ_c (J_nᵀ s_{n,c})²`` by one backward pass per sample and factor column."""
    total = [torch.zeros_like(p) for p in parameters]
    count = 0
    with _eval_mode(model), torch.enable_grad():
        for inputs, labels in batches:
            inputs = tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)
            with torch.no_grad():
                factors = _loss_factors(model_output(model, inputs), labels, loss)  # per sample
            for n, factor in enumerate(factors):
                output = model_output(model, tuple(t[n : n + 1] for t in inputs))  # (1, outputs)
                for c in range(factor.shape[1]):
                    if not bool(factor[:, c].any()):  # a zero eigenvalue adds nothing
                        continue
                    grads = torch.autograd.grad(
                        output[0] @ factor[:, c], parameters, retain_graph=True, allow_unused=True
                    )
                    for acc, grad in zip(total, grads, strict=True):
                        if grad is not None:
                            acc += grad.detach() ** 2
            count += len(labels)
    if count == 0:
        raise PruningError("The data for the Gauss-Newton Hessian diagonal is empty.")
    return [t / count for t in total]


def _loss_factors(outputs: torch.Tensor, labels: torch.Tensor, loss: Loss) -> torch.Tensor:
    """``S_n`` with ``S_n S_nᵀ`` the Hessian of the per-sample loss w.r.t. the output."""

    def sample_loss(out: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        return loss(out.unsqueeze(0), label.unsqueeze(0))

    # reverse-over-reverse: torch.func.hessian (forward-over-reverse) warns about torch.jit
    loss_hessians = vmap(jacrev(jacrev(sample_loss)))(outputs, labels)  # (batch, out, out)
    values, vectors = torch.linalg.eigh(loss_hessians)
    return vectors * values.clamp(min=0).sqrt().unsqueeze(1)


def _parameter_names(model: nn.Module, parameters: Sequence[torch.Tensor]) -> list[str]:
    lookup = {id(p): name for name, p in model.named_parameters()}
    names = []
    for p in parameters:
        if id(p) not in lookup:
            raise PruningError("A parameter given for the Hessian diagonal is not in the model.")
        names.append(lookup[id(p)])
    return names


class _eval_mode:
    """Context manager: the model in eval mode (no dropout, fixed norms), restored after."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model

    def __enter__(self) -> None:
        self.was_training = self.model.training
        self.model.eval()

    def __exit__(self, *exc) -> None:
        self.model.train(self.was_training)
