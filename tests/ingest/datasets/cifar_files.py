"""Tiny CIFAR-10 python batches written by tests (the real format, a few images each)."""

import pickle
from pathlib import Path

import numpy as np

from ingest.datasets.cifar10 import TEST_BATCH, TRAIN_BATCHES


def write_cifar_batches(directory: Path, *, per_batch: int = 10, seed: int = 0) -> Path:
    """Write ``data_batch_1..5`` and ``test_batch`` with ``per_batch`` images each (every class
    present when ``per_batch >= 10``); returns ``directory``."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for name in (*TRAIN_BATCHES, TEST_BATCH):
        batch = {
            b"batch_label": name.encode(),
            b"labels": [i % 10 for i in range(per_batch)],
            b"data": rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8),
        }
        (directory / name).write_bytes(pickle.dumps(batch, protocol=2))
    return directory
