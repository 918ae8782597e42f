"""Shared tiny models and data for the pruning engine tests."""

from __future__ import annotations

import pytest
import torch

from models.feedforward import MaskedFeedForward


@pytest.fixture
def tiny_net() -> MaskedFeedForward:
    """4-5-3 ReLU net (20 + 15 = 35 prunable weights), seeded."""
    torch.manual_seed(0)
    return MaskedFeedForward(4, [5], 3)


@pytest.fixture
def tiny_data() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Two batches of 4-feature inputs with 3-class labels."""
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(12, 4, generator=generator)
    y = torch.randint(0, 3, (12,), generator=generator)
    return [(x[:6], y[:6]), (x[6:], y[6:])]
