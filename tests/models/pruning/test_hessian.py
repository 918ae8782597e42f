"""Hessian diagonals against independent full computations on tiny networks."""

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from models.feedforward import MaskedFeedForward
from models.pruning.errors import PruningError
from models.pruning.hessian import exact_hessian_diagonal, gauss_newton_diagonal


def _setup(activation: str):
    torch.manual_seed(3)
    net = MaskedFeedForward(3, [4], 3, activation=activation).double()
    mask = torch.ones(4, 3, dtype=torch.bool)
    mask[0, 1] = False
    net.layers[0].set_mask("weight", mask)
    x = torch.randn(9, 3, dtype=torch.double)
    y = torch.randint(0, 3, (9,))
    params = [net.layers[0].weight, net.layers[1].weight, net.layers[0].bias]
    return net, [(x[:4], y[:4]), (x[4:], y[4:])], params, x, y


def _as_function(net, params, x, make_loss):
    """The loss as a function of one flat vector of ``params`` (others fixed)."""
    names = {id(p): n for n, p in net.named_parameters()}
    keys = [names[id(p)] for p in params]
    shapes = [p.shape for p in params]
    sizes = [p.numel() for p in params]

    def function(flat):
        chunks = [c.reshape(s) for c, s in zip(flat.split(sizes), shapes, strict=True)]
        pieces = dict(zip(keys, chunks, strict=True))
        return make_loss(functional_call(net, pieces, (x,)))

    return function, torch.cat([p.detach().reshape(-1) for p in params])


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_exact_diagonal_matches_autograd_functional_hessian(activation):
    net, batches, params, x, y = _setup(activation)
    function, flat = _as_function(net, params, x, lambda out: F.cross_entropy(out, y))
    expected = torch.diagonal(torch.autograd.functional.hessian(function, flat))
    got = torch.cat(
        [d.reshape(-1) for d in exact_hessian_diagonal(net, params, batches, F.cross_entropy)]
    )
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("implementation", ["linear", "functional"])
def test_gauss_newton_diagonal_matches_explicit_jacobian_products(implementation):
    net, batches, params, x, y = _setup("tanh")
    function, flat = _as_function(net, params, x, lambda out: out)
    jacobian = torch.autograd.functional.jacobian(function, flat)  # (N, C, P)
    p = torch.softmax(net(x), dim=1).detach()
    loss_hessian = torch.diag_embed(p) - p[:, :, None] * p[:, None, :]  # CE w.r.t. logits
    gn = torch.einsum("ncp,ncd,ndq->pq", jacobian, loss_hessian, jacobian) / len(y)
    got = gauss_newton_diagonal(
        net, params, batches, F.cross_entropy, chunk_size=3, implementation=implementation
    )
    torch.testing.assert_close(torch.cat([d.reshape(-1) for d in got]), torch.diagonal(gn))


@pytest.mark.parametrize("implementation", ["linear", "functional"])
def test_gauss_newton_for_squared_error_is_scaled_jt_j(implementation):
    net, batches, params, x, _ = _setup("tanh")
    targets = torch.randn(9, 3, dtype=torch.double)
    data = [(x[:5], targets[:5]), (x[5:], targets[5:])]
    function, flat = _as_function(net, params, x, lambda out: out)
    jacobian = torch.autograd.functional.jacobian(function, flat).reshape(27, -1)  # (N*C, P)
    expected = torch.diagonal(jacobian.T @ jacobian) * 2 / 27  # mean over N*C entries
    got = gauss_newton_diagonal(net, params, data, F.mse_loss, implementation=implementation)
    torch.testing.assert_close(torch.cat([d.reshape(-1) for d in got]), expected)


def test_relu_network_gauss_newton_equals_exact_but_tanh_does_not():
    relu, batches, params, *_ = _setup("relu")
    exact = exact_hessian_diagonal(relu, params, batches, F.cross_entropy)
    gn = gauss_newton_diagonal(relu, params, batches, F.cross_entropy)
    for e, g in zip(exact, gn, strict=True):
        torch.testing.assert_close(e, g)
    tanh, batches, params, *_ = _setup("tanh")
    exact = exact_hessian_diagonal(tanh, params, batches, F.cross_entropy)
    gn = gauss_newton_diagonal(tanh, params, batches, F.cross_entropy)
    assert not torch.allclose(exact[0], gn[0], atol=1e-6)
    torch.testing.assert_close(exact[1], gn[1])  # the output layer is linear in its weights


def test_linear_implementation_refuses_other_layers_and_auto_falls_back():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    x, y = torch.randn(5, 3), torch.tensor([0, 1, 1, 0, 1])
    params = [net[0].weight]
    with pytest.raises(PruningError, match="The 'linear' Gauss-Newton implementation needs"):
        gauss_newton_diagonal(net, params, [(x, y)], F.cross_entropy, implementation="linear")
    auto = gauss_newton_diagonal(net, params, [(x, y)], F.cross_entropy)
    functional = gauss_newton_diagonal(
        net, params, [(x, y)], F.cross_entropy, implementation="functional"
    )
    torch.testing.assert_close(auto[0], functional[0])
    with pytest.raises(PruningError, match="The 'implementation' parameter"):
        gauss_newton_diagonal(net, params, [(x, y)], F.cross_entropy, implementation="fast")
