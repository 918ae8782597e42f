"""Image classification data sets for the pruning studies, by name.

A :class:`Dataset` holds a train and a test split as flat float32 inputs in [0, 1] and int64
labels, ready for a feed-forward network. Loaders register under a name with
:func:`register_dataset`; :func:`create_dataset` builds one (unknown names list the valid
ones) and :func:`list_datasets` names them all. Duplicate names are refused.

Example
-------
>>> data = create_dataset("digits", seed=0)
>>> data.in_features, data.num_classes, len(data.train_labels) + len(data.test_labels)
(64, 10, 1797)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch.utils.data import DataLoader, TensorDataset

__all__ = [
    "Dataset",
    "create_dataset",
    "list_datasets",
    "register_dataset",
    "stratified_split",
]

Loader = Callable[..., "Dataset"]
_DATASETS: dict[str, Loader] = {}


@dataclass(frozen=True)
class Dataset:
    """A train/test split of flattened images.

    Attributes
    ----------
    name:
        Registered name and variant (e.g. ``"mnist (embedded, 5000 samples)"``).
    train_inputs, test_inputs:
        ``(samples, features)`` float32 in [0, 1].
    train_labels, test_labels:
        ``(samples,)`` int64 class indices.
    num_classes:
        Number of classes.
    image_shape:
        ``(height, width)`` of one image.
    channels:
        Colour channels of one image (``features = channels · height · width``, channel-major:
        ``inputs.view(-1, channels, height, width)`` is the image batch).
    """

    name: str
    train_inputs: torch.Tensor
    train_labels: torch.Tensor
    test_inputs: torch.Tensor
    test_labels: torch.Tensor
    num_classes: int
    image_shape: tuple[int, int]
    channels: int = 1

    @property
    def in_features(self) -> int:
        return int(self.train_inputs.shape[1])

    def loader(
        self, split: str = "train", *, batch_size: int = 64, shuffle: bool = False, seed: int = 0
    ) -> DataLoader:
        """A ``DataLoader`` of ``(inputs, labels)`` batches of ``split`` (``train``/``test``).

        With ``shuffle``, the order comes from a generator seeded with ``seed``.
        """
        if split not in ("train", "test"):
            raise ValueError(
                f"The 'split' parameter of Dataset.loader must be 'train' or 'test'. "
                f"Got {split!r} instead."
            )
        inputs, labels = (
            (self.train_inputs, self.train_labels)
            if split == "train"
            else (self.test_inputs, self.test_labels)
        )
        generator = torch.Generator().manual_seed(seed) if shuffle else None
        return DataLoader(
            TensorDataset(inputs, labels),
            batch_size=batch_size,
            shuffle=shuffle,
            generator=generator,
        )


def register_dataset(name: str) -> Callable[[Loader], Loader]:
    """Decorator registering ``loader(**options) -> Dataset`` as ``name``."""

    def decorator(loader: Loader) -> Loader:
        if name in _DATASETS:
            raise ValueError(f"A dataset named {name!r} is already registered.")
        _DATASETS[name] = loader
        return loader

    return decorator


def create_dataset(name: str, **options: Any) -> Dataset:
    """Load the dataset ``name`` with keyword ``options`` (see each loader).

    Raises
    ------
    ValueError
        If ``name`` is not registered; the message lists the valid names.
    """
    if name not in _DATASETS:
        raise ValueError(f"Unknown dataset {name!r}; valid names: {list_datasets()}.")
    return _DATASETS[name](**options)


def list_datasets() -> list[str]:
    """Names of the registered datasets, sorted."""
    return sorted(_DATASETS)


def stratified_split(
    inputs: np.ndarray,
    labels: np.ndarray,
    *,
    test_fraction: float,
    seed: int,
    scale: float,
    name: str,
    num_classes: int,
    image_shape: tuple[int, int],
) -> Dataset:
    """A :class:`Dataset` from one pool, split with class proportions kept (scikit-learn)."""
    if isinstance(test_fraction, bool) or not 0.0 < float(test_fraction) < 1.0:
        raise ValueError(
            f"The 'test_fraction' parameter of {name} must be a float in (0, 1). "
            f"Got {test_fraction!r} instead."
        )
    train_x, test_x, train_y, test_y = train_test_split(
        inputs, labels, test_size=test_fraction, stratify=labels, random_state=seed
    )
    return Dataset(
        name=name,
        train_inputs=torch.as_tensor(train_x / scale, dtype=torch.float32),
        train_labels=torch.as_tensor(train_y, dtype=torch.int64),
        test_inputs=torch.as_tensor(test_x / scale, dtype=torch.float32),
        test_labels=torch.as_tensor(test_y, dtype=torch.int64),
        num_classes=num_classes,
        image_shape=image_shape,
    )
