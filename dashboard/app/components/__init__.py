"""Streamlit pieces every page uses: the shared sidebar, KPI cards, status tables with their
download buttons, the scope picker, one-line error messages."""
