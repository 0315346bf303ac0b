"""导出 Export: any table at any level and period, filtered, to .xlsx or .csv."""

from __future__ import annotations

import streamlit as st

from dashboard import export_center as ec
from dashboard import exports, labels
from dashboard import indicators as ind
from dashboard.components import sidebar, tables
from dashboard.components.errors import stop_on_registry_error

PREVIEW_ROWS = 20
context = sidebar.current()
st.title(labels.t("export_heading"))

left, middle, right = st.columns(3)
table = left.selectbox(labels.t("export_choose_table"), ec.TABLES, key="export_table", format_func=ec.table_name)
with stop_on_registry_error():
    from dashboard.trends import scope_options

    township_names, _ = scope_options(context.url, context.period, None)
township = middle.selectbox(
    labels.t("township"), ["", *township_names], key="export_township",
    format_func=lambda c: township_names.get(c, labels.t("export_all_townships")),
)
village = ""
if township and table != "indicators_county" and table != "indicators_township":
    _, village_names = scope_options(context.url, context.period, township)
    village = right.selectbox(
        labels.t("village"), ["", *village_names], key="export_village",
        format_func=lambda c: village_names.get(c, labels.t("export_all_villages")),
    )

chosen_indicators: tuple[str, ...] = ()
wcba_filter = "all"
if table.startswith("indicators_"):
    chosen_indicators = tuple(
        st.multiselect(
            labels.t("indicator"), [i.code for i in ind.CATALOGUE], default=[i.code for i in ind.HEADLINE],
            key="export_indicators", format_func=lambda c: ind.get(c).name,
        )
    )
elif table == "wcba":
    wcba_filter = st.radio(
        labels.t("export_wcba_filter"), ec.WCBA_FILTERS, horizontal=True, key="export_wcba_filter",
        format_func=lambda f: labels.t(f"export_wcba_{f}"),
    )

selection = ec.Selection(
    table=table, period=context.period, township=township or None, village=village or None,
    indicators=chosen_indicators, wcba_filter=wcba_filter,
)
with stop_on_registry_error():
    full = ec.build(context.url, selection)
if full.person_level:
    columns = st.multiselect(labels.t("export_columns"), full.all_columns, default=list(full.all_columns),
                             key=f"export_columns_{table}")
    selection = ec.Selection(**{**selection.__dict__, "columns": tuple(columns)})
    with stop_on_registry_error():
        full = ec.build(context.url, selection)
    st.caption(labels.t("export_person_note"))

st.markdown(f"**{labels.t('export_rows', n=len(full.frame))}**")
st.caption(labels.t("export_preview", n=min(PREVIEW_ROWS, len(full.frame))))
tables.table(full.frame.head(PREVIEW_ROWS), key="export-preview")

too_large = len(full.frame) + exports.HEADER_ROW > exports.EXCEL_MAX_ROWS
if too_large:
    st.warning(labels.t("export_too_large"))
    st.download_button(labels.t("export_csv"), data=lambda: exports.to_csv_bytes(full.frame),
                       file_name=exports.safe_filename(*full.stem, suffix="csv"), mime="text/csv",
                       key="export-csv", on_click="ignore", icon=":material/download:")
else:
    tables.export_buttons(lambda: full.frame, full.context, stem=full.stem, key="export",
                          person_level=full.person_level, detail=wcba_filter if table == "wcba" else "")
