"""Permutation feature importances on held-out folds (opt-in: the slow part for the ensembles)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.inspection import permutation_importance

from analytics.regressors.registry import create_regressor

__all__ = ["fold_importances", "pool_importances"]

PERMUTATION_REPEATS = 5  # shuffles of each feature per held-out fold


def fold_importances(
    name: str, seed: int, profile: str, x_train, y_train, x_test, y_test
) -> np.ndarray:  # fmt: skip
    """Drop in R² on one held-out fold when each feature is shuffled: ``(features, repeats)``."""
    fitted = create_regressor(name, seed=seed, profile=profile).fit(x_train, y_train)
    result = permutation_importance(
        fitted, x_test, y_test, scoring="r2", n_repeats=PERMUTATION_REPEATS, random_state=seed
    )
    return result.importances


def pool_importances(
    group: str, name: str, per_fold: Sequence[np.ndarray], features: Sequence[str]
) -> list[dict]:
    """One row per feature: mean and std of the drops over all folds and shuffles."""
    stacked = np.concatenate(per_fold, axis=1)  # (features, folds * repeats)
    return [
        {
            "group": group,
            "regressor": name,
            "feature": feature,
            "importance_mean": float(stacked[i].mean()),
            "importance_std": float(stacked[i].std()),
        }
        for i, feature in enumerate(features)
    ]
