"""The Streamlit dashboard: ``sparsescope dashboard`` runs ``main.py`` on the warehouse."""
