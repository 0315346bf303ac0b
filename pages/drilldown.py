"""乡镇/村 Drill-down: county → township → village, all state in the URL."""

from __future__ import annotations

import streamlit as st

from dashboard import labels
from dashboard.app import loaders
from dashboard.app.components import sidebar, tables
from dashboard.app.components.errors import stop_on_registry_error
from dashboard.domain import indicators as ind
from dashboard.render import formats

context = sidebar.current()
if context.mine and "township" not in st.query_params and not st.session_state.get("_drill_opened"):
    st.query_params["township"] = context.mine  # the first visit opens on 我的乡镇
st.session_state["_drill_opened"] = True


def go(township: str | None, village: str | None = None) -> None:
    """Move to a level: the URL changes (a browser history entry), the page follows."""
    for key, value in (("township", township), ("village", village)):
        if value:
            st.query_params[key] = value
        elif key in st.query_params:
            del st.query_params[key]


indicator_code = st.selectbox(
    labels.t("indicator"),
    [i.code for i in ind.HEADLINE],
    key="drill_indicator",
    format_func=formats.indicator_name,
)
with stop_on_registry_error():
    view = loaders.drilldown_page(
        context.url,
        context.period,
        st.query_params.get("township"),
        st.query_params.get("village"),
        indicator_code,
        context.access,
    )

with st.container(horizontal=True, gap="small"):  # buttons as wide as their words
    if view.level != "county":
        st.button(labels.t("drill_back_county"), on_click=go, args=(None,), key="back-county")
    if view.level == "village" and view.township:
        st.button(
            labels.t("drill_back_township", name=view.township[1]),
            on_click=go,
            args=(view.township[0],),
            key="back-township",
        )
st.title(view.heading)
for note in view.notes if view.level != "township" else []:
    st.caption(note)

if view.level == "county":
    choice = st.selectbox(
        labels.t("drill_choose_township"),
        list(view.township_options),
        index=None,
        key="drill_township_choice",
        format_func=view.township_options.get,
        placeholder=labels.t("drill_choose_township"),
    )
    if choice:
        go(choice)
        st.rerun()
elif view.level == "township":
    choice = st.selectbox(
        labels.t("drill_choose_village"),
        list(view.village_options),
        index=None,
        key="drill_village_choice",
        format_func=view.village_options.get,
        placeholder=labels.t("drill_choose_village"),
    )
    if choice and view.township:
        go(view.township[0], choice)
        st.rerun()

if view.table is not None:
    if view.table.status is not None:
        tables.status_table(view.table.display, view.table.status, key=f"drill-{view.level}-table")
    else:
        tables.table(view.table.display, key=f"drill-{view.level}-plain")
    tables.table_buttons(view.table, key=f"drill-{view.level}")
    if view.table.status is not None:
        st.caption(labels.t("legend_marks"))

if view.chart is not None:
    st.altair_chart(view.chart, width="stretch")

if view.pull_down is not None:
    st.subheader(labels.t("drill_pull_down"))
    for note in view.notes:
        st.caption(note)
    if view.pull_down.empty:
        st.caption(labels.t("drill_no_gap"))
    else:
        tables.table(view.pull_down, key="pull-down")

if view.trend is not None:
    st.subheader(labels.t("drill_monthly_trend"))
    st.vega_lite_chart(view.trend, width="stretch")

if view.births is not None and view.wcba is not None:
    st.subheader(labels.t("drill_records"))
    st.markdown(labels.t("drill_records_births", n=len(view.births.display)))
    tables.table(view.births.display, key="records-births", person_level=True)
    tables.export_buttons(
        lambda: view.births.export, view.births.context, stem=view.births.stem, key="records-births",
        person_level=True, access=context.access,
    )  # fmt: skip
    st.markdown(labels.t("drill_records_wcba", n=len(view.wcba.display), d=context.period.end.isoformat()))
    tables.table(view.wcba.display, key="records-wcba", person_level=True)
    tables.export_buttons(
        lambda: view.wcba.export, view.wcba.context, stem=view.wcba.stem, key="records-wcba",
        person_level=True, access=context.access,
    )  # fmt: skip
