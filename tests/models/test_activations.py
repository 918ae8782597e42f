"""Tests for models.activations: every registered activation against autograd."""

import pytest
import torch

import models.activations
from models.activations import create_activation, list_activations


@pytest.mark.parametrize("name", list_activations())
def test_derivative_from_output_matches_autograd(name):
    activation = create_activation(name)
    z = torch.linspace(-3, 3, 61, dtype=torch.double).requires_grad_()
    a = activation(z)
    (expected,) = torch.autograd.grad(a.sum(), z)
    derivative = activation.derivative
    got = torch.ones_like(a) if derivative is None else derivative(a.detach())
    mask = z.detach() != 0  # kinks at 0 have no unique derivative
    torch.testing.assert_close(got[mask].double(), expected[mask])


@pytest.mark.parametrize("name", list_activations())
def test_inplace_equals_out_of_place(name):
    activation = create_activation(name)
    z = torch.randn(50)
    expected = activation(z.clone())
    got = z.clone()
    assert activation.inplace(got) is not None
    torch.testing.assert_close(got, expected)


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="relu") as info:
        create_activation("swishy")
    assert "swishy" in str(info.value)


# Independent references: torch's nn modules, one per registered name.
_TORCH_REFERENCE = {
    "relu": torch.nn.ReLU(),
    "tanh": torch.nn.Tanh(),
    "sigmoid": torch.nn.Sigmoid(),
    "leaky_relu": torch.nn.LeakyReLU(0.01),
    "elu": torch.nn.ELU(),
    "identity": torch.nn.Identity(),
}


@pytest.mark.parametrize("name", list_activations())
def test_every_activation_matches_its_torch_module(name):
    assert name in _TORCH_REFERENCE, f"add a torch reference for the new activation {name!r}"
    z = torch.tensor([-3.0, -1.0, -0.25, 0.0, 0.5, 2.0])
    torch.testing.assert_close(create_activation(name)(z), _TORCH_REFERENCE[name](z))


def test_registry_refuses_a_duplicate_name():
    relu = create_activation("relu")
    with pytest.raises(ValueError, match="'relu' is already registered"):
        models.activations.register_activation(relu)
    assert create_activation("relu") is relu
