"""One status palette, shared by every card, table, chart, map, slide and export.

Status is never carried by colour alone: each status also has a symbol and a word
(``formats.status_badge``), so that colour-blind viewers and black-and-white printouts read it
too; values with small numbers are drawn muted and carry the "?" mark.
"""

from __future__ import annotations

# Green/amber/red chosen to stay apart in deuteranopia and on a washed-out projector
# (different lightness, not just hue); grey for no data.
STATUS_COLOURS: dict[str, str] = {
    "green": "#1b7837",
    "amber": "#e08214",
    "red": "#b2182b",
    "no_data": "#8c8c8c",
}
# Light tints for table cell backgrounds (text stays dark and readable on them).
STATUS_TINTS: dict[str, str] = {
    "green": "#d9f0d3",
    "amber": "#fee0b6",
    "red": "#f4c7c3",
    "no_data": "#eeeeee",
}
STATUS_SYMBOLS: dict[str, str] = {"green": "✔", "amber": "▲", "red": "✖", "no_data": "—"}
SMALL_NUMBERS_SYMBOL = "?"
MUTED_OPACITY = 0.45
FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
