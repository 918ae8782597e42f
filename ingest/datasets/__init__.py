"""Data sets for the pruning studies, in a registry (``mnist``, ``digits``).

>>> sorted(list_datasets())
['digits', 'mnist']
"""

from ingest.datasets import digits, mnist  # noqa: F401  (registers the loaders)
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
