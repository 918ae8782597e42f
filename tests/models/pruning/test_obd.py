"""Optimal Brain Damage: ½ h_ii w² with the Hessian of the training loss, never magnitude."""

import pytest
import torch
import torch.nn.functional as F

from models.feedforward import MaskedFeedForward
from models.masked_linear import MaskedLinear
from models.pruning import PruningContext, PruningError, create_pruning_method, prune
from models.pruning.targets import prunable_parameters


def test_obd_exact_saliency_is_half_hessian_diagonal_times_weight_squared():
    torch.manual_seed(0)
    layer = MaskedLinear(3, 2, bias=False).double()
    x = torch.randn(6, 3, dtype=torch.double)
    y = torch.tensor([0, 1, 1, 0, 1, 0])
    flat = layer.weight.detach().reshape(-1)

    def loss(w):
        return F.cross_entropy(x @ w.reshape(2, 3).T, y)

    h = torch.diagonal(torch.autograd.functional.hessian(loss, flat)).reshape(2, 3)
    method = create_pruning_method("obd", hessian="exact")
    (scores,) = method.saliency(layer, prunable_parameters(layer), PruningContext(data=[(x, y)]))
    torch.testing.assert_close(scores, 0.5 * h * layer.weight.detach() ** 2)


def test_obd_prunes_large_weights_on_a_dead_input_first():
    """An always-zero input gives its weights zero curvature: OBD removes them, large or not."""
    torch.manual_seed(0)
    net = MaskedFeedForward(3, [4], 2)
    with torch.no_grad():
        net.layers[0].weight[:, 0] = 5.0  # the largest weights, fed by the dead input 0
    x = torch.randn(32, 3)
    x[:, 0] = 0.0
    y = torch.randint(0, 2, (32,))
    prune(net, "obd", 4 / 20, context=PruningContext(data=[(x, y)]))
    assert not net.layers[0].get_mask()[:, 0].any()
    assert net.layers[0].get_mask()[:, 1:].all() and net.layers[1].get_mask().all()


def test_obd_default_is_gauss_newton_and_other_names_are_refused():
    assert create_pruning_method("obd").hessian == "gauss-newton"
    with pytest.raises(PruningError, match="The 'hessian' parameter of obd must be one of"):
        create_pruning_method("obd", hessian="hutchinson")


def test_obd_without_data_names_what_is_missing(tiny_net):
    with pytest.raises(PruningError, match="'obd' pruning method needs training data: pass data="):
        prune(tiny_net, "obd", 0.5, context=PruningContext())
    with pytest.raises(PruningError, match="data given to the 'obd' pruning method is empty"):
        prune(tiny_net, "obd", 0.5, context=PruningContext(data=[]))
    assert all(bool(m.all()) for m in tiny_net.masks())
