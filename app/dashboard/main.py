"""Entry point of the sparsescope dashboard.

Run with ``sparsescope dashboard`` or
``SPARSESCOPE_DB=warehouse.duckdb streamlit run app/dashboard/main.py``. Each page is one thin
file under ``views/``; adding a page is one file and one line in :data:`PAGES`. (The folder is
not called ``pages/``: Streamlit would treat that as its legacy multipage layout and, e.g. in
``AppTest``, run a page without this script — and without the sidebar.)
"""

from __future__ import annotations

import streamlit as st

from app.dashboard import widgets
from warehouse.errors import WarehouseError

st.set_page_config(page_title="sparsescope", page_icon=":material/hub:", layout="wide")

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("views/runs.py", title="Runs", icon=":material/table_rows:"),
    st.Page("views/correlations.py", title="Correlations", icon=":material/grid_on:"),
    st.Page("views/regressors.py", title="Regressors", icon=":material/model_training:"),
    st.Page("views/scatter.py", title="Scatter", icon=":material/scatter_plot:"),
    st.Page("views/compare.py", title="Compare studies", icon=":material/compare:"),
    st.Page("views/parallel.py", title="Parallel coordinates", icon=":material/timeline:"),
    st.Page("views/priors.py", title="Structural priors", icon=":material/shuffle:"),
    st.Page("views/pruning.py", title="Pruning", icon=":material/content_cut:"),
    st.Page("views/pruning_rnn.py", title="Recurrent pruning", icon=":material/content_cut:"),
    st.Page("views/search.py", title="Search", icon=":material/travel_explore:"),
    st.Page("views/network.py", title="Network viewer", icon=":material/account_tree:"),
    st.Page("views/sql.py", title="SQL", icon=":material/terminal:"),
]

page = st.navigation(PAGES)
try:
    widgets.sidebar()
    page.run()
except WarehouseError as exc:  # e.g. an ingest held the file too long: one line, no traceback
    st.error(str(exc))
