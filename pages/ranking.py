"""乡镇排名 Ranking: assessment score with 一票否决, per-indicator ranks, funnel plot."""

from __future__ import annotations

import streamlit as st

from dashboard import labels
from dashboard.app import loaders
from dashboard.app.components import sidebar, tables
from dashboard.app.components.errors import stop_on_registry_error
from dashboard.domain import indicators as ind
from dashboard.render import formats

context = sidebar.current()
options = ["score", *[i.code for i in ind.HEADLINE]]
choice = st.segmented_control(
    labels.t("ranking_by"),
    options,
    default="score",
    required=True,
    key="ranking_choice",
    format_func=lambda c: labels.t("ranking_score_option") if c == "score" else formats.indicator_short(c),
)
with stop_on_registry_error():
    view = loaders.ranking_page(
        context.url,
        context.period,
        choice=choice or "score",
        funnel_level=st.session_state.get("funnel_level", "township"),
        mine=context.mine,
    )

if view.indicator is None:
    st.header(labels.t("score_title"))
    st.altair_chart(view.score.chart, width="stretch")
    tables.table(view.score.table, key="score-table", fit_text=True)
    tables.export_buttons(lambda: view.score.export, view.score.context, stem=view.score.stem, key="score")
else:
    iv = view.indicator
    st.header(iv.heading)
    left, right = st.columns([1, 1])
    with left:
        st.altair_chart(iv.chart, width="stretch")
    with right:
        st.subheader(iv.funnel_title)
        st.radio(
            labels.t("funnel_points"),
            ["township", "village"],
            key="funnel_level",
            horizontal=True,
            format_func=lambda v: labels.t("level_townships") if v == "township" else labels.t("level_villages"),
        )
        st.altair_chart(iv.funnel, width="stretch")
        st.caption(iv.funnel_note)
    tables.table(iv.table, key="indicator-ranking-table")
    tables.export_buttons(lambda: iv.export, iv.context, stem=iv.stem, key="indicator-ranking")
tables.document_button(
    labels.t("bulletin_download"),
    lambda: loaders.bulletin_file(context.url, context.period, context.access),
    file_name=loaders.bulletin_name(context.url, context.period),
    mime=loaders.BULLETIN_MIME,
    key="bulletin-docx",
)
st.caption(labels.t("legend_marks"))
for note in view.notes:
    st.caption(note)
