"""Data sets for the pruning and search studies, in a registry (``cifar10``, ``digits``, ``mnist``).

>>> sorted(list_datasets())
['cifar10', 'digits', 'mnist']
"""

from ingest.datasets import cifar10, digits, mnist  # noqa: F401  (registers the loaders)
from ingest.datasets.mnist import DatasetFileError, load_embedded_mnist, load_mnist_idx, read_idx
from ingest.datasets.registry import Dataset, create_dataset, list_datasets, register_dataset

__all__ = [
    "Dataset",
    "DatasetFileError",
    "create_dataset",
    "list_datasets",
    "load_embedded_mnist",
    "load_mnist_idx",
    "read_idx",
    "register_dataset",
]
