"""地图 Map: township polygons by status or value, village bubbles, click to drill down."""

from __future__ import annotations

import streamlit as st

from dashboard import labels
from dashboard.app import loaders
from dashboard.app.components import sidebar, tables
from dashboard.app.components.errors import stop_on_registry_error
from dashboard.domain import indicators as ind
from dashboard.render import formats
from dashboard.render.maps import layers

context = sidebar.current()
left, right = st.columns([2, 1])
code = left.segmented_control(
    labels.t("indicator"),
    [i.code for i in ind.HEADLINE],
    default="birth_rate",
    required=True,
    key="map_indicator",
    format_func=formats.indicator_short,
)
colour_by = right.radio(
    labels.t("map_colour_by"),
    ["status", "value"],
    horizontal=True,
    key="map_colour_by",
    format_func=lambda v: labels.t("map_colour_status") if v == "status" else labels.t("map_colour_value"),
)
with stop_on_registry_error():
    view = loaders.map_page(
        context.url, context.period, code or "birth_rate", colour_by=colour_by, selected=context.mine
    )

if view.warning:
    st.warning(view.warning)
event = st.pydeck_chart(view.deck, on_select="rerun", selection_mode="single-object", key="county-map", height=640)
picked = layers.selected_code(event)
if picked:
    st.switch_page("pages/drilldown.py", query_params={**st.query_params.to_dict(), "township": picked})
st.html(view.legend)
st.caption(labels.t("map_select_hint"))
choice = st.selectbox(
    labels.t("drill_choose_township"),
    list(view.township_options),
    index=None,
    key="map_township_choice",
    format_func=view.township_options.get,
    placeholder=labels.t("drill_choose_township"),
)
if choice:
    st.switch_page("pages/drilldown.py", query_params={**st.query_params.to_dict(), "township": choice})
tables.table(view.table, key="map-table")
tables.export_buttons(lambda: view.table, view.context, stem=view.stem, key="map-table")
