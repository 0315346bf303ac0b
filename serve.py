"""``streamlit run serve.py`` (``make run``): the dashboard (``app.py``) behind Streamlit's
ASGI server, warmed up before it lets the first visitor in (``dashboard.app.warmup``).
``streamlit run app.py`` serves the same pages without the warm-up."""

from __future__ import annotations

import streamlit as st

from dashboard.app.warmup import lifespan

app = st.App("app.py", lifespan=lifespan)
