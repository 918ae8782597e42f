"""Controls and guards shared by the dashboard pages.

A page starts with :func:`require_warehouse` (or :func:`require_meta_dataset`), which shows a
friendly message and stops the page when there is nothing to show — a missing or empty warehouse,
no metrics or no features yet — so the rest of the page can assume data. The study chosen in the
sidebar (:func:`sidebar`, drawn by ``main.py`` on every page) filters every page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import polars as pl
import streamlit as st

from analytics.meta_dataset import MetaDataset
from app.dashboard import browse, data, live

__all__ = [
    "OPEN_NETWORK",
    "SELECTED_NETWORKS",
    "bind_query_param",
    "correlation_heat",
    "config_text",
    "correlation_matrix",
    "count_noun",
    "csv_file_name",
    "download_csv",
    "empty_warehouse_hint",
    "pooling_warning",
    "selected_networks",
    "current_study",
    "group_picker",
    "group_sizes",
    "measured_metrics",
    "require_meta_dataset",
    "require_warehouse",
    "sidebar",
    "target_picker",
]

_STUDY_KEY = "study"
_ALL_STUDIES = "All studies"
_NO_GROUPS = "(no grouping)"

# Session-state key of the networks selected in the runs table (a list of network ids); the
# scatter highlights them and the network viewer offers them first.
SELECTED_NETWORKS = "selected_network_ids"
# Session-state key a page sets to a network id before switching to the network viewer.
OPEN_NETWORK = "open_network_id"


def sidebar() -> None:
    """Warehouse path and the study filter, in the sidebar of every page."""
    state = data.status()
    with st.sidebar:
        st.caption(f"Warehouse: `{state.path}`")
        for study in data.live_studies().values():
            if study.running:
                left = "" if study.seconds_left is None else (
                    f" ({live.format_duration(study.seconds_left)} left)"
                )  # fmt: skip
                st.caption(f"Running: `{study.study_id}`, {study.progress}{left}")
        if state.counts is None or state.empty:
            return
        ids = data.studies()["id"].to_list()
        if st.session_state.get(_STUDY_KEY) not in (None, *ids):
            del st.session_state[_STUDY_KEY]  # the chosen study is gone
        bind_query_param(_STUDY_KEY, "study", ids)
        labels = data.study_labels()
        st.selectbox(
            "Study",
            [None, *ids],
            key=_STUDY_KEY,
            format_func=lambda study: _ALL_STUDIES if study is None else labels.get(study, study),
        )
        _write_query_param("study", st.session_state.get(_STUDY_KEY))


def current_study() -> str | None:
    """The study chosen in the sidebar, ``None`` for all studies."""
    return st.session_state.get(_STUDY_KEY)


def require_warehouse(*, networks: bool = True) -> dict[str, int]:
    """Return the table counts, or show why there is nothing to show and stop the page.

    Parameters
    ----------
    networks:
        Also stop (with a hint how to add some) when the warehouse holds no network.
    """
    state = data.status()
    if state.missing:
        _wait_for_warehouse(state.path)
        st.stop()
    if state.error is not None:
        st.error(state.error)
        st.stop()
    if networks and state.empty:
        st.info(f"The warehouse is empty. {empty_warehouse_hint()}")
        st.stop()
    return state.counts


_SIDEBAR = object()


def require_meta_dataset(*, study: str | None | object = _SIDEBAR) -> MetaDataset:
    """The meta-dataset of ``study`` (default: the sidebar's); stops the page when it has no
    metrics or features. ``study=None`` reads every study."""
    require_warehouse()
    meta = data.meta_dataset(current_study() if study is _SIDEBAR else study)
    if not meta.metrics:
        st.info("No metrics are stored yet: train or import networks with their accuracy first.")
        st.stop()
    if not meta.features:
        st.info("No graph features are stored yet: compute them with `sparsescope features`.")
        st.stop()
    return meta


def target_picker(
    meta: MetaDataset,
    *,
    key: str,
    label: str = "Target metric",
    param: str | None = "target",
    measured_only: bool = False,
) -> str:
    """A selectbox over the metric columns, preferring a test accuracy.

    The choice is kept in the URL as ``?{param}=...`` (no URL state when ``param`` is None).
    With ``measured_only``, only metrics that some network of ``meta`` has are offered (a
    study without ``test_acc`` is not offered it); the page stops when there is none.
    """
    metrics = measured_metrics(meta) if measured_only else meta.metrics
    if not metrics:
        st.info("No network here has a measured metric yet.")
        st.stop()
    if st.session_state.get(key) not in (None, *metrics):
        del st.session_state[key]  # e.g. the study changed and lacks the chosen metric
    if param is not None:
        bind_query_param(key, param, metrics)
    # A default index next to a value seeded in the session state makes Streamlit warn.
    default = {} if key in st.session_state else {"index": _preferred(metrics)}
    chosen = st.selectbox(label, metrics, key=key, **default)
    if param is not None:
        _write_query_param(param, chosen)
    return chosen


def measured_metrics(meta: MetaDataset) -> list[str]:
    """The metric columns of ``meta`` with at least one finite value."""
    frame = meta.frame
    return [m for m in meta.metrics if frame.get_column(m).cast(pl.Float64).is_finite().any()]


def group_picker(
    meta: MetaDataset, *, key: str, label: str = "Group by", param: str | None = "group"
) -> str | None:
    """A selectbox over the grouping columns (cell, generator, ...), ``None`` for no grouping.

    The choice is kept in the URL as ``?{param}=...`` (no URL state when ``param`` is None).
    """
    options = [None, *data.group_columns(meta)]
    if param is not None:
        bind_query_param(key, param, options)
    chosen = st.selectbox(
        label,
        options,
        key=key,
        format_func=lambda column: _NO_GROUPS if column is None else column,
    )
    if param is not None:
        _write_query_param(param, chosen)
    return chosen


def bind_query_param(key: str, param: str, options: Sequence) -> None:
    """Seed widget ``key`` from the URL's ``?{param}=`` once, when the value is one of ``options``.

    Call before drawing the widget; write the widget's value back with :func:`_write_query_param`
    (the pickers here do both), so a shared or reloaded URL shows the same view. A value that
    is not an option (a study that is gone) is ignored.
    """
    seeded = f"_url_seeded_{key}"
    if st.session_state.get(seeded):
        return
    st.session_state[seeded] = True
    wanted = st.query_params.get(param)
    by_text = {("" if option is None else str(option)): option for option in options}
    if wanted is not None and wanted in by_text:
        st.session_state[key] = by_text[wanted]


def selected_networks() -> list[str]:
    """Network ids selected in the runs table (:data:`SELECTED_NETWORKS`), ``[]`` when none."""
    return list(st.session_state.get(SELECTED_NETWORKS, []))


def count_noun(count: int, noun: str, plural: str | None = None) -> str:
    """``"1 row"``, ``"2 rows"``, ``"1,000 networks"``."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def empty_warehouse_hint() -> str:
    """How to put networks into a warehouse, for the missing / empty messages."""
    return (
        "Try `sparsescope demo` for a small example, run a study with "
        "`sparsescope study priors --preset demo`, or create one with `sparsescope init` and "
        "import data with `sparsescope import-graphs` / `sparsescope import-metadataset`."
    )


def download_csv(frame: pl.DataFrame, *parts: str | None, label: str = "Download CSV") -> None:
    """A download button for ``frame``, named after what it holds (``correlations_s1_acc.csv``)."""
    name = csv_file_name(*parts)
    st.download_button(label, frame.write_csv(), file_name=name, mime="text/csv",
                       key=f"download_{name}")  # fmt: skip


def csv_file_name(*parts: str | None) -> str:
    """``"correlations_s1_test_acc.csv"``: the given parts, made file-safe, joined by ``_``.

    >>> csv_file_name("runs", "priors demo/1", None, "test_acc")
    'runs_priors-demo-1_test_acc.csv'
    """
    return "_".join(_slug(part) for part in parts if part) + ".csv" if any(parts) else "data.csv"


def pooling_warning(study: str | None) -> None:
    """Warn when "All studies" pools studies whose configurations differ, naming the keys."""
    if study is not None:
        return
    differing = browse.config_differences()
    if differing:
        keys = ", ".join(f"`{key}`" for key in differing)
        st.warning(
            f"All studies are pooled, but their configurations differ in {keys}; pick one study "
            "in the sidebar, or compare them on the Compare studies page."
        )


def correlation_heat(value: float | None) -> str:
    """CSS background for a correlation coefficient (for ``Styler.map``).

    Red for positive, blue for negative coefficients, stronger for larger ``|value|``; none for
    a missing or NaN coefficient.
    """
    if value is None or math.isnan(value):
        return ""
    rgb = "214, 39, 40" if value > 0 else "31, 119, 180"
    return f"background-color: rgba({rgb}, {0.1 + 0.6 * min(abs(value), 1.0):.2f})"


def config_text(value: object) -> str:
    """A configuration value as compact text (``"–"`` when the study lacks the key)."""
    import json

    return "–" if value is None else json.dumps(value, sort_keys=True, default=str)


def group_sizes(table: pl.DataFrame) -> str:
    """``"gru 12, tanh 12"``: each group of a correlation table with its largest n."""
    sizes = table.group_by("group", maintain_order=True).agg(pl.col("n").max())
    return ", ".join(f"{group} {n}" for group, n in sizes.iter_rows())


def _wait_for_warehouse(path) -> None:
    """Say that there is no warehouse yet, and check again every few seconds: a page opened
    before a study or import creates the file shows it once it appears, without a reload."""

    @st.fragment(run_every=live.REFRESH_SECONDS)
    def waiting() -> None:
        if path.exists():
            st.rerun()  # the whole page, now with a warehouse
        st.info(f"No warehouse at `{path}` yet. {empty_warehouse_hint()}")
        for study in data.live_studies().values():
            if study.running:
                st.caption(
                    f"Study `{study.study_id}` is running ({study.progress}); this page shows "
                    "its networks as soon as the first ones land."
                )

    waiting()


def _write_query_param(param: str, value: object) -> None:
    if value is None:
        st.query_params.pop(param, None)
    elif st.query_params.get(param) != str(value):
        st.query_params[param] = str(value)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(text)).strip("-") or "x"


def correlation_matrix(table: pl.DataFrame, *, method: str = "pearson"):
    """Feature × group matrix of an annotated correlation table, as a styled pandas frame.

    Cells hold the coefficient (so the values stay numbers); the display adds ``*`` to
    significant ones and shows the note (e.g. "constant in this group") instead of a blank.
    ``table`` is an :func:`analytics.correlation_notes.annotate_correlations` result.
    """
    import pandas as pd

    coefficient = {"pearson": "pearson_r", "spearman": "spearman_rho"}[method]
    matrix = table.pivot(on="group", index="feature", values=coefficient).to_pandas()
    groups = [c for c in matrix.columns if c != "feature"]
    styled = matrix.style.map(correlation_heat, subset=groups)
    styled = styled.format("{:.2f}", subset=groups, na_rep="–")
    row_of = {feature: i for i, feature in enumerate(matrix["feature"])}
    for row in table.iter_rows(named=True):
        cell = pd.IndexSlice[[row_of[row["feature"]]], [row["group"]]]
        if row[f"{method}_significant"]:
            styled = styled.format("{:.2f}*", subset=cell)
        elif row["note"]:
            styled = styled.format(lambda _, note=row["note"]: note, subset=cell)
    return styled


def _preferred(metrics: Sequence[str]) -> int:
    for i, name in enumerate(metrics):
        if "test" in name and "acc" in name:
            return i
    return 0
