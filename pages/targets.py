"""目标设置 Targets: a year's targets (county-wide and township overrides), edit, copy to next year."""

from __future__ import annotations

import streamlit as st

from dashboard import cache, labels, targets_admin
from dashboard.components import sidebar
from dashboard.components.errors import stop_on_registry_error

context = sidebar.current()
year = st.number_input(labels.t("targets_year"), 2000, 2100, context.period.year, step=1, key="targets_year")
with stop_on_registry_error():
    engine = cache.engine(context.url)
    frame, defaults = targets_admin.year_rows(engine, int(year))
    townships = list(cache.units(context.url).drop_duplicates("township_code")["township_name"])

frame = frame.assign(indicator=frame["indicator"].map(targets_admin.indicator_names()))
st.title(labels.t("targets_heading", year=int(year)))
st.caption(labels.t("targets_help"))
if defaults:
    st.info(labels.t("targets_defaults_note"))
editable = targets_admin.can_edit()
if not editable:
    st.warning(labels.t("targets_read_only"))
edited = st.data_editor(
    frame,
    key=f"targets_editor_{int(year)}",
    hide_index=True,
    height=35 * (len(frame) + 2) + 3,
    num_rows="dynamic" if editable else "fixed",
    disabled=not editable,
    column_config={
        "township": st.column_config.SelectboxColumn(labels.t("township"), options=[targets_admin.COUNTY_WIDE, *townships], required=True),
        "indicator": st.column_config.SelectboxColumn(labels.t("indicator"), options=list(targets_admin.indicator_names().values()), required=True),
        "op": st.column_config.SelectboxColumn(labels.t("col_op"), options=list(targets_admin.op_words().values()),
                                               required=True),
        "value": st.column_config.NumberColumn(labels.t("col_value")),
        "low": st.column_config.NumberColumn(labels.t("col_low")),
        "high": st.column_config.NumberColumn(labels.t("col_high")),
        "amber": st.column_config.NumberColumn(labels.t("col_amber"), min_value=0.0),
    },
)
left, right, _ = st.columns([1, 1.4, 5])
if left.button(labels.t("targets_save"), type="primary", disabled=not editable, key="targets-save"):
    try:
        with stop_on_registry_error():
            n = targets_admin.save(engine, int(year), edited)
        cache.clear()
        st.success(labels.t("targets_saved", n=n, year=int(year)))
    except targets_admin.TargetEditError as exc:
        st.error(str(exc))
if right.button(labels.t("targets_copy", year=int(year) + 1), disabled=not editable, key="targets-copy"):
    try:
        with stop_on_registry_error():
            n = targets_admin.copy_year(engine, int(year), int(year) + 1)
        cache.clear()
        st.success(labels.t("targets_copied", src=int(year), dst=int(year) + 1, n=n))
    except targets_admin.TargetEditError as exc:
        st.error(str(exc))
