"""总览 Overview: county cards for every target and the township × indicator matrix."""

from __future__ import annotations

import streamlit as st

from dashboard import labels
from dashboard.app import loaders
from dashboard.app.components import cards, sidebar, tables
from dashboard.app.components.errors import stop_on_registry_error

context = sidebar.current()
scope = st.session_state.get("overview_matrix_scope", "headline")
with stop_on_registry_error():
    page = loaders.overview_page(context.url, context.period, context.as_of, all_targets=scope == "all")

st.title(page.heading)
for note in page.notes:
    st.caption(note)
for warning in page.warnings:
    st.warning(warning, icon=":material/info:")
cards.render_cards(page.cards, grouped=True)
st.caption(labels.t("legend_status"))
with stop_on_registry_error():
    panel = loaders.mine_panel(context.url, context.period, context.mine)
if panel is not None:  # a township user's own township (or the one chosen as 我的乡镇)
    st.subheader(panel.heading)
    st.markdown(panel.summary)
    left, right = st.columns([2, 3])
    with left:
        if panel.lost.empty:
            st.success(labels.t("mine_no_points_lost"))
        else:
            tables.table(panel.lost, key="mine-lost")
    with right:
        if not panel.behind.empty:
            st.caption(labels.t("mine_behind"))
            tables.table(panel.behind, key="mine-behind", limit=10)
st.subheader(labels.t("overview_matrix"))
st.segmented_control(
    labels.t("overview_matrix_scope"),
    ["headline", "all"],
    default="headline",
    required=True,
    key="overview_matrix_scope",
    format_func=lambda v: labels.t(f"overview_matrix_{v}"),
)
tables.status_table(page.matrix, page.matrix_status, key="overview-matrix")
tables.export_buttons(  # the files are built on click
    lambda: page.export("matrix").frame,
    lambda: page.export("matrix").context,
    stem=page.export_stem("matrix"),
    key="overview-matrix",
    alternative=(lambda: page.export("long").frame, lambda: page.export("long").context, page.export_stem("long")),
)
