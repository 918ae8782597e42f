"""A page's own study picker that remembers the choice and never jumps to a new study.

A widget's state is dropped when the user visits another page, and a selectbox whose options
change (a new study appears first, newest first) may move to it; so the chosen study is also
kept under a plain session key and in the URL, and restored from there. Without a choice the
default is the newest study that is not running (a running study's numbers still move). The
sidebar's study filter, when set, decides.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from app.dashboard import data, widgets

__all__ = ["pick_study"]


def pick_study(label: str, ids: Sequence[str], *, key: str, param: str) -> str:
    """A selectbox over ``ids`` (newest first) with readable labels; returns the chosen id.

    The choice survives page changes (session state), reloads and shared links
    (``?{param}=``), and new studies appearing. A study chosen in the sidebar wins: it is
    shown when it is one of ``ids``; otherwise the page stops saying why.
    """
    in_sidebar = widgets.current_study()
    if in_sidebar is not None:
        if in_sidebar in ids:
            st.caption(f"Study `{in_sidebar}`, chosen in the sidebar.")
            return in_sidebar
        st.info(
            f"The study chosen in the sidebar, `{in_sidebar}`, is not one of these: choose "
            "another there, or All studies to pick one here."
        )
        st.stop()
    kept = f"_kept_{key}"
    ids = list(ids)
    if st.session_state.get(key) not in (None, *ids):
        del st.session_state[key]  # the chosen study is gone
    widgets.bind_query_param(key, param, ids)
    if key not in st.session_state and st.session_state.get(kept) in ids:
        st.session_state[key] = st.session_state[kept]
    labels = data.study_labels()
    default = {} if key in st.session_state else {"index": ids.index(_default(ids))}
    chosen = st.selectbox(
        label, ids, key=key, format_func=lambda study: labels.get(study, study), **default
    )
    st.session_state[kept] = chosen
    if st.query_params.get(param) != chosen:
        st.query_params[param] = chosen
    return chosen


def _default(ids: list[str]) -> str:
    """The newest study that is not running, else the newest."""
    running = set(data.running_studies())
    return next((study for study in ids if study not in running), ids[0])
