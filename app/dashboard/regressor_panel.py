"""The parts of a regressor page around the fit: when to fit, stale results, progress bars.

Fitting runs only when **Run** is pressed. The settings of the last run are remembered per
page; when a control changes afterwards the last results stay on screen marked *stale* (with
what changed) until **Run** is pressed again. While fitting, each regressor has its own
progress bar (:func:`fit_with_progress`); a regressor taken from the cache says so.
"""

from __future__ import annotations

import streamlit as st

from analytics.meta_dataset import MetaDataset
from analytics.regressors import RegressionResult
from app.dashboard import data, regressor_runs

__all__ = ["BOOTSTRAP_RESAMPLES", "fit_with_progress", "last_run"]

BOOTSTRAP_RESAMPLES = 500  # resamples for the 95% intervals asked for on a page


def last_run(run: bool, args: dict, *, key: str, hint: str) -> dict:
    """The settings whose results to show: ``args`` when **Run** was pressed (``run``), else
    those of the last run; stops the page with ``hint`` when nothing ran yet.

    When the controls changed since the last run, a warning says the results are stale and
    which settings differ.
    """
    if run:
        if not args["regressors"]:
            st.warning("Choose at least one regressor.")
            st.stop()
        st.session_state[key] = dict(args)
    shown = st.session_state.get(key)
    if shown is None:
        st.info(hint)
        st.stop()
    changed = [name for name in args if args[name] != shown.get(name)]
    if changed:
        st.warning(
            f"Stale: these results are for the settings before you changed "
            f"{', '.join(f'`{name}`' for name in changed)}. Press **Run** to update them."
        )
    return shown


def fit_with_progress(meta: MetaDataset, args: dict) -> RegressionResult:
    """Fit ``args["regressors"]`` on ``meta`` (cached per study data version, see
    :mod:`app.dashboard.regressor_runs`), with one progress bar per regressor while it runs.

    ``args`` holds ``target, by, regressors, n_splits, n_repeats, study`` and optionally
    ``importances`` and ``bootstrap`` (a flag: :data:`BOOTSTRAP_RESAMPLES` resamples).
    """
    names = list(args["regressors"])
    bars = st.container()
    shown = {}
    fitted, cached = [], []

    def on_progress(name: str, fraction: float, from_cache: bool) -> None:
        if name not in shown:
            shown[name] = bars.progress(0.0, text=name)
            (cached if from_cache else fitted).append(name)
        text = f"{name}: from the cache" if from_cache else f"{name}: {fraction:.0%} of its fits"
        shown[name].progress(min(fraction, 1.0), text=text)

    result = regressor_runs.evaluate(
        meta,
        version_of=f"{data.db_path()}|{args['study']}",
        target=args["target"],
        by=args["by"],
        regressors=names,
        n_splits=args["n_splits"],
        n_repeats=args["n_repeats"],
        importances=bool(args.get("importances")),
        bootstrap=BOOTSTRAP_RESAMPLES if args.get("bootstrap") else 0,
        on_progress=on_progress,
    )
    bars.empty()
    parts = []
    if fitted:
        parts.append(f"fitted now: {', '.join(fitted)}")
    if cached:
        parts.append(f"from the cache (same study data and settings): {', '.join(cached)}")
    st.caption("Regressors " + "; ".join(parts) + ".")
    return result
