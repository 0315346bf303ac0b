"""KPI cards: value, target, status (colour + symbol + word), projection, n, interval, change."""

from __future__ import annotations

import html

import streamlit as st

from dashboard import labels, style
from dashboard.overview import Card

_CSS = "\n".join(
    f"""[class*="st-key-card-{status}-"] {{
  border-left: 0.6rem solid {colour}; background: {style.STATUS_TINTS[status]};
  border-radius: 0.5rem; padding: 0.6rem 0.8rem;
}}"""
    for status, colour in style.STATUS_COLOURS.items()
) + """
[class*="st-key-card-"] [data-testid="stMetricValue"] { font-size: 2.2rem; font-weight: 700; }
/* On a 1366-pixel projector five cards are narrow: wrap labels and changes, never cut them. */
[class*="st-key-card-"] [data-testid="stMetricLabel"] *,
[class*="st-key-card-"] [data-testid="stMetricDelta"],
[class*="st-key-card-"] [data-testid="stMetricDelta"] *,
[class*="st-key-card-"] [data-testid="stMetric"] [data-testid="stCaptionContainer"],
[class*="st-key-card-"] [data-testid="stMetric"] [data-testid="stCaptionContainer"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
[class*="st-key-card-"] [data-testid="stMetricDelta"] { height: auto !important; flex-wrap: wrap; }
.kpi-badge { display: inline-block; padding: 0.1rem 0.55rem; border-radius: 0.3rem;
  color: #fff; font-weight: 700; }
.kpi-line { margin: 0.1rem 0; color: #222; font-size: 0.95rem; }
.kpi-muted { opacity: 0.75; }
"""


def inject_css() -> None:
    st.html(f"<style>{_CSS}</style>")


def render_card(card: Card) -> None:
    """One card in the current column."""
    with st.container(key=f"card-{card.status}-{card.code}"):
        # The arrow follows the sign of the change; the colour says whether that is good
        # (a falling birth rate is good: inverse), and a band target has no good direction.
        delta_color = {True: "inverse", False: "normal"}.get(card.lower_is_better, "off")  # type: ignore[arg-type]
        unchanged = card.yoy is not None and round(card.yoy, 2) == 0
        st.metric(
            card.title,
            card.value_text,
            delta=card.yoy_text if card.yoy_text else None,
            delta_color=delta_color,  # type: ignore[arg-type]
            delta_arrow="off" if unchanged else "auto",
            help=f"{card.full_name}：" + labels.t(
                "card_help",
                num=style.fmt_count(card.numerator),
                den=style.fmt_count(card.denominator),
                lo=card.interval_text.split(" – ")[0],
                hi=card.interval_text.split(" – ")[-1],
            ),
        )
        colour = style.STATUS_COLOURS[card.status]
        lines = [
            f'<span class="kpi-badge" style="background:{colour}">{html.escape(card.badge)}</span>'
            f' <span class="kpi-line" style="white-space:nowrap">{labels.t("target")} {html.escape(card.target_text)}</span>'
        ]
        if card.projection_text:
            lines.append(
                f'<div class="kpi-line"><b>{labels.t("projection")} {html.escape(card.projection_text)}</b></div>'
            )
        lines.append(f'<div class="kpi-line kpi-muted">n = {html.escape(card.n_text)}</div>')
        lines.append(
            f'<div class="kpi-line kpi-muted">{labels.t("interval")} {html.escape(card.interval_text)}</div>'
        )
        if card.small_numbers:
            lines.append(f'<div class="kpi-line"><i>{labels.t("small_numbers")}</i></div>')
        st.markdown("\n".join(lines), unsafe_allow_html=True)


def render_cards(cards: list[Card]) -> None:
    inject_css()
    for column, card in zip(st.columns(len(cards)), cards):
        with column:
            render_card(card)
