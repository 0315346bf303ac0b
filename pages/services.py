"""服务工作 Services: service indicators, quota progress, demonstration sites, rewards to act on."""

from __future__ import annotations

import streamlit as st

from dashboard import labels
from dashboard.app import loaders
from dashboard.app.components import cards, sidebar, tables
from dashboard.app.components.errors import stop_on_registry_error

context = sidebar.current()
with stop_on_registry_error():
    view = loaders.services_page(context.url, context.period, context.access)

st.title(view.heading)
for note in view.notes:
    st.caption(note)
cards.render_cards(view.cards)
st.caption(labels.t("legend_status"))
st.subheader(labels.t("services_matrix"))
tables.status_table(view.table.display, view.table.status, key="services-matrix")
tables.table_buttons(view.table, key="services-matrix")
st.subheader(labels.t("services_quota"))
if not view.quota_charts:
    st.caption(labels.t("services_no_quota"))
for chart in view.quota_charts:
    st.vega_lite_chart(chart, width="stretch")
st.subheader(labels.t("sites_title"))
st.caption(view.sites_note)
tables.status_table(view.sites.display, view.sites.status, key="services-sites")
tables.export_buttons(lambda: view.sites.export, view.sites.context, stem=view.sites.stem, key="services-sites")
rewards = view.rewards
if rewards is None:  # a viewer: aggregates only
    st.info(labels.t("err_access_viewer", role=labels.t(f"role_{context.access.role}")))
else:
    st.subheader(labels.t("rewards_heading", n=len(rewards.display)))
    tables.table(rewards.display, key="services-rewards", person_level=True)
    tables.export_buttons(
        lambda: rewards.export, rewards.context, stem=rewards.stem, key="services-rewards", person_level=True,
        access=context.access,
    )  # fmt: skip
