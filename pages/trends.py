"""趋势 Trends: yearly series, year to date against last year, monthly figures."""

from __future__ import annotations

import streamlit as st

from dashboard import labels
from dashboard.app import loaders
from dashboard.app.components import sidebar, tables
from dashboard.app.components.errors import stop_on_registry_error
from dashboard.app.components.scope import scope_picker
from dashboard.domain import indicators as ind
from dashboard.render import formats

context = sidebar.current()
left, middle, right = st.columns(3)
indicator_code = left.selectbox(
    labels.t("trend_indicator"),
    [i.code for i in ind.CATALOGUE],
    key="trend_indicator",
    format_func=formats.indicator_name,
)
with stop_on_registry_error():
    township, village = scope_picker(
        context.url,
        key="trend",
        township_column=middle,
        village_column=right,
        everything=labels.t("county"),
        every_village=labels.t("trend_whole_township"),
        mine=context.mine,
    )
    view = loaders.trends_page(context.url, context.period, indicator_code, township, village)

st.title(view.heading)
if view.yearly is not None:
    st.subheader(labels.t("trend_yearly"))
    st.vega_lite_chart(view.yearly, width="stretch")
    if not context.period.is_full_year:
        st.caption(labels.t("trend_partial_note"))
st.subheader(labels.t("trend_ytd"))
st.vega_lite_chart(view.ytd, width="stretch")
st.caption(labels.t("legend_marks"))
st.subheader(labels.t("trend_monthly_table"))
tables.table(view.table, key="trend-table")
tables.export_buttons(lambda: view.export, view.context, stem=view.stem, key="trend")
