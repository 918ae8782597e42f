"""What a pruning method may need besides the weights: training data, the loss, a seed.

Data comes as an iterable of ``(inputs, labels)`` batches of the training set (a
``torch.utils.data.DataLoader`` over a ``TensorDataset`` is one); ``inputs`` is a tensor, or a
tuple of tensors passed to the model as positional arguments (``model(*inputs)``). The loss is
the *mean* training loss ``loss(outputs, labels)`` (default cross-entropy), so the Hessian and
gradients below are those of the training objective.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

import torch
import torch.nn.functional as F
from torch import nn

from models.pruning.errors import PruningError

__all__ = ["Batch", "PruningContext", "model_output"]

Batch = tuple[torch.Tensor | tuple[torch.Tensor, ...], torch.Tensor]


@dataclass
class PruningContext:
    """Inputs of the saliency functions beyond the model itself."""

    data: Iterable[Batch] | None = None  # training batches (OBD, SNIP); None = data-free
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy  # mean loss
    seed: int = 0  # random pruning draws from a generator seeded with this
    input_shape: tuple[int, ...] | None = None  # per-sample input shape (SynFlow's ones input)
    generator: torch.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.generator = torch.Generator().manual_seed(int(self.seed))

    def require_data(self, method: str) -> None:
        """Raise a clear :class:`PruningError` if there is no training data for ``method``."""
        if self.data is None:
            raise PruningError(
                f"The {method!r} pruning method needs training data: pass data= (an iterable "
                "of (inputs, labels) batches of the training set)."
            )

    def batches(
        self, method: str, max_batches: int | None = None, *, device: torch.device | None = None
    ) -> Iterator[Batch]:
        """The training batches, or a clear error if ``method`` needs data and has none.

        With ``device`` (the pruned model's), every tensor of a batch is moved there: a
        loader on the CPU serves a model on a GPU.
        """
        self.require_data(method)
        count = 0
        for batch in islice(self.data, max_batches):
            count += 1
            yield batch if device is None else _batch_on(batch, device)
        if count == 0:
            raise PruningError(f"The data given to the {method!r} pruning method is empty.")


def _batch_on(batch: Batch, device: torch.device) -> Batch:
    inputs, labels = batch
    if isinstance(inputs, tuple | list):
        inputs = tuple(t.to(device) for t in inputs)
    else:
        inputs = inputs.to(device)
    return inputs, labels.to(device)


def model_output(model: nn.Module, inputs: torch.Tensor | tuple[torch.Tensor, ...]):
    """``model(*inputs)`` for a tuple of inputs, ``model(inputs)`` for one tensor."""
    if isinstance(inputs, tuple | list):
        return model(*inputs)
    return model(inputs)
