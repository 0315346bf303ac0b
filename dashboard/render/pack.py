"""The meeting pack: the deck to hand round, as one PDF (a page per slide) and as PowerPoint
(a slide per slide), from the same :class:`~dashboard.views.meeting.MeetingDeck` as the screen
— the same words, values, status symbols and small-number marks — with the period, the data's
date, the time it was made and the marks' legend on every page.

Charts and the map are drawn offline to PNG (vl-convert). The PDF embeds a subset of Noto Sans
CJK (OpenType CFF, read from the system's fonts-noto-cjk; nothing is downloaded), with DejaVu
Sans is not used as a fallback: fpdf2 2.8.9 mixed up glyphs of later pages when it fell back
for ✔ ✖ (which Noto Sans CJK lacks), so the PDF writes them as the CJK font's own ✓ and ×. The page model (:class:`Page`, built from the
deck by ``views.meeting.pack_pages``) is laid out once; the two writers draw it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

# The writers' libraries are imported when a pack is made: fpdf2 and python-pptx take most of a
# second to import, which every server's first page would pay (this module is on its path).
if TYPE_CHECKING:
    from fpdf import FPDF

from dashboard import labels
from dashboard.domain.errors import KeyedError
from dashboard.render import style
from dashboard.render.cards import Card, card_text

#: Where the CJK font is looked for (Debian's fonts-noto-cjk), then the symbol fallback.
CJK_FONTS: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"),
)
#: The status symbols Noto Sans CJK lacks, as its nearest own glyphs (PDF only).
PDF_SYMBOLS = str.maketrans({"✔": "✓", "✖": "×"})
_SC_INDEX = 2  # Simplified Chinese in the Noto Sans CJK collection (JP, KR, SC, TC, HK)

# A 16:9 page in points (PowerPoint's 13.33 × 7.5 in).
PAGE_W, PAGE_H = 960.0, 540.0
MARGIN = 30.0
BODY_TOP, BODY_BOTTOM = 74.0, PAGE_H - 52.0


class PackError(KeyedError, RuntimeError):
    """The pack cannot be made (message keys ``err_pack_…``)."""


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]
    status: list[list[str]] | None = None  # per cell: a status (tinted) or ''
    muted: list[list[bool]] | None = None
    widths: list[float] | None = None  # relative column widths


@dataclass(frozen=True)
class Image:
    png: bytes
    width: int  # pixels
    height: int


@dataclass(frozen=True)
class Page:
    """One slide of the pack: title, the deck's title beside it, and what it shows — cards,
    a table, an image, lines of text (``side``: what goes beside the image)."""

    kind: str
    title: str
    sub: str
    cards: list[tuple[str, list[Card], int]] = field(default_factory=list)
    table: Table | None = None
    image: Image | None = None
    side_lines: list[str] = field(default_factory=list)
    side_table: Table | None = None
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PackInfo:
    """What every page says at its foot: period, the data's date, when the pack was made."""

    period: str
    as_of: str
    generated: str

    def footer(self, n: int, total: int) -> str:
        return (
            f"{labels.t('sidebar_period')} {self.period} · {labels.t('meeting_as_of', date=self.as_of)} · "
            f"{labels.t('meeting_generated', time=self.generated)} · {labels.t('meeting_page_of', n=n, total=total)}"
        )


def _rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


#: What a pack's card shows under its value (as the slide: the interval and the small-numbers
#: note are on the page's legend).
PACK_PARTS = ("target", "projection", "line", "n")


def card_lines(card: Card) -> list[tuple[str, str]]:
    """A card's lines as (kind, text), as the slide shows them: title, value, badge, then
    target, projection, extra lines and n (each as a 'line')."""
    lines = [("title", card.title), ("value", card.value_text), ("badge", card.badge)]
    lines += [("line", text) for kind, text in card_text(card) if kind in PACK_PARTS]
    return lines


# --------------------------------------------------------------------------- PDF


def _fonts() -> tuple[str, str]:
    cjk = next((pair for pair in CJK_FONTS if all(Path(p).is_file() for p in pair)), None)
    if cjk is None:
        raise PackError("err_pack_font", path=CJK_FONTS[0][0])
    return cjk


def _new_pdf() -> FPDF:
    """A 16:9 landscape PDF in points with the CJK font, the status symbols as its glyphs."""
    from fpdf import FPDF

    class _Pdf(FPDF):
        def normalize_text(self, text: str) -> str:
            return super().normalize_text(text.translate(PDF_SYMBOLS))

    pdf = _Pdf(orientation="L", unit="pt", format=(PAGE_H, PAGE_W))
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    regular, bold = _fonts()
    pdf.add_font("cjk", "", regular, collection_font_number=_SC_INDEX)
    pdf.add_font("cjk", "B", bold, collection_font_number=_SC_INDEX)
    return pdf


def _text_at(pdf: FPDF, x: float, y: float, w: float, text: str, size: float, *, bold: bool = False) -> None:
    pdf.set_font("cjk", "B" if bold else "", size)
    pdf.set_xy(x, y)
    pdf.cell(w, size * 1.25, text, new_x="LMARGIN", new_y="NEXT")


def _para(pdf: FPDF, x: float, y: float, w: float, text: str, size: float, *, bold: bool = False) -> float:
    """Wrapped text from (x, y); returns the y below it."""
    pdf.set_font("cjk", "B" if bold else "", size)
    pdf.set_xy(x, y)
    pdf.multi_cell(w, size * 1.3, text, align="L", new_x="LMARGIN", new_y="NEXT")
    return float(pdf.get_y())


def _pdf_table(pdf: FPDF, table: Table, x: float, y: float, w: float, bottom: float, size: float) -> float:
    widths = table.widths or [1.0] * len(table.header)
    scale = w / sum(widths)
    cols = [c * scale for c in widths]
    n = len(table.rows) + 1
    row_h = min(size * 2.0, (bottom - y) / max(n + 1, 1))
    size = min(size, row_h / 1.6)
    pdf.set_font("cjk", "B", size)
    # A header too wide for its column wraps onto a second line (the scorecard's long names).
    wraps = [max(1, math.ceil(pdf.get_string_width(text) / max(cw - 4, 1))) for text, cw in zip(table.header, cols)]
    line_h = size * 1.2
    head_h = max(wraps) * line_h + 6
    pdf.set_fill_color(*_rgb("#102a43"))
    pdf.rect(x, y, w, head_h, style="F")
    pdf.set_text_color(255, 255, 255)
    cx = x
    for text, cw, k in zip(table.header, cols, wraps):
        pdf.set_xy(cx, y + (head_h - k * line_h) / 2)
        pdf.multi_cell(cw, line_h, text, align="C")
        cx += cw
    pdf.set_text_color(17, 17, 17)
    ty = y + head_h
    for i, row in enumerate(table.rows):
        cx = x
        for j, (text, cw) in enumerate(zip(row, cols)):
            state = table.status[i][j] if table.status else ""
            fill = state in style.STATUS_TINTS
            if fill:
                pdf.set_fill_color(*_rgb(style.STATUS_TINTS[state]))
            muted = bool(table.muted[i][j]) if table.muted else False
            pdf.set_text_color(*((120, 120, 120) if muted else (17, 17, 17)))
            pdf.set_font("cjk", "B" if j == 1 and table.status else "", size)
            pdf.set_xy(cx, ty)
            pdf.cell(cw, row_h, text, border="B", align="L" if j == 1 or not table.status else "C", fill=fill)
            cx += cw
        ty += row_h
    pdf.set_text_color(17, 17, 17)
    return ty


def _pdf_cards(pdf: FPDF, groups: Sequence[tuple[str, list[Card], int]], top: float, bottom: float) -> float:
    y = top
    width = PAGE_W - 2 * MARGIN
    heights = {"headline": 165.0, "service": 190.0}
    for group, members, columns in groups:
        _text_at(pdf, MARGIN, y, width, group, 13, bold=True)
        y += 20
        gap = 8.0
        cw = (width - gap * (columns - 1)) / columns
        ch = heights.get(members[0].group, 150.0)
        for k, card in enumerate(members):
            cx = MARGIN + k * (cw + gap)
            pdf.set_fill_color(*_rgb(style.STATUS_TINTS[card.status]))
            pdf.rect(cx, y, cw, ch, style="F")
            pdf.set_fill_color(*_rgb(style.STATUS_COLOURS[card.status]))
            pdf.rect(cx, y, 5, ch, style="F")
            ly = y + 5
            for kind, text in card_lines(card):
                size = {"title": 14 if columns == 5 else 12, "value": 28 if columns == 5 else 20, "badge": 13}.get(
                    kind, 11.5 if columns == 5 else 10
                )
                if kind == "value" and card.small_numbers:
                    pdf.set_text_color(110, 110, 110)
                if kind == "badge":
                    pdf.set_text_color(*_rgb(style.STATUS_COLOURS[card.status]))
                ly = _para(pdf, cx + 10, ly, cw - 14, text, size, bold=kind in ("title", "value", "badge"))
                pdf.set_text_color(17, 17, 17)
        y += ch + 10
    return y


def _image_size(page: Page, width: float, bottom: float) -> tuple[float, float]:
    """The page's image scaled into its box (half the width beside a side table), in points."""
    assert page.image is not None
    box_w = width * (0.5 if page.side_table is not None else 1.0)
    scale = min(box_w / page.image.width, (bottom - BODY_TOP) / page.image.height)
    return page.image.width * scale, page.image.height * scale


def pdf_bytes(laid: Sequence[Page], info: PackInfo, title: str = "") -> bytes:
    """The pack as a PDF: one 16:9 page per slide, fonts embedded."""
    pdf = _new_pdf()
    pdf.set_title(title)
    for n, page in enumerate(laid, start=1):
        pdf.add_page()
        pdf.set_text_color(16, 42, 67)
        _text_at(pdf, MARGIN, 22, 560, page.title, 24, bold=True)
        _text_at(pdf, MARGIN + 560, 30, PAGE_W - 2 * MARGIN - 560, page.sub, 14)
        pdf.set_text_color(17, 17, 17)
        width = PAGE_W - 2 * MARGIN
        bottom = BODY_BOTTOM - 14 * len(page.lines)
        if page.cards:
            _pdf_cards(pdf, page.cards, BODY_TOP, bottom)
        if page.table is not None:
            _pdf_table(pdf, page.table, MARGIN, BODY_TOP, width, bottom, 10.5 if page.kind == "scorecard" else 14)
        if page.image is not None:
            w, h = _image_size(page, width, bottom)
            pdf.image(io.BytesIO(page.image.png), x=MARGIN, y=BODY_TOP, w=w, h=h)
            if page.side_table is not None:
                sx = MARGIN + w + 20
                sw = PAGE_W - MARGIN - sx
                y = BODY_TOP
                for line in page.side_lines:
                    y = _para(pdf, sx, y, sw, line, 11, bold=line == page.side_lines[0]) + 2
                _pdf_table(pdf, page.side_table, sx, y + 4, sw, bottom, 11)
        y = BODY_BOTTOM - 14 * len(page.lines)
        for line in page.lines:
            y = _para(pdf, MARGIN, y, width, line, 9.5)
        pdf.set_text_color(72, 101, 129)
        _para(pdf, MARGIN, PAGE_H - 44, width, labels.t("legend_marks"), 9)
        _para(pdf, MARGIN, PAGE_H - 28, width, info.footer(n, len(laid)), 9)
        pdf.set_text_color(17, 17, 17)
    return bytes(pdf.output())


# --------------------------------------------------------------------------- PowerPoint


def _pptx_text(
    slide: object, x: float, y: float, w: float, h: float, lines: Sequence[tuple[str, float, bool, str]]
) -> None:
    """A text box at (x, y) points: each line (text, size, bold, colour)."""
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    box = slide.shapes.add_textbox(Pt(x), Pt(y), Pt(w), Pt(h))  # type: ignore[attr-defined]
    frame = box.text_frame
    frame.word_wrap = True
    for k, (text, size, bold, colour) in enumerate(lines):
        para = frame.paragraphs[0] if k == 0 else frame.add_paragraph()
        run = para.add_run()
        run.text = text
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.name = "Noto Sans CJK SC"
        run.font.color.rgb = RGBColor(*_rgb(colour))


def _pptx_table(slide: object, table: Table, x: float, y: float, w: float, bottom: float, size: float) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    n_rows = len(table.rows) + 1
    row_h = min(size * 2.1, (bottom - y) / n_rows)
    shape = slide.shapes.add_table(n_rows, len(table.header), Pt(x), Pt(y), Pt(w), Pt(row_h * n_rows))  # type: ignore[attr-defined]
    grid = shape.table
    widths = table.widths or [1.0] * len(table.header)
    for j, rel in enumerate(widths):
        grid.columns[j].width = Pt(w * rel / sum(widths))
    for i in range(n_rows):
        grid.rows[i].height = Pt(row_h)
    for i, row in enumerate([table.header, *table.rows]):
        for j, text in enumerate(row):
            cell = grid.cell(i, j)
            cell.text = text
            run = cell.text_frame.paragraphs[0].runs[0] if cell.text_frame.paragraphs[0].runs else None
            if run is not None:
                run.font.size = Pt(size)
                run.font.name = "Noto Sans CJK SC"
                run.font.bold = i == 0
            state = table.status[i - 1][j] if i and table.status else ""
            if i and state in style.STATUS_TINTS:
                cell.fill.solid()
                cell.fill.fore_color.rgb = RGBColor(*_rgb(style.STATUS_TINTS[state]))
            if i and table.muted and table.muted[i - 1][j] and run is not None:
                run.font.color.rgb = RGBColor(120, 120, 120)


def pptx_bytes(laid: Sequence[Page], info: PackInfo, title: str = "") -> bytes:
    """The pack as PowerPoint: one 16:9 slide per slide, text as text (editable), charts as pictures."""
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    prs = Presentation()
    prs.core_properties.title = title
    prs.slide_width, prs.slide_height = Pt(PAGE_W), Pt(PAGE_H)
    blank = prs.slide_layouts[6]
    width = PAGE_W - 2 * MARGIN
    for n, page in enumerate(laid, start=1):
        slide = prs.slides.add_slide(blank)
        _pptx_text(slide, MARGIN, 14, width, 44, [(page.title, 26, True, "#102a43")])
        _pptx_text(slide, MARGIN + 520, 22, width - 520, 30, [(page.sub, 14, False, "#334e68")])
        bottom = BODY_BOTTOM - 14 * len(page.lines)
        if page.cards:
            y = BODY_TOP
            for group, members, columns in page.cards:
                _pptx_text(slide, MARGIN, y - 6, width, 20, [(group, 12, True, "#334e68")])
                y += 16
                gap = 8.0
                cw = (width - gap * (columns - 1)) / columns
                ch = 150.0 if columns == 5 else 170.0
                for k, card in enumerate(members):
                    cx = MARGIN + k * (cw + gap)
                    rect = slide.shapes.add_shape(1, Pt(cx), Pt(y), Pt(cw), Pt(ch))
                    rect.fill.solid()
                    rect.fill.fore_color.rgb = RGBColor(*_rgb(style.STATUS_TINTS[card.status]))
                    rect.line.color.rgb = RGBColor(*_rgb(style.STATUS_COLOURS[card.status]))
                    lines = []
                    for kind, text in card_lines(card):
                        size = {"title": 11.0, "value": 20.0 if columns == 5 else 15.0, "badge": 11.0}.get(kind, 9.0)
                        colour = style.STATUS_COLOURS[card.status] if kind == "badge" else "#111111"
                        if kind == "value" and card.small_numbers:
                            colour = "#6e6e6e"
                        lines.append((text, size, kind in ("title", "value", "badge"), colour))
                    _pptx_text(slide, cx + 4, y + 2, cw - 8, ch - 4, lines)
                y += ch + 10
        if page.table is not None:
            _pptx_table(slide, page.table, MARGIN, BODY_TOP, width, bottom, 10.0 if page.kind == "scorecard" else 14.0)
        if page.image is not None:
            w, h = _image_size(page, width, bottom)
            slide.shapes.add_picture(io.BytesIO(page.image.png), Pt(MARGIN), Pt(BODY_TOP), Pt(w), Pt(h))
            if page.side_table is not None:
                sx = MARGIN + w + 20
                sw = PAGE_W - MARGIN - sx
                text_h = 18.0 * len(page.side_lines) + 20
                _pptx_text(
                    slide,
                    sx,
                    BODY_TOP,
                    sw,
                    text_h,
                    [(line, 11, k == 0, "#102a43") for k, line in enumerate(page.side_lines)],
                )
                _pptx_table(slide, page.side_table, sx, BODY_TOP + text_h + 10, sw, bottom, 11.0)
        foot = [(line, 9.5, False, "#243b53") for line in page.lines]
        foot += [(labels.t("legend_marks"), 9, False, "#486581"), (info.footer(n, len(laid)), 9, False, "#486581")]
        _pptx_text(slide, MARGIN, PAGE_H - 30 - 14 * len(foot), width, 14 * len(foot) + 10, foot)
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def pack_bytes(laid: Sequence[Page], info: PackInfo, kind: str, title: str = "") -> bytes:
    """``kind`` 'pdf' or 'pptx'."""
    return pdf_bytes(laid, info, title) if kind == "pdf" else pptx_bytes(laid, info, title)
