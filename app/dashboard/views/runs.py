"""Runs table: every network of the chosen studies, its metrics and features, paged by DuckDB."""

from __future__ import annotations

import math

import polars as pl
import streamlit as st

from analytics.chance import at_chance, chance_rule
from app.dashboard import browse, data, widgets
from app.dashboard.auto_refresh import auto_refresh
from warehouse.queries import RUN_FILTER_OPERATORS, RunFilter

_PAGE_SIZES = (50, 100, 500)
_CHANCE_TARGET = "test_acc"

st.title("Runs")
st.caption("Every network with its final metrics and features. Sort, filter, then select rows.")
widgets.require_warehouse()
auto_refresh("runs")
ids = data.studies()["id"].to_list()
study = widgets.current_study()
chosen = st.multiselect(
    "Studies", ids, default=[study] if study else ids, key=f"runs_studies:{study or 'all'}"
)  # follows the sidebar's study
columns = list(browse.runs_columns())

where, op, value = st.columns([2, 1, 2])
column = where.selectbox("Filter column", [None, *columns], key="runs_filter_column",
                         format_func=lambda c: "(no filter)" if c is None else c)  # fmt: skip
operator = op.selectbox("Operator", RUN_FILTER_OPERATORS, key="runs_filter_operator")
wanted = value.text_input("Value", key="runs_filter_value")
by, order, size, number = st.columns([2, 1, 1, 1])
sort = by.selectbox("Sort by", [None, *columns], key="runs_sort",
                    format_func=lambda c: "(study, name)" if c is None else c)  # fmt: skip
descending = order.toggle("Descending", key="runs_descending")
page_size = size.selectbox("Rows per page", _PAGE_SIZES, index=1, key="runs_page_size")
page = number.number_input("Page", min_value=1, value=1, step=1, key="runs_page")

filters = (RunFilter(column, operator, wanted),) if column and wanted.strip() else ()
query = {"studies": tuple(chosen), "filters": filters, "sort": sort, "descending": descending}
try:
    frame, total = browse.runs_page(**query, limit=page_size, offset=(page - 1) * page_size)
except ValueError as exc:
    st.error(str(exc))
    st.stop()
pages = max(1, math.ceil(total / page_size))
if page > pages:  # a filter shrank the result below the chosen page: show the last one
    page = pages
    frame, total = browse.runs_page(**query, limit=page_size, offset=(page - 1) * page_size)
if total == 0:
    st.info("No run matches: choose a study or loosen the filter.")
    st.stop()

pending = set(data.features_pending())
if pending.intersection(frame["network_id"]):  # blanks explained: not computed yet
    widgets.features_pending_note(study)
    status = ["pending" if i in pending else "computed" for i in frame["network_id"]]
    frame = frame.insert_column(3, pl.Series("features", status))
if _CHANCE_TARGET in frame.columns:
    frame = frame.insert_column(3, at_chance(frame, target=_CHANCE_TARGET))
event = st.dataframe(frame, key="runs_table", on_select="rerun", selection_mode="multi-row",
                     hide_index=True)  # fmt: skip
first = (page - 1) * page_size + 1
st.caption(
    f"Rows {first:,}–{first + frame.height - 1:,} of {widgets.count_noun(total, 'run')} "
    f"(page {page:,} of {pages:,})."
    + (f" `at_chance`: {chance_rule(_CHANCE_TARGET)}." if "at_chance" in frame.columns else "")
)
widgets.download_csv(frame, "runs", study or f"{len(chosen)}-studies", f"page{page}")

selected = frame[event.selection.rows]["network_id"].to_list()
st.session_state[widgets.SELECTED_NETWORKS] = selected
if selected:
    st.success(
        f"{widgets.count_noun(len(selected), 'network')} selected: the Scatter page highlights "
        "them and the Network viewer lists them first."
    )
    left, right = st.columns(2)
    left.page_link("views/scatter.py", label="Open the scatter", icon=":material/scatter_plot:")
    right.page_link("views/network.py", label="Open the network viewer",
                    icon=":material/account_tree:")  # fmt: skip
    st.dataframe(
        frame.filter(pl.col("network_id").is_in(selected)).select("study_id", "name", "network_id"),
        hide_index=True,
    )
