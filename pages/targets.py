"""目标设置 Targets: a year's targets (county-wide and township overrides), edit, copy to next year."""

from __future__ import annotations

import streamlit as st

from dashboard import labels
from dashboard.app import loaders
from dashboard.app.components import sidebar
from dashboard.app.components.errors import stop_on_registry_error
from dashboard.views import targets

context = sidebar.current(banner=False)  # targets belong to a year, not the period
first, last = loaders.target_years(context.url)  # the years with data, and the next one to plan
year = int(
    st.number_input(
        labels.t("targets_year"), first, last, min(max(context.period.year, first), last), step=1, key="targets_year"
    )
)
with stop_on_registry_error():
    frame, defaults, townships = loaders.target_editor(context.url, year)
    # The rows as this view loaded them: a save after someone else's is refused, not merged.
    version_key = f"targets_version_{year}"
    if version_key not in st.session_state:
        st.session_state[version_key] = loaders.target_version(context.url, year)

st.title(labels.t("targets_heading", year=year))
st.caption(labels.t("targets_help"))
if defaults:
    st.info(labels.t("targets_defaults_note"))
editable = context.access.may_edit_targets
if not editable:
    st.warning(labels.t("targets_read_only"))
edited = st.data_editor(
    frame,
    key=f"targets_editor_{year}",
    hide_index=True,
    height=35 * (len(frame) + 2) + 3,
    num_rows="dynamic" if editable else "fixed",
    disabled=not editable,
    column_config={
        "township": st.column_config.SelectboxColumn(
            labels.t("township"), options=[targets.county_wide(), *townships], required=True
        ),
        "indicator": st.column_config.SelectboxColumn(
            labels.t("indicator"), options=list(targets.indicator_names().values()), required=True
        ),
        "op": st.column_config.SelectboxColumn(
            labels.t("col_op"), options=list(targets.op_words().values()), required=True
        ),
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
            n = loaders.save_targets(context.url, year, edited, allowed=editable, version=st.session_state[version_key])
        st.session_state[version_key] = loaders.target_version(context.url, year)
        st.success(labels.t("targets_saved", n=n, year=year))
    except targets.TargetEditError as exc:
        st.error(str(exc))
overwrite = st.checkbox(labels.t("targets_copy_overwrite", year=year + 1), key="targets-copy-overwrite")
if right.button(labels.t("targets_copy", year=year + 1), disabled=not editable, key="targets-copy"):
    try:
        with stop_on_registry_error():
            n = loaders.copy_targets(context.url, year, year + 1, allowed=editable, overwrite=overwrite)
        st.session_state.pop(f"targets_version_{year + 1}", None)
        st.success(labels.t("targets_copied", src=year, dst=year + 1, n=n))
    except targets.TargetEditError as exc:  # e.g. the next year has targets: tick to overwrite
        st.error(str(exc))
