"""会议 Meeting mode: full-screen slides for the projector, by button or automatically."""

from __future__ import annotations

import time

import streamlit as st
from streamlit_shortcuts import add_shortcuts

from dashboard import labels
from dashboard.app import cache, loaders
from dashboard.app.components import sidebar
from dashboard.app.components.errors import stop_on_registry_error
from dashboard.render import slides
from dashboard.views.meeting import SLIDES

context = sidebar.current()
st.html(slides.CSS)

if "meeting_slide" not in st.session_state:
    wanted = st.query_params.get("slide", "1")
    st.session_state["meeting_slide"] = (int(wanted) - 1) % len(SLIDES) if wanted.isdigit() else 0


def step(delta: int) -> None:
    st.session_state["meeting_slide"] = (st.session_state["meeting_slide"] + delta) % len(SLIDES)
    st.session_state["meeting_last_advance"] = time.monotonic()


keys = labels.t("meeting_keys")
controls = st.columns([1, 1, 1, 1.2, 1.2, 1.6, 1.6, 0.2], vertical_alignment="bottom")
# The keys' hint sits on the toggle: on a button the clicker presses, its tooltip would cover
# the slide's title after every press.
controls[0].button(labels.t("meeting_prev"), on_click=step, args=(-1,), key="meeting-prev")
controls[1].button(labels.t("meeting_next"), on_click=step, args=(1,), key="meeting-next")
leave = controls[2].button(labels.t("meeting_exit"), key="meeting-exit")
auto = controls[3].toggle(labels.t("meeting_auto"), key="meeting_auto", help=keys)
seconds = controls[4].number_input(labels.t("meeting_seconds"), 5, 600, 30, step=5, key="meeting_seconds")
# The pack to hand round: the deck as it stands, made when clicked (and logged).
for column, kind, mime in (
    (controls[5], "pdf", "application/pdf"),
    (controls[6], "pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
):
    column.download_button(
        labels.t(f"meeting_pack_{kind}"),
        data=lambda kind=kind: loaders.meeting_pack(
            context.url, context.period, kind, context.access, st.session_state.get("meeting_generation")
        ),
        file_name=f"{labels.t('page_meeting')}_{context.period.label}.{kind}",
        mime=mime,
        key=f"meeting-pack-{kind}",
        help=labels.t("meeting_pack_help"),
        on_click="ignore",
    )
with controls[7]:  # a presenter's clicker sends these keys
    add_shortcuts(
        **{"meeting-next": ["arrowright", "pagedown", " "], "meeting-prev": ["arrowleft", "pageup"]},
        **{"meeting-exit": "escape"},
    )
if leave:
    # Back to the overview on the same period (and 我的乡镇), as a presenter expects.
    st.switch_page("pages/overview.py", query_params={k: v for k, v in st.query_params.items() if k != "slide"})


@st.fragment(run_every=float(seconds) if auto else None)
def show() -> None:
    now = time.monotonic()
    last = st.session_state.setdefault("meeting_last_advance", now)
    if auto and now - last >= float(seconds) - 0.5:
        step(1)  # each slide reads the current summaries: a refresh shows on the next slide
    index = st.session_state["meeting_slide"]
    kind = SLIDES[index]
    with stop_on_registry_error():
        # A refresh's new summaries are shown once the whole deck is built for them.
        generation = loaders.meeting_generation(context.url, context.period, st.session_state.get("meeting_generation"))
        st.session_state["meeting_generation"] = generation
        deck = loaders.meeting_deck(context.url, context.period, kind, generation)
    st.markdown(slides.head_html(labels.t(f"meeting_slide_{kind}"), deck.title), unsafe_allow_html=True)
    if kind == "targets":
        st.markdown(slides.cards_html(deck.cards) + slides.legend_html(), unsafe_allow_html=True)
    elif kind == "scorecard":
        assert deck.scorecard is not None
        legend = slides.legend_html(labels.t("meeting_scorecard_note"))
        st.markdown(slides.scorecard_html(deck.scorecard) + legend, unsafe_allow_html=True)
    elif kind == "ranking":
        assert deck.score_chart is not None
        st.markdown(slides.chart_html(cache.svg(loaders.meeting_charts(deck)[0])), unsafe_allow_html=True)
    elif kind == "map":
        assert deck.map is not None
        note = labels.t("map_schematic") if deck.map.schematic else ""
        svg = cache.svg(loaders.meeting_charts(deck)[-1])
        st.markdown(slides.map_html(svg, deck.map.rule, deck.map.swatches, deck.map.side, note), unsafe_allow_html=True)
    else:
        assert deck.laggards is not None
        st.markdown(slides.table_html(deck.laggards) + slides.legend_html(), unsafe_allow_html=True)
    st.markdown(
        f'<div class="meeting-footer">{labels.t("meeting_page_of", n=index + 1, total=len(SLIDES))} · '
        f"{labels.t('meeting_as_of', date=deck.as_of)} · {labels.t('meeting_refreshed', time=time.strftime('%H:%M:%S'))}</div>",
        unsafe_allow_html=True,
    )
    # The next slide is built while this one is on screen.
    loaders.warm_meeting_slide(context.url, context.period, SLIDES[(index + 1) % len(SLIDES)], generation)


show()
