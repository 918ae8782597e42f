import numpy as np
import polars as pl
import pytest


@pytest.fixture
def frame():
    """80 rows in two groups; acc = 3a - b + small noise; junk is unrelated."""
    rng = np.random.default_rng(1)
    n = 80
    a, b = rng.uniform(size=n), rng.uniform(size=n)
    return pl.DataFrame(
        {
            "group": ["x"] * 40 + ["y"] * 40,
            "a": a,
            "b": b,
            "junk": rng.uniform(size=n),
            "acc": 3 * a - b + rng.normal(scale=0.05, size=n),
        }
    )
