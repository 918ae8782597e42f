"""Structural performance regressors: predict a network's performance from its graph features.

Regressors in a registry (:func:`list_regressors`, :func:`create_regressor`,
:func:`register_regressor`) — the paper's BayesianRidge, RandomForest, AdaBoost and XGBoost,
fitted by default (:func:`default_regressors`), and the opt-in ``xgboost_rank`` (XGBoost on
rank quantiles, for ranking architectures) — scored by
:func:`evaluate_regressors` with repeated K-fold R² and the rank agreement of out-of-fold
predictions (the honest numbers), beside the paper's single 90/10 split (``paper_r2``, for
comparison with its published numbers). Everything is seeded.

* :mod:`~analytics.regressors.registry` — the named regressors and the in-fold pipeline;
* :mod:`~analytics.regressors.evaluation` — the score table, fits in parallel;
* :mod:`~analytics.regressors.paper_protocol` — the paper's split, as its script ran it;
* :mod:`~analytics.regressors.rank_metrics` — Kendall's τ, Spearman's ρ, precision at 10%;
* :mod:`~analytics.regressors.bootstrap` — percentile intervals for the scores;
* :mod:`~analytics.regressors.importances` — permutation importances on held-out folds;
* :mod:`~analytics.regressors.fit_pool` — the fits on worker processes, longest first;
  :mod:`~analytics.regressors.param_names` and :mod:`~analytics.regressors.prechecked_tree`
  make scikit-learn's per-tree bookkeeping cheaper without changing a number.

The names below load on first use (:pep:`562`), so that importing a light submodule — the CLI
starts the fit pool's worker server through :mod:`~analytics.regressors.fit_pool` before
anything else — does not first import scikit-learn (a second or more) through this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# numpy only, and imported here so that the function rank_metrics, not the module of that name,
# is what `from analytics.regressors import rank_metrics` gives
from analytics.regressors.rank_metrics import (
    kendall_tau,
    precision_at_top,
    rank_metrics,
    spearman_pred,
)

if TYPE_CHECKING:
    from analytics.regressors.evaluation import (
        RegressionResult,
        cross_validated_predictions,
        evaluate_regressors,
    )
    from analytics.regressors.paper_protocol import paper_r2
    from analytics.regressors.registry import (
        create_regressor,
        default_regressors,
        list_regressors,
        register_regressor,
    )

__all__ = [
    "RegressionResult",
    "create_regressor",
    "cross_validated_predictions",
    "default_regressors",
    "evaluate_regressors",
    "kendall_tau",
    "list_regressors",
    "paper_r2",
    "precision_at_top",
    "rank_metrics",
    "register_regressor",
    "spearman_pred",
]

_HOMES = {
    "RegressionResult": "evaluation",
    "cross_validated_predictions": "evaluation",
    "evaluate_regressors": "evaluation",
    "paper_r2": "paper_protocol",
    "create_regressor": "registry",
    "default_regressors": "registry",
    "list_regressors": "registry",
    "register_regressor": "registry",
}


def __getattr__(name: str) -> Any:
    """A public name (imported from its module on first use), or a submodule."""
    if name in _HOMES:
        value = getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
        globals()[name] = value  # later look-ups do not come here
        return value
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
