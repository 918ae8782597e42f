"""The regressor registry: named estimator factories, each wrapped in the in-fold pipeline.

A factory takes a seed and returns an unfitted scikit-learn regressor; :func:`create_regressor`
puts it behind median imputation and min-max scaling, so that both are fitted on whatever data
the pipeline is fitted on (the training folds only, in cross-validation). Inner parallelism is
fixed at one thread (``n_jobs=1``): :mod:`analytics.regressors.evaluation` parallelises over
folds instead, which keeps the results identical however many workers run.
"""

from __future__ import annotations

from collections.abc import Callable

from sklearn.base import RegressorMixin
from sklearn.ensemble import AdaBoostRegressor, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import BayesianRidge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler

from analytics.regressors.prechecked_tree import PrecheckedTree

__all__ = [
    "PROFILES",
    "Factory",
    "create_estimator",
    "create_regressor",
    "default_regressors",
    "factory_module",
    "list_regressors",
    "register_regressor",
]

Factory = Callable[[int], RegressorMixin]
_REGISTRY: dict[str, Factory] = {}
_OPT_IN: set[str] = set()  # registered, but fitted only when named

# Opt-in parameter overrides by profile and regressor. "default" is the set-up every published
# number of this project uses; "fast" fits fewer trees (about 4x fewer fits of a tree), for a
# quick look: its scores differ from the default's, so report them as the fast profile's.
PROFILES: dict[str, dict[str, dict[str, object]]] = {
    "default": {},
    "fast": {
        "random_forest": {"n_estimators": 50},
        "adaboost": {"n_estimators": 25},
        "xgboost": {"n_estimators": 50, "learning_rate": 0.2},
    },
}


def register_regressor(name: str, *, default: bool = True) -> Callable[[Factory], Factory]:
    """Register ``factory(seed) -> estimator`` under ``name``.

    With ``default=False`` the regressor is fitted only when asked for by name: what runs
    when none is named (:func:`default_regressors`) stays the paper's four.

    Raises
    ------
    ValueError
        ``name`` is already registered (a second registration would silently replace the
        first one).
    """

    def decorator(factory: Factory) -> Factory:
        if name in _REGISTRY:
            raise ValueError(
                f"A regressor named {name!r} is already registered "
                f"({_REGISTRY[name].__module__}.{_REGISTRY[name].__qualname__}); "
                f"registered names: {list_regressors()}."
            )
        _REGISTRY[name] = factory
        if not default:
            _OPT_IN.add(name)
        return factory

    return decorator


@register_regressor("bayesian_ridge")
def _bayesian_ridge(seed: int) -> RegressorMixin:
    del seed  # deterministic
    return BayesianRidge()


@register_regressor("random_forest")
def _random_forest(seed: int) -> RegressorMixin:
    return RandomForestRegressor(n_estimators=200, random_state=seed, n_jobs=1)


@register_regressor("adaboost")
def _adaboost(seed: int) -> RegressorMixin:
    # AdaBoost's default weak learner (a depth-3 tree) without re-validating its inputs at
    # every boosting step: same trees, same numbers (analytics.regressors.prechecked_tree)
    return AdaBoostRegressor(
        estimator=PrecheckedTree(max_depth=3), n_estimators=100, random_state=seed
    )


@register_regressor("xgboost")
def _xgboost(seed: int) -> RegressorMixin:
    from xgboost import XGBRegressor

    return XGBRegressor(
        n_estimators=200, max_depth=3, learning_rate=0.05, subsample=0.9,
        random_state=seed, n_jobs=1, verbosity=0,
    )  # fmt: skip


def list_regressors() -> list[str]:
    """Names of the registered regressors, in registration order."""
    return list(_REGISTRY)


def default_regressors() -> list[str]:
    """The regressors fitted when none is named (the paper's four; opt-in ones left out)."""
    return [name for name in _REGISTRY if name not in _OPT_IN]


def create_estimator(name: str, *, seed: int = 0, profile: str = "default") -> RegressorMixin:
    """The bare named regressor (no imputation, no scaling), with ``profile``'s overrides."""
    _require_known(name)
    _require_profile(profile)
    estimator = _REGISTRY[name](seed)
    overrides = PROFILES[profile].get(name)
    return estimator.set_params(**overrides) if overrides else estimator


def create_regressor(name: str, *, seed: int = 0, profile: str = "default") -> Pipeline:
    """The named regressor inside an impute (median) → min-max scale → regress pipeline."""
    return make_pipeline(
        SimpleImputer(strategy="median", keep_empty_features=True),
        MinMaxScaler(),
        create_estimator(name, seed=seed, profile=profile),
    )


def factory_module(name: str) -> str:
    """The module that registered ``name`` (worker processes import it to know the name)."""
    _require_known(name)
    return _REGISTRY[name].__module__


def _require_known(name: str) -> None:
    if name not in _REGISTRY:
        raise ValueError(f"Unknown regressor {name!r}; valid names: {list_regressors()}.")


def _require_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise ValueError(f"Unknown profile {profile!r}; valid profiles: {list(PROFILES)}.")


# Regressors registered in modules of their own; imported last, as they use register_regressor.
from analytics.regressors import xgboost_rank as _xgboost_rank  # noqa: E402, F401
