"""Every pruning method on a tiny LSTM classifier: it works on the chosen targets or refuses.

Parametrized over the registry itself, so a new method is checked here when it is added.
Documented refusals (models/pruning/__init__.py): SynFlow, whose flow conservation needs a
positively homogeneous feed-forward network and an all-ones input.
"""

import pytest
import torch

from models.masked_recurrent import MaskedRecurrent
from models.pruning import (
    PruningContext,
    PruningError,
    create_pruning_method,
    gauss_newton_diagonal,
    list_pruning_methods,
    prune,
    recurrent_targets,
)
from models.sequence_classifier import SequenceClassifier

REFUSE_RECURRENT = {"synflow": "does not prune recurrent networks"}
OPTIONS = {"synflow": {"iterations": 2}}


def _classifier(cell="lstm"):
    torch.manual_seed(0)
    return SequenceClassifier(MaskedRecurrent(cell, 3, [4, 4]), 12, 3, 2)


def _data():
    generator = torch.Generator().manual_seed(2)
    tokens = torch.randint(1, 12, (6, 5), generator=generator)
    lengths = torch.tensor([5, 4, 3, 5, 2, 1])
    labels = torch.randint(0, 2, (6,), generator=generator)
    return [((tokens[:3], lengths[:3]), labels[:3]), ((tokens[3:], lengths[3:]), labels[3:])]


@pytest.mark.parametrize("name", list_pruning_methods())
@pytest.mark.parametrize("target", ["h2h", "i2h"])
def test_every_method_prunes_only_the_chosen_recurrent_weights_or_refuses(name, target):
    model = _classifier()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    targets = recurrent_targets(model, target)
    total = sum(t.numel for t in targets)  # h2h: 2 x 16 x 4; i2h: 16 x 3 + 16 x 4
    method = create_pruning_method(name, **OPTIONS.get(name, {}))
    context = PruningContext(data=_data(), seed=3)
    if name in REFUSE_RECURRENT:
        with pytest.raises(PruningError, match=REFUSE_RECURRENT[name]):
            prune(model, method, 0.25, targets=targets, context=context)
        for key, value in model.state_dict().items():
            assert torch.equal(value, before[key])  # the failed step left nothing behind
        return
    prune(model, method, 0.25, targets=targets, context=context)
    pruned = sum(int((~t.mask).sum()) for t in targets)
    assert pruned == round(0.25 * total)
    other = {"h2h": "weight_ih", "i2h": "weight_hh"}[target]
    for index, layer in enumerate(model.body.layers):
        assert bool(layer.get_mask(other).all())
        assert torch.equal(
            getattr(layer, other), before[f"body.layers.{index}.{other}"]
        )  # untouched
    for t in targets:
        assert bool((t.tensor[~t.mask] == 0).all())
    assert torch.equal(model.readout.weight, before["readout.weight"])


def test_per_sample_gauss_newton_on_a_recurrent_model_equals_explicit_jt_h_j():
    model = _classifier("tanh")
    parameter = model.body.layers[0].weight_hh
    data = _data()
    found = gauss_newton_diagonal(model, [parameter], data, torch.nn.functional.cross_entropy)[0]
    # independent answer: per-sample Jacobian of the logits, softmax Hessian diag(p) - p pᵀ
    expected = torch.zeros(parameter.numel())
    count = 0
    model.eval()
    for (tokens, lengths), labels in data:
        for n in range(len(labels)):

            def logits(flat, n=n, tokens=tokens, lengths=lengths):
                replaced = {"body.layers.0.weight_hh": flat.reshape(parameter.shape)}
                return torch.func.functional_call(
                    model, replaced, (tokens[n : n + 1], lengths[n : n + 1])
                )[0]

            flat = parameter.detach().reshape(-1)
            jacobian = torch.autograd.functional.jacobian(logits, flat)  # (2, weights)
            p = torch.softmax(logits(flat), dim=0).detach()
            hessian = torch.diag(p) - torch.outer(p, p)
            expected += torch.einsum("ow,op,pw->w", jacobian, hessian, jacobian)
            count += 1
    torch.testing.assert_close(found.reshape(-1), expected / count, rtol=1e-4, atol=1e-9)
    assert bool((found > 0).any())
