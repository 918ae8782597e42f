import pytest
import torch
from torch import nn

from models.masking import MaskedModule, MaskError, check_mask, float_mask


class Toy(MaskedModule):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(3, 4))
        self.register_mask("weight")

    def forward(self, x):
        return x @ self.masked("weight").T


def test_masked_entries_are_zero_in_storage_forward_and_gradient():
    torch.manual_seed(0)
    toy = Toy()
    mask = torch.rand(3, 4) > 0.5
    toy.set_mask("weight", mask)
    assert bool((toy.weight[~mask] == 0).all())
    toy(torch.randn(5, 4)).sum().backward()
    assert bool((toy.weight.grad[~mask] == 0).all())
    optimizer = torch.optim.AdamW(toy.parameters(), lr=0.1, weight_decay=0.1)
    for _ in range(5):
        optimizer.zero_grad()
        toy(torch.randn(5, 4)).pow(2).sum().backward()
        optimizer.step()
    assert bool((toy.weight[~mask] == 0).all())
    assert bool((toy.weight[mask] != 0).all())


def test_combine_only_removes_and_masks_live_in_the_state_dict():
    toy = Toy()
    first = torch.tensor([[1, 1, 0, 0]] * 3, dtype=torch.bool)
    toy.set_mask("weight", first)
    toy.combine_mask("weight", torch.tensor([[1, 0, 1, 0]] * 3))
    assert toy.get_mask("weight").tolist() == [[True, False, False, False]] * 3
    other = Toy()
    other.load_state_dict(toy.state_dict())
    assert torch.equal(other.get_mask("weight"), toy.get_mask("weight"))
    assert bool((other.weight[:, 1:] == 0).all())


def test_float_mask_follows_mask_changes():
    toy = Toy()
    assert float(float_mask(toy).sum()) == 12
    toy.set_mask("weight", torch.zeros(3, 4, dtype=torch.bool))
    assert float(float_mask(toy).sum()) == 0
    assert float_mask(toy).dtype == toy.weight.dtype


def test_bad_masks_are_named():
    toy = Toy()
    with pytest.raises(MaskError, match=r"shape \(3, 4\); got \(4, 3\)"):
        toy.set_mask("weight", torch.ones(4, 3, dtype=torch.bool))
    with pytest.raises(MaskError, match="only hold 0 and 1"):
        toy.set_mask("weight", torch.full((3, 4), 0.5))
    with pytest.raises(MaskError, match="complex"):
        check_mask(torch.ones(3, 4, dtype=torch.complex64), toy.weight, where="toy")
    with pytest.raises(KeyError, match="bias"):
        toy.get_mask("bias")
