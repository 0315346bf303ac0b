"""Streamlit pieces every page uses: sidebar, KPI cards, status tables, scope picker, errors.

The sidebar sets the period (kept in the URL) and "my township"; tables come with their own
download buttons; registry problems become one error line.
"""
