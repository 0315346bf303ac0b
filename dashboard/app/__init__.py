"""The Streamlit side: sources, the cache, one loader per page, the audit log, page components.

``sources`` opens the registry and loads a period's inputs (the CLI uses it too), ``cache``
memoises it, ``loaders`` give each page what it needs, ``audit`` logs person-level downloads,
``components`` are the sidebar, cards, tables and error lines every page uses.
"""
