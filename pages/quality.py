"""数据质量 Data quality: registry checks per township, the records behind each."""

from __future__ import annotations

from datetime import date

import streamlit as st

from dashboard import labels, quality, quality_view
from dashboard.components import sidebar, tables
from dashboard.components.errors import stop_on_registry_error

context = sidebar.current()
today = date.today()
with st.spinner(labels.t("quality_title")), stop_on_registry_error():
    view = quality_view.page(context.url, context.period, today)

st.title(view.heading)
st.caption(view.note)
tables.status_table(view.matrix, view.matrix_status, key="quality-matrix")
tables.export_buttons(lambda: view.counts_export, view.context, stem=view.stem, key="quality-counts")

check = st.selectbox(
    labels.t("quality_choose_check"), quality.CHECKS, key="quality_check",
    format_func=lambda c: f"{quality_view.check_name(c)}（{view.totals[c]}）",
)
with stop_on_registry_error():
    rows = quality_view.records(context.url, context.period, today, check)
    by_village = quality_view.village_counts(context.url, context.period, today, check)
if not by_village.empty:
    st.markdown(f"**{labels.t('quality_by_village')}**")
    tables.table(by_village, key="quality-villages", limit=12)
st.markdown(f"**{labels.t('quality_records', n=len(rows))}**")
if rows.empty:
    st.success(labels.t("quality_all_clear"))
else:
    tables.table(rows, key="quality-records")
    stem = (*view.stem[:-1], quality_view.check_name(check), view.stem[-1])
    tables.export_buttons(lambda: rows, view.context, stem=stem, key="quality-records", person_level=True,
                          detail=check)
