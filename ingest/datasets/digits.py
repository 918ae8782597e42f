"""scikit-learn's 8×8 digits (1,797 images, bundled with scikit-learn: no download).

Pixel values 0 … 16 are scaled to [0, 1]; the split is stratified and seeded.
"""

from __future__ import annotations

from sklearn.datasets import load_digits

from ingest.datasets.registry import Dataset, register_dataset, stratified_split

__all__ = ["load_digits_dataset"]


@register_dataset("digits")
def load_digits_dataset(*, seed: int = 0, test_fraction: float = 0.2) -> Dataset:
    """The 8×8 digits, split into train/test with ``seed`` (stratified by class)."""
    bunch = load_digits()
    return stratified_split(
        bunch.data,
        bunch.target,
        test_fraction=test_fraction,
        seed=seed,
        scale=16.0,
        name="digits",
        num_classes=10,
        image_shape=(8, 8),
    )
