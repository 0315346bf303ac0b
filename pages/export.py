"""导出 Export: any table at any level and period, filtered, to .xlsx or .csv."""

from __future__ import annotations

import streamlit as st

from dashboard import labels
from dashboard.app import loaders
from dashboard.app.components import sidebar, tables
from dashboard.app.components.errors import stop_on_registry_error
from dashboard.app.components.scope import scope_picker
from dashboard.domain import indicators as ind
from dashboard.render import exports, formats
from dashboard.views import export

PREVIEW_ROWS = 20
context = sidebar.current()
st.title(labels.t("export_heading"))

# Quick periods (they set the sidebar's period, so every page follows).
with st.container(horizontal=True, gap="small", vertical_alignment="center"):
    st.markdown(f"**{labels.t('export_presets')}**")
    for name, period in export.presets(context.as_of).items():
        st.button(
            labels.t(f"export_preset_{name}", period=formats.period_words(period)),
            key=f"export-preset-{name}",
            on_click=sidebar.use_period,
            args=(period,),
            disabled=period.year not in context.years,
            type="primary" if period == context.period else "secondary",
        )

left, middle, right = st.columns(3)
table = left.selectbox(
    labels.t("export_choose_table"), export.TABLES, key="export_table", format_func=export.table_name
)
with stop_on_registry_error():
    township, village = scope_picker(
        context.url,
        key="export",
        township_column=middle,
        village_column=right,
        everything=labels.t("export_all_townships"),
        every_village=labels.t("export_all_villages"),
        village_allowed=table not in ("indicators_county", "indicators_township"),
        mine=context.mine,
    )

chosen_indicators: tuple[str, ...] = ()
wcba_filter = "all"
layout = "matrix"
if table.startswith("indicators_"):
    layout = st.radio(
        labels.t("export_layout"),
        export.LAYOUTS,
        horizontal=True,
        key="export_layout",
        format_func=lambda v: labels.t(f"export_layout_{v}"),
    )
    chosen_indicators = tuple(
        st.multiselect(
            labels.t("indicator"),
            [i.code for i in ind.CATALOGUE],
            default=[i.code for i in ind.HEADLINE],
            key="export_indicators",
            format_func=formats.indicator_name,
        )
    )
elif table == "wcba":
    wcba_filter = st.radio(
        labels.t("export_wcba_filter"),
        export.WCBA_FILTERS,
        horizontal=True,
        key="export_wcba_filter",
        format_func=lambda f: labels.t(f"export_wcba_{f}"),
    )

selection = export.Selection(
    table=table,
    period=context.period,
    township=township,
    village=village,
    indicators=chosen_indicators,
    wcba_filter=wcba_filter,
    layout=layout,
    as_of=context.as_of,
)
with stop_on_registry_error():
    full = loaders.export_table(context.url, selection, context.access)
if full.person_level:
    columns = st.multiselect(
        labels.t("export_columns"), full.all_columns, default=list(full.all_columns), key=f"export_columns_{table}"
    )
    with stop_on_registry_error():
        full = loaders.export_table(context.url, selection.with_columns(tuple(columns)), context.access)
    st.caption(labels.t("export_person_note"))

st.markdown(f"**{labels.t('export_rows', n=len(full.frame))}**")
st.caption(labels.t("export_preview", n=min(PREVIEW_ROWS, len(full.frame))))
shown, number_formats = exports.preview(full.frame.head(PREVIEW_ROWS), full.context)
tables.table(shown, key="export-preview", person_level=full.person_level, number_formats=number_formats)

too_large = len(full.frame) + exports.HEADER_ROW > exports.EXCEL_MAX_ROWS
if too_large:
    st.warning(labels.t("export_too_large"))
tables.export_buttons(
    lambda: full.frame,
    full.context,
    stem=full.stem,
    key="export",
    person_level=full.person_level,
    detail=wcba_filter if table == "wcba" else "",
    xlsx=not too_large,
    access=context.access,
)
