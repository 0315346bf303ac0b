"""The meeting slides for a 1920×1080 projector, as HTML: every target's card, the township ×
target scorecard, plain tables, the legend of the marks."""

from __future__ import annotations

import html

import pandas as pd

from dashboard import labels
from dashboard.render import style
from dashboard.render.cards import Card, card_parts
from dashboard.render.tables import StatusTable

CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
header[data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 1.2rem !important; padding-bottom: 0 !important; max-width: 100% !important; }
.meeting-title { font-size: 3.2rem; font-weight: 800; color: #102a43; margin: 0 0 0.4rem 0; line-height: 1.2; }
.meeting-sub { font-size: 1.6rem; color: #334e68; margin-bottom: 0.8rem; }
.meeting-group { font-size: 1.7rem; font-weight: 800; color: #334e68; margin: 0.6rem 0 0.3rem 0; }
.meeting-grid { display: grid; gap: 0.8rem; }
.meeting-card { border-radius: 0.8rem; padding: 0.8rem 1rem; color: #111; min-width: 0; overflow-wrap: anywhere; }
.meeting-card h3 { font-size: clamp(1.2rem, 1.3vw, 1.6rem); margin: 0 0 0.2rem 0; color: #111; line-height: 1.2; white-space: nowrap; }
.meeting-value { font-size: clamp(1.8rem, 2.4vw, 2.9rem); font-weight: 800; line-height: 1.1; white-space: nowrap; }
.meeting-card .card-badge { font-size: 1.6rem; font-weight: 800; color: #fff; padding: 0.05rem 0.6rem; border-radius: 0.4rem; display: inline-block; margin: 0.25rem 0; }
.meeting-line { font-size: 1.5rem; margin: 0.1rem 0; line-height: 1.25; }
.meeting-muted { opacity: 0.6; }
.meeting-table { width: 100%; border-collapse: collapse; font-size: 1.7rem; }
.meeting-table th { text-align: left; background: #102a43; color: #fff; padding: 0.5rem 0.8rem; }
.meeting-table td { padding: 0.45rem 0.8rem; border-bottom: 2px solid #d9e2ec; }
.meeting-side { font-size: 1.5rem; line-height: 1.3; }
.meeting-side th, .meeting-side td { padding: 0.12rem 0.6rem; }
.meeting-scorecard { width: 100%; border-collapse: collapse; font-size: 1.5rem; table-layout: auto; }
.meeting-scorecard th { background: #102a43; color: #fff; padding: 0.35rem 0.3rem; font-size: 1.5rem; line-height: 1.15; }
.meeting-scorecard td { padding: 0.2rem 0.3rem; border: 2px solid #fff; text-align: center; white-space: nowrap; }
.meeting-scorecard td.name { text-align: left; font-weight: 700; }
.meeting-legend { font-size: 1.5rem; color: #243b53; margin-top: 0.5rem; }
.meeting-footer { font-size: 1.3rem; color: #486581; margin-top: 0.6rem; }
[data-testid="stButton"] button p { font-size: 1.4rem; }
</style>
"""


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
        f'<div class="meeting-value{muted}">{html.escape(card.value_text)}</div>',
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


def legend_html(note: str = "") -> str:
    """The marks' legend (after ``note``, e.g. how the scorecard is sorted) in one line."""
    text = f"{note}　{labels.t('legend_marks')}" if note else labels.t("legend_marks")
    return f'<div class="meeting-legend">{html.escape(text)}</div>'


def map_side_table(table: pd.DataFrame) -> pd.DataFrame:
    """The meeting map's townships in words beside it: name, status (the colour), score."""
    score = labels.t("score")
    side = table[[labels.t("township"), labels.t("status"), labels.t("value")]].rename(
        columns={labels.t("value"): score}
    )
    side[score] = side[score].astype(str).str.replace(score, "", regex=False).str.strip()  # the header says it
    order = pd.to_numeric(side[score], errors="coerce").sort_values(ascending=False, na_position="last").index
    return side.loc[order].reset_index(drop=True)


def table_html(frame: pd.DataFrame, *, css: str = "") -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f'<table class="meeting-table {css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
