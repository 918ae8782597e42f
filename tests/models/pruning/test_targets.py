"""Prunable parameters: defaults, custom classes (as the recurrent study uses), validation."""

import pytest
import torch

from models.masked_linear import MaskedLinear
from models.masked_recurrent import MaskedRecurrentLayer
from models.pruning import PrunableParameter, PruningError, prunable_parameters, prune


def test_custom_classes_plug_recurrent_targets_into_class_uniform_pruning():
    torch.manual_seed(0)
    layer = MaskedRecurrentLayer("gru", 4, 6)  # weight_ih (18, 4), weight_hh (18, 6)
    targets = [
        PrunableParameter("ih", layer, "weight_ih", group="i2h"),
        PrunableParameter("hh", layer, "weight_hh", group="h2h"),
    ]
    prune(layer, "magnitude_class_uniform", 0.5, targets=targets)
    assert int((~layer.get_mask("weight_ih")).sum()) == 36
    assert int((~layer.get_mask("weight_hh")).sum()) == 54
    assert [t.name for t in prunable_parameters(layer)] == ["weight_ih", "weight_hh"]


def test_prunable_parameter_validation():
    layer = MaskedLinear(3, 2)
    with pytest.raises(PruningError, match="must belong to a MaskedModule"):
        PrunableParameter("w", torch.nn.Linear(3, 2), "weight", "g")
    with pytest.raises(PruningError, match="names 'bias', which is not a masked parameter"):
        PrunableParameter("b", layer, "bias", "g")
    with pytest.raises(PruningError, match="names a parameter twice"):
        prune(layer, "random", 0.5, targets=[PrunableParameter("w", layer, "weight", "g")] * 2)
    with pytest.raises(PruningError, match="The 'targets' parameter of WeightGranularity is empty"):
        prune(layer, "random", 0.5, targets=[])
