"""总览 Overview: county cards for the headline targets and the township × indicator matrix."""

from __future__ import annotations

import streamlit as st

from dashboard import labels, overview
from dashboard.components import cards, sidebar, tables
from dashboard.components.errors import stop_on_registry_error

context = sidebar.current()
with stop_on_registry_error():
    page = overview.page(context.url, context.period, context.as_of)

st.title(page.heading)
for note in page.notes:
    st.caption(note)
for warning in page.warnings:
    st.warning(warning, icon=":material/info:")
cards.render_cards(page.cards)
st.caption(labels.t("legend_status"))
st.subheader(labels.t("overview_matrix"))
tables.status_table(page.matrix, page.matrix_status, key="overview-matrix")
tables.export_buttons(page.export_table, page.export_context, stem=page.export_stem, key="overview-matrix")
