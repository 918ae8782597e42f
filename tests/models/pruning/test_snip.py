import numpy as np
import torch
import torch.nn.functional as F

from models.masked_linear import MaskedLinear
from models.pruning import PruningContext, create_pruning_method
from models.pruning.targets import prunable_parameters


def test_snip_scores_are_gradient_times_weight_computed_by_hand():
    torch.manual_seed(0)
    layer = MaskedLinear(3, 2, bias=False).double()
    x = torch.randn(5, 3, dtype=torch.double)
    y = torch.randn(5, 2, dtype=torch.double)
    context = PruningContext(data=[(x[:2], y[:2]), (x[2:], y[2:])], loss=F.mse_loss)
    (scores,) = create_pruning_method("snip").saliency(layer, prunable_parameters(layer), context)
    w, xn, yn = layer.weight.detach().numpy(), x.numpy(), y.numpy()
    gradient = 2 / yn.size * (xn @ w.T - yn).T @ xn  # d/dW mean((XWᵀ - Y)²)
    np.testing.assert_allclose(scores.numpy(), np.abs(gradient * w), rtol=1e-10)
