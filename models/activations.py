"""Named activation functions for the sparse networks, with their derivative from the output.

Feed-forward and DAG networks pick their non-linearity σ by name (paper, section 2:
``a_l = σ(z_l)``, "σ being e.g. tanh or max(x, 0)"). The DAG network computes its backward pass
by hand (see :mod:`models.dag_network`) and only keeps the activations ``a = σ(z)``, so every
activation here also knows ``σ'(z)`` expressed through ``a``.

Example
-------
>>> import torch
>>> relu = create_activation("relu")
>>> relu(torch.tensor([-1.0, 2.0]))
tensor([0., 2.])
>>> relu.derivative(torch.tensor([0.0, 2.0]))
tensor([0., 1.])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["Activation", "create_activation", "list_activations", "register_activation"]


@dataclass(frozen=True)
class Activation:
    """A non-linearity σ with an in-place form and its derivative written in terms of σ's output.

    Attributes
    ----------
    name:
        Registry name.
    function:
        ``z -> σ(z)`` (out of place; autograd-friendly).
    inplace:
        ``z -> σ(z)`` computed in place, returning ``z``.
    derivative:
        ``a -> σ'(z)`` for ``a = σ(z)``; ``None`` for the identity (derivative 1).
    """

    name: str
    function: Callable[[torch.Tensor], torch.Tensor]
    inplace: Callable[[torch.Tensor], torch.Tensor]
    derivative: Callable[[torch.Tensor], torch.Tensor] | None

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return self.function(z)


_ACTIVATIONS: dict[str, Activation] = {}


def register_activation(activation: Activation) -> Activation:
    """Add ``activation`` to the registry under ``activation.name`` and return it.

    Raises
    ------
    ValueError
        If the name is already registered.
    """
    if activation.name in _ACTIVATIONS:
        raise ValueError(
            f"register_activation: an activation named {activation.name!r} is already "
            "registered; choose another name."
        )
    _ACTIVATIONS[activation.name] = activation
    return activation


def list_activations() -> list[str]:
    """Names of the registered activations."""
    return sorted(_ACTIVATIONS)


def create_activation(name: str) -> Activation:
    """Return the activation registered as ``name``.

    Raises
    ------
    ValueError
        If ``name`` is not registered; the message lists the valid names.
    """
    if not isinstance(name, str) or name not in _ACTIVATIONS:
        raise ValueError(
            f"The 'activation' parameter must be one of {list_activations()}. Got {name!r} instead."
        )
    return _ACTIVATIONS[name]


_LEAKY_SLOPE = 0.01  # torch's default negative slope

register_activation(
    Activation("relu", torch.relu, torch.relu_, lambda a: (a > 0).to(a.dtype)),
)
register_activation(
    Activation("tanh", torch.tanh, torch.tanh_, lambda a: 1 - a * a),
)
register_activation(
    Activation("sigmoid", torch.sigmoid, torch.sigmoid_, lambda a: a * (1 - a)),
)
register_activation(
    Activation(
        "leaky_relu",
        lambda z: torch.nn.functional.leaky_relu(z, _LEAKY_SLOPE),
        lambda z: torch.nn.functional.leaky_relu_(z, _LEAKY_SLOPE),
        # leaky ReLU keeps the sign, so a > 0 exactly where z > 0
        lambda a: torch.where(a > 0, 1.0, _LEAKY_SLOPE).to(a.dtype),
    ),
)
register_activation(
    Activation(
        "elu",
        torch.nn.functional.elu,
        torch.nn.functional.elu_,
        # elu(z) = exp(z) - 1 for z <= 0, so σ'(z) = exp(z) = a + 1 there
        lambda a: torch.where(a > 0, torch.ones_like(a), a + 1),
    ),
)
register_activation(
    Activation("identity", lambda z: z, lambda z: z, None),
)
