"""The meeting slides for a 1920×1080 projector, as HTML: every target's card, the township ×
target scorecard, plain tables, the legend of the marks."""

from __future__ import annotations

import html

import pandas as pd

from dashboard import labels
from dashboard.render import style
from dashboard.render.cards import Card, card_parts, value_font_size
from dashboard.render.tables import StatusTable

CSS = """
<style>
/* Every size is a multiple of --u: 19.2 px on a 1920×1080 screen (1 % of its width), less on a
   smaller or squatter one, so that a slide laid out for 1920×1080 fits any screen whole.
   Meaningful text is at least 1.3u = 25 px at 1920×1080. */
:root { --u: min(1vw, 1.7778vh); }
/* Streamlit's own sizes (buttons, inputs, gaps) are in rem: the root font follows --u too, so
   the whole page scales as one (16 px at 1920×1080, as Streamlit draws it everywhere else). */
html { font-size: calc(var(--u) * 0.8333); }
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
header[data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
.block-container, [data-testid="stMainBlockContainer"] { padding: calc(var(--u) * 0.6) calc(var(--u) * 1.6) 0 !important; max-width: 100% !important; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: calc(var(--u) * 0.45); }
[data-testid="stMain"] { overflow: hidden; }
.meeting-head { display: flex; align-items: baseline; gap: calc(var(--u) * 1.6); margin: 0 0 1rem 0; line-height: 1.15; }  /* 1rem: Streamlit pulls the next element up by that */
.meeting-title { font-size: calc(var(--u) * 2.6); font-weight: 800; color: #102a43; white-space: nowrap; }
.meeting-sub { font-size: calc(var(--u) * 1.4); color: #334e68; white-space: nowrap; }
.meeting-group { font-size: calc(var(--u) * 1.6); font-weight: 800; color: #334e68; margin: calc(var(--u) * 0.3) 0 calc(var(--u) * 0.2) 0; }
.meeting-grid { display: grid; gap: calc(var(--u) * 0.7); }
.meeting-card { border-radius: calc(var(--u) * 0.6); padding: calc(var(--u) * 0.8) calc(var(--u) * 0.8); color: #111; min-width: 0; overflow-wrap: anywhere; container-type: inline-size; }
.meeting-card h3 { font-size: calc(var(--u) * 1.5); margin: 0 0 calc(var(--u) * 0.15) 0; padding: 0; color: #111; line-height: 1.2; white-space: nowrap; }
.meeting-value { font-size: calc(var(--u) * 2.8); font-weight: 800; line-height: 1.1; white-space: nowrap; }
.meeting-card .card-badge { font-size: calc(var(--u) * 1.45); font-weight: 800; color: #fff; padding: 0 calc(var(--u) * 0.4); border-radius: calc(var(--u) * 0.3); display: inline-block; margin: calc(var(--u) * 0.15) 0; }
.meeting-line { font-size: calc(var(--u) * 1.4); margin: 0; line-height: 1.3; }
.meeting-muted { opacity: 0.6; }
.meeting-table { width: 100%; border-collapse: collapse; font-size: calc(var(--u) * 1.7); }
.meeting-table th { text-align: left; background: #102a43; color: #fff; padding: calc(var(--u) * 0.3) calc(var(--u) * 0.6); }
.meeting-table td { padding: calc(var(--u) * 0.4) calc(var(--u) * 0.6); border-bottom: calc(var(--u) * 0.1) solid #d9e2ec; }
.meeting-side { font-size: calc(var(--u) * 1.5); line-height: 1.25; }
.meeting-side th, .meeting-side td { padding: calc(var(--u) * 0.12) calc(var(--u) * 0.5); }
.meeting-scorecard { width: 100%; border-collapse: collapse; font-size: calc(var(--u) * 1.45); table-layout: auto; }
.meeting-scorecard th { background: #102a43; color: #fff; padding: calc(var(--u) * 0.2) calc(var(--u) * 0.2); font-size: calc(var(--u) * 1.3); line-height: 1.15; }
.meeting-scorecard td { padding: calc(var(--u) * 0.18) calc(var(--u) * 0.2); border: calc(var(--u) * 0.1) solid #fff; text-align: center; white-space: nowrap; }
.meeting-scorecard td.name { text-align: left; font-weight: 700; }
.meeting-legend { font-size: calc(var(--u) * 1.3); color: #243b53; margin-top: calc(var(--u) * 0.5); line-height: 1.3; }
.meeting-footer { font-size: calc(var(--u) * 1.3); color: #486581; margin-top: calc(var(--u) * 0.2); }
.meeting-chart svg { display: block; height: calc(var(--u) * 42); width: auto; max-width: 100%; }
.meeting-map { display: flex; gap: calc(var(--u) * 1.6); align-items: flex-start; }
.meeting-map .meeting-chart svg { height: calc(var(--u) * 44); }
.meeting-map-key { flex: 1 1 auto; min-width: 0; }
.meeting-rule { font-size: calc(var(--u) * 1.3); font-weight: 700; color: #102a43; line-height: 1.3; margin-bottom: calc(var(--u) * 0.4); }
.meeting-swatches { display: flex; flex-wrap: wrap; gap: calc(var(--u) * 0.3) calc(var(--u) * 1); font-size: calc(var(--u) * 1.3); margin-bottom: calc(var(--u) * 0.5); }
.meeting-swatch { display: inline-flex; align-items: center; gap: calc(var(--u) * 0.4); white-space: nowrap; }
.meeting-swatch i { display: inline-block; width: calc(var(--u) * 1.6); height: calc(var(--u) * 1.1); border-radius: calc(var(--u) * 0.2); }
[data-testid="stButton"] button p, [data-testid="stDownloadButton"] button p { font-size: calc(var(--u) * 1.3); }
[data-testid="stWidgetLabel"] p, [data-testid="stNumberInputContainer"] input { font-size: calc(var(--u) * 1.3) !important; }
</style>
"""


#: A slide card's value at its largest.
VALUE_SIZE = "calc(var(--u) * 2.8)"

#: What a slide card shows under its value (interval and small-numbers note are on the legend).
SLIDE_PARTS = ("badge", "target", "projection", "line", "n")


def card_html(card: Card) -> str:
    """A large, high-contrast card: status by colour, symbol and word; small numbers muted."""
    colour = style.STATUS_COLOURS[card.status]
    tint = style.STATUS_TINTS[card.status]
    muted = " meeting-muted" if card.small_numbers else ""
    lines = [
        f'<div class="meeting-card" style="background:{tint}; border-left: 0.8rem solid {colour}">',
        f"<h3>{html.escape(card.title)}</h3>",
        # 2.8u, or less on a card too narrow for the whole number (seven service cards to a row)
        f'<div class="meeting-value{muted}" style="font-size: {value_font_size(card.value_text, VALUE_SIZE)}">'
        f"{html.escape(card.value_text)}</div>",
        *(f'<div class="meeting-line">{part}</div>' for kind, part in card_parts(card) if kind in SLIDE_PARTS),
        "</div>",
    ]
    return "".join(lines)


def cards_html(cards: list[Card]) -> str:
    """Every target's card on one slide: the headline row, then the service work."""
    parts = []
    for group, columns in (("headline", 5), ("service", 7)):
        members = [c for c in cards if c.group == group]
        if not members:
            continue
        parts.append(f'<div class="meeting-group">{html.escape(labels.t(f"overview_group_{group}"))}</div>')
        parts.append(
            f'<div class="meeting-grid" style="grid-template-columns: repeat({columns}, minmax(0, 1fr))">'
            + "".join(card_html(c) for c in members)
            + "</div>"
        )
    return "".join(parts)


def scorecard_html(card: StatusTable) -> str:
    """The scorecard as an HTML table: cells tinted by status, symbols and '?' in the text."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in card.text.columns)
    rows = []
    for i in range(len(card.text)):
        cells = []
        for j, _column in enumerate(card.text.columns):
            state = str(card.status.iloc[i, j])
            style_attr = f' style="background:{style.STATUS_TINTS[state]}"' if state in style.STATUS_TINTS else ""
            cls = ' class="name"' if j == 1 else (' class="meeting-muted"' if bool(card.small.iloc[i, j]) else "")
            cells.append(f"<td{cls}{style_attr}>{html.escape(str(card.text.iloc[i, j]))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="meeting-scorecard"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def head_html(title: str, sub: str) -> str:
    """The slide's title and, beside it, the county and period."""
    return (
        f'<div class="meeting-head"><span class="meeting-title">{html.escape(title)}</span>'
        f'<span class="meeting-sub">{html.escape(sub)}</span></div>'
    )


def chart_html(svg: str) -> str:
    """A chart drawn to SVG (vl-convert), sized by the slide's CSS (its type stays in the page)."""
    # One line: the page's Markdown would end an HTML block at a blank line (st.html is no
    # way round it: its sanitiser drops <svg>). Newlines only occur inside aria labels.
    one_line = " ".join(svg.split("\n"))
    return f'<div class="meeting-chart">{one_line}</div>'


def map_html(
    svg: str, rule: str, swatches: tuple[tuple[str, str, str], ...], side: pd.DataFrame, note: str = ""
) -> str:
    """The map slide: the map at full slide height; beside it the rule its colours follow in
    words, the swatches (colour, symbol, words) and the townships in rank order."""
    keys = "".join(
        f'<span class="meeting-swatch"><i style="background:{style.STATUS_COLOURS[s]}"></i>{html.escape(words)}</span>'
        for s, _symbol, words in swatches
    )
    extra = f'<div class="meeting-legend">{html.escape(note)}</div>' if note else ""
    return (
        f'<div class="meeting-map">{chart_html(svg)}<div class="meeting-map-key">'
        f'<div class="meeting-rule">{html.escape(rule)}</div><div class="meeting-swatches">{keys}</div>'
        f"{table_html(side, css='meeting-side')}{extra}</div></div>"
    )


def legend_html(note: str = "") -> str:
    """The marks' legend (after ``note``, e.g. how the scorecard is sorted) in one line."""
    text = f"{note}　{labels.t('legend_marks')}" if note else labels.t("legend_marks")
    return f'<div class="meeting-legend">{html.escape(text)}</div>'


def table_html(frame: pd.DataFrame, *, css: str = "") -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f'<table class="meeting-table {css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
