"""KPI cards: one target's value, target, status (colour + symbol + word), projection, n,
interval and change — the same card on the overview, the services page and the meeting slide."""

from __future__ import annotations

import html
from dataclasses import dataclass

from dashboard import labels
from dashboard.render import style


@dataclass(frozen=True)
class Card:
    """One county KPI card (every text already in the reader's words)."""

    code: str
    title: str  # the short name: five cards share a 1366-pixel row
    full_name: str
    value: float
    value_text: str
    projection: float
    projection_text: str | None  # shown for projected indicators over part of a year
    target_text: str
    status: str
    badge: str
    small_numbers: bool
    numerator: float
    denominator: float
    n_text: str  # "分子 / 分母" behind the number ('' when there is none)
    interval_text: str  # '' when there is no interval
    yoy: float | None  # change against the same period last year (value − last year's value)
    yoy_text: str | None
    lower_is_better: bool | None
    group: str = "headline"  # 'headline' or 'service': cards are shown in these two groups
    lines: tuple[tuple[str, str], ...] = ()  # extra (status, text) lines, e.g. the three site goals


#: Widths in em of what a card's value is made of, in the bold Noto Sans CJK the pages and
#: slides draw it in (measured in Chromium): digits and signs 0.59, '.' and ',' 0.33, '%' 0.96,
#: '‰' 1.0, a space 0.23, '/' 0.39, '-' 0.37; any other ASCII character 0.6, anything else (a Han
#: character) 1.
_EM = {".": 0.33, ",": 0.33, "%": 0.96, "‰": 1.0, " ": 0.23, "/": 0.39, "-": 0.37}


def value_em(text: str) -> float:
    """How wide ``text`` is drawn, in em (see :data:`_EM`)."""
    return sum(_EM.get(ch, 0.59 if ch.isdigit() or ch in "+−" else 0.6 if ch.isascii() else 1.0) for ch in text)


def value_font_size(text: str, largest: str, share: float = 0.92) -> str:
    """A CSS font size for a card's value: ``largest``, or less on a card too narrow for it, so
    that the whole number fills at most ``share`` of the card's width ('101.61%', never
    '101…'). The card must be a size container (``container-type: inline-size``: ``cqi`` is 1 %
    of its content width)."""
    return f"min({largest}, {100 * share / max(value_em(text), 1.0):.2f}cqi)"


def card_text(card: Card) -> list[tuple[str, str]]:
    """The lines under a card's value as (kind, plain text): badge, target, projection, each
    extra line, n, interval, small — nothing empty, nothing 'None'. The page's and slides' HTML
    and the meeting pack's pages are both made from these."""
    parts = [("badge", card.badge), ("target", f"{labels.t('target')} {card.target_text}")]
    if card.projection_text:
        parts.append(("projection", f"{labels.t('projection')} {card.projection_text}"))
    for status, text in card.lines:
        parts.append(("line", f"{style.STATUS_SYMBOLS[status]} {text}"))
    if card.n_text:
        parts.append(("n", f"n = {card.n_text}"))
    if card.interval_text:
        parts.append(("interval", f"{labels.t('interval')} {card.interval_text}"))
    if card.small_numbers:
        parts.append(("small", f"{style.SMALL_NUMBERS_SYMBOL} {labels.t('small_numbers')}"))
    return parts


def card_parts(card: Card) -> list[tuple[str, str]]:
    """:func:`card_text` as (kind, HTML): the badge in its status colour, the projection bold.
    Pages and slides style the kinds."""
    colour = style.STATUS_COLOURS[card.status]
    parts = []
    for kind, text in card_text(card):
        shown = html.escape(text)
        if kind == "badge":
            shown = f'<span class="card-badge" style="background:{colour}">{shown}</span>'
        elif kind == "projection":
            shown = f"<b>{shown}</b>"
        parts.append((kind, shown))
    return parts
