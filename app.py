"""Streamlit entry point: page navigation and the shared sidebar."""

from __future__ import annotations

import streamlit as st

from dashboard import labels
from dashboard.app.components import sidebar
from dashboard.app.components.errors import stop_on_registry_error

# The language first: the navigation's page titles are words too (?lang=en).
labels.set_language(st.query_params.get("lang", labels.language()))
st.set_page_config(page_title=labels.t("app_title"), page_icon="📊", layout="wide")

PAGES = [
    st.Page("pages/overview.py", title=labels.t("page_overview"), icon=":material/dashboard:", default=True),
    st.Page("pages/ranking.py", title=labels.t("page_ranking"), icon=":material/leaderboard:"),
    st.Page("pages/map.py", title=labels.t("page_map"), icon=":material/map:"),
    st.Page("pages/drilldown.py", title=labels.t("page_drill"), icon=":material/account_tree:"),
    st.Page("pages/trends.py", title=labels.t("page_trends"), icon=":material/trending_up:"),
    st.Page("pages/services.py", title=labels.t("page_services"), icon=":material/volunteer_activism:"),
    st.Page("pages/quality.py", title=labels.t("page_quality"), icon=":material/fact_check:"),
    st.Page("pages/export.py", title=labels.t("page_export"), icon=":material/download:"),
    st.Page("pages/targets.py", title=labels.t("page_targets"), icon=":material/flag:"),
    st.Page("pages/meeting.py", title=labels.t("page_meeting"), icon=":material/co_present:"),
]

navigation = st.navigation(PAGES)
with stop_on_registry_error():
    sidebar.render()
navigation.run()
