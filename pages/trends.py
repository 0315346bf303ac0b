"""趋势 Trends: yearly series, year to date against last year, monthly figures."""

from __future__ import annotations

import streamlit as st

from dashboard import indicators as ind
from dashboard import labels, trends
from dashboard.components import sidebar, tables
from dashboard.components.errors import stop_on_registry_error

context = sidebar.current()
left, middle, right = st.columns(3)
indicator_code = left.selectbox(
    labels.t("trend_indicator"), [i.code for i in ind.CATALOGUE], key="trend_indicator",
    format_func=lambda c: ind.get(c).name,
)
with stop_on_registry_error():
    township_names, _ = trends.scope_options(context.url, context.period, None)
township = middle.selectbox(
    labels.t("township"), ["", *township_names], key="trend_township",
    format_func=lambda c: township_names.get(c, labels.t("county")),
)
village = ""
if township:
    _, village_names = trends.scope_options(context.url, context.period, township)
    village = right.selectbox(
        labels.t("village"), ["", *village_names], key="trend_village",
        format_func=lambda c: village_names.get(c, "—"),
    )
with stop_on_registry_error():
    view = trends.page(context.url, context.period, indicator_code, township or None, village or None)

st.title(view.heading)
if view.yearly is not None:
    st.subheader(labels.t("trend_yearly"))
    st.altair_chart(view.yearly, width="stretch")
    if not context.period.is_full_year:
        st.caption(labels.t("trend_partial_note"))
st.subheader(labels.t("trend_ytd"))
st.altair_chart(view.ytd, width="stretch")
st.caption(labels.t("legend_marks"))
st.subheader(labels.t("trend_monthly_table"))
tables.table(view.table, key="trend-table")
tables.export_buttons(lambda: view.export, view.context, stem=view.stem, key="trend")
