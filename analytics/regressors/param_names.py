"""Remember each scikit-learn estimator class's parameter names while fits run.

scikit-learn finds an estimator's parameter names by reading the signature of its
``__init__`` (``BaseEstimator._get_param_names``, via :mod:`inspect`) every time it clones an
estimator or gets or sets its parameters — five times per tree of a random forest, four per
boosting step of AdaBoost, about a tenth of those fits' time on the paper's 160-row folds. The
names of a class never change while a process runs, so :func:`cached_param_names` computes them
once per class; everything else (the estimators, their seeds, their numbers) is scikit-learn's
own. The fit pool enters it around its tasks (:mod:`analytics.regressors.fit_pool`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["cached_param_names"]


@contextmanager
def cached_param_names() -> Iterator[None]:
    """Within the block, each class's parameter names are computed once (same names).

    Restores scikit-learn's own lookup on exit. If scikit-learn no longer has the lookup
    (a future version), the block runs unchanged.
    """
    from sklearn.base import BaseEstimator  # here: importing the fit pool stays light

    original = BaseEstimator.__dict__.get("_get_param_names")
    if not isinstance(original, classmethod):
        yield
        return
    lookup = original.__func__
    names_of: dict[type, list[str]] = {}

    def cached(cls) -> list[str]:
        names = names_of.get(cls)
        if names is None:
            names = names_of[cls] = lookup(cls)
        return list(names)  # a copy: callers may not expect a shared list

    BaseEstimator._get_param_names = classmethod(cached)
    try:
        yield
    finally:
        BaseEstimator._get_param_names = original
