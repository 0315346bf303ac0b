"""数据质量 Data quality: registry checks per township, the records behind each."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import labels
from dashboard.app import loaders
from dashboard.app.components import sidebar, tables
from dashboard.app.components.errors import stop_on_registry_error
from dashboard.domain import quality
from dashboard.views.quality import check_name

context = sidebar.current()
today = date.today()
with st.spinner(labels.t("quality_title")), stop_on_registry_error():
    view = loaders.quality_page(context.url, context.period, today)

st.title(view.heading)
st.caption(view.note)
tables.status_table(view.matrix, view.matrix_status, key="quality-matrix")
tables.export_buttons(
    lambda: view.counts_export,
    view.context,
    stem=view.stem,
    key="quality-counts",
    alternative=(lambda: view.counts_long, view.context, view.long_stem),
)

check = st.selectbox(
    labels.t("quality_choose_check"),
    quality.CHECKS,
    key="quality_check",
    format_func=lambda c: f"{check_name(c)}（{view.totals[c]}）",
)
with stop_on_registry_error():
    by_village = loaders.quality_villages(context.url, context.period, check)
if not by_village.empty:
    st.markdown(f"**{labels.t('quality_by_village')}**")
    tables.table(by_village, key="quality-villages", limit=12)
if not context.access.sees_records:  # a viewer: the counts, not the records
    st.info(labels.t("err_access_viewer", role=labels.t(f"role_{context.access.role}")))
    st.stop()
with stop_on_registry_error():
    rows = loaders.quality_records(context.url, context.period, today, check, context.access)
st.markdown(f"**{labels.t('quality_records', n=len(rows))}**")
if rows.empty:
    st.success(labels.t("quality_all_clear"))
else:
    tables.table(rows, key="quality-records", person_level=True)
    stem = (*view.stem[:-1], check_name(check), view.stem[-1])
    tables.export_buttons(
        lambda: rows, view.context, stem=stem, key="quality-records", person_level=True, detail=check,
        access=context.access,
    )  # fmt: skip
