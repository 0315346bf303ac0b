"""KPI cards: value, target, status (colour + symbol + word), projection, n, interval, change."""

from __future__ import annotations

import streamlit as st

from dashboard import labels
from dashboard.render import formats, style
from dashboard.render.cards import Card, card_parts, value_font_size

_CSS = (
    "\n".join(
        f"""[class*="st-key-card-{status}-"] {{
  border-left: 0.6rem solid {colour}; background: {style.STATUS_TINTS[status]};
  border-radius: 0.5rem; padding: 0.6rem 0.8rem;
}}"""
        for status, colour in style.STATUS_COLOURS.items()
    )
    + """
[class*="st-key-card-"] [data-testid="stMetricValue"] { font-size: 2.2rem; font-weight: 700; }
/* Each card is a size container: its value's size (value_size_css) shrinks with a card too
   narrow for it, so that the whole number shows ('101.61%', not '101…'). */
[class*="st-key-card-"] { container-type: inline-size; }
/* A row of cards without groups (the services page): as many to a row as fit at 12.5rem or
   more — six at 1920 pixels, four at 1366 — every card as wide as the others. */
.st-key-kpi-grid { display: grid !important; grid-template-columns: repeat(auto-fit, minmax(12.5rem, 1fr)); }
/* On a 1366-pixel projector five cards are narrow: wrap labels and changes, never cut them. */
[class*="st-key-card-"] [data-testid="stMetricLabel"] *,
[class*="st-key-card-"] [data-testid="stMetricDelta"],
[class*="st-key-card-"] [data-testid="stMetricDelta"] *,
[class*="st-key-card-"] [data-testid="stMetric"] [data-testid="stCaptionContainer"],
[class*="st-key-card-"] [data-testid="stMetric"] [data-testid="stCaptionContainer"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
[class*="st-key-card-"] [data-testid="stMetricDelta"] { height: auto !important; flex-wrap: wrap; }
[class*="st-key-card-"] { overflow-wrap: anywhere; padding-bottom: 0.9rem !important; }
/* Streamlit pulls each markdown block up by a negative margin: inside a card that would push
   the last line out of the tinted box. */
[class*="st-key-card-"] [data-testid="stMarkdownContainer"] { margin-bottom: 0 !important; }
.kpi-line .card-badge { display: inline-block; padding: 0.1rem 0.55rem; border-radius: 0.3rem;
  color: #fff; font-weight: 700; white-space: nowrap; }
.kpi-line { margin: 0.1rem 0; color: #222; font-size: 0.95rem; white-space: normal; overflow-wrap: anywhere; }
.kpi-n, .kpi-interval { opacity: 0.75; }
.kpi-small { font-style: italic; }
.kpi-group { font-weight: 700; font-size: 1.05rem; margin: 0.6rem 0 0.2rem 0; color: #334e68; }
"""
)

#: Cards per row: five headline targets share one row; the seven service cards take two.
PER_ROW = {"headline": 5, "service": 4}


#: A card's value at its largest (Streamlit's metric is 2.25rem; a bold 2.2rem reads from afar).
VALUE_SIZE = "2.2rem"


def value_size_css(cards: list[Card]) -> str:
    """Per card, its value's font size: 2.2rem, or less where the card is too narrow for it."""
    return "\n".join(
        f'.st-key-card-{c.status}-{c.code} [data-testid="stMetricValue"] '
        f"{{ font-size: {value_font_size(c.value_text, VALUE_SIZE)}; }}"
        for c in cards
    )


def inject_css(cards: list[Card]) -> None:
    st.html(f"<style>{_CSS}\n{value_size_css(cards)}</style>")


def render_card(card: Card) -> None:
    """One card in the current column."""
    with st.container(key=f"card-{card.status}-{card.code}"):
        # The arrow follows the sign of the change; the colour says whether that is good
        # (a falling birth rate is good: inverse), and a band target has no good direction.
        delta_color = {True: "inverse", False: "normal"}.get(card.lower_is_better, "off")  # type: ignore[arg-type]
        unchanged = card.yoy is not None and round(card.yoy, 2) == 0
        interval = card.interval_text.split(" – ") if card.interval_text else ["", ""]
        st.metric(
            card.title,
            card.value_text,
            delta=card.yoy_text if card.yoy_text else None,
            delta_color=delta_color,  # type: ignore[arg-type]
            delta_arrow="off" if unchanged else "auto",
            help=f"{card.full_name}："
            + (
                labels.t(
                    "card_help",
                    num=formats.fmt_count(card.numerator),
                    den=formats.fmt_count(card.denominator),
                    lo=interval[0],
                    hi=interval[-1],
                )
                if card.n_text
                else card.target_text
            ),
        )
        st.markdown(
            "\n".join(f'<div class="kpi-line kpi-{kind}">{part}</div>' for kind, part in card_parts(card)),
            unsafe_allow_html=True,
        )


def render_cards(cards: list[Card], *, grouped: bool = False) -> None:
    """Cards in rows: ``grouped``, the headline and the service cards under their group's name,
    :data:`PER_ROW` to a row; else as many to a row as the screen fits (they wrap)."""
    inject_css(cards)
    if not grouped:
        with st.container(key="kpi-grid"):
            for card in cards:
                render_card(card)
        return
    groups = list(dict.fromkeys(c.group for c in cards))
    for group in groups:
        members = [c for c in cards if c.group == group]
        st.markdown(f'<div class="kpi-group">{labels.t(f"overview_group_{group}")}</div>', unsafe_allow_html=True)
        per_row = PER_ROW.get(group, 5)
        for start in range(0, len(members), per_row):
            row = members[start : start + per_row]
            for column, card in zip(st.columns(per_row), row):
                with column:
                    render_card(card)
