"""SQL: read-only queries on the warehouse (one SELECT, capped rows, time limit)."""

from __future__ import annotations

import streamlit as st

from app.dashboard import data, widgets
from warehouse.errors import WarehouseError

_EXAMPLE = "SELECT study_id, count(*) AS networks\nFROM network_summary\nGROUP BY study_id"
_TABLES = (
    "studies, networks, nodes, edges, metrics, features, labels (tables); "
    "final_metrics, network_summary, meta_dataset (views)"
)

st.title("SQL")
st.caption(f"One read-only SELECT on the warehouse. Tables: {_TABLES}.")
widgets.require_warehouse(networks=False)

with st.form("sql_form"):
    query = st.text_area("Query", _EXAMPLE, height=160, key="sql_query")
    max_rows = st.number_input("Row limit", 1, 100_000, 1000, key="sql_max_rows")
    submitted = st.form_submit_button("Run query", type="primary")

if submitted:
    try:
        result = data.run_sql(query, max_rows=int(max_rows))
    except WarehouseError as exc:
        st.error(str(exc))
    else:
        st.dataframe(result.frame, hide_index=True)
        note = widgets.count_noun(result.frame.height, "row")
        st.caption(
            note + (f" (cut at the row limit of {int(max_rows):,})" if result.truncated else "")
        )
