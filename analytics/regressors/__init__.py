"""Structural performance regressors: predict a network's performance from its graph features.

Four regressors in a registry (:func:`list_regressors`, :func:`create_regressor`,
:func:`register_regressor`) — BayesianRidge, RandomForest, AdaBoost and XGBoost — scored by
:func:`evaluate_regressors` with repeated K-fold R² and the rank agreement of out-of-fold
predictions (the honest numbers), beside the paper's single 90/10 split (``paper_r2``, for
comparison with its published numbers). Everything is seeded.

* :mod:`~analytics.regressors.registry` — the named regressors and the in-fold pipeline;
* :mod:`~analytics.regressors.evaluation` — the score table, fits in parallel;
* :mod:`~analytics.regressors.paper_protocol` — the paper's split, as its script ran it;
* :mod:`~analytics.regressors.rank_metrics` — Kendall's τ, Spearman's ρ, precision at 10%;
* :mod:`~analytics.regressors.bootstrap` — percentile intervals for the scores;
* :mod:`~analytics.regressors.importances` — permutation importances on held-out folds.
"""

from analytics.regressors import xgboost_rank as _xgboost_rank  # noqa: F401 - registers it
from analytics.regressors.evaluation import (
    RegressionResult,
    cross_validated_predictions,
    evaluate_regressors,
)
from analytics.regressors.paper_protocol import paper_r2
from analytics.regressors.rank_metrics import (
    kendall_tau,
    precision_at_top,
    rank_metrics,
    spearman_pred,
)
from analytics.regressors.registry import create_regressor, list_regressors, register_regressor

__all__ = [
    "RegressionResult",
    "create_regressor",
    "cross_validated_predictions",
    "evaluate_regressors",
    "kendall_tau",
    "list_regressors",
    "paper_r2",
    "precision_at_top",
    "rank_metrics",
    "register_regressor",
    "spearman_pred",
]
