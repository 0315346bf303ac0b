"""The 通报 as a Word file: ``Document → bytes`` with python-docx (no Streamlit here).

The plain style a county office circulates, after GB/T 9704 (公文格式) simplified: A4 with the
standard margins; a centred title in a bold sans (黑体 SimHei); under it a line with the period;
an addressee line, numbered sections in SimHei, sub-headings in 楷体 KaiTi, body text in 仿宋
FangSong at 三号 (16 pt) with a two-character first-line indent; tables in 宋体 SimSun with a
header row repeated on every page and rows kept whole; and on every page a header (title and
period) and a footer (period, data as of, generated at, page x of y).

Fonts are named, not embedded: FangSong, SimHei, KaiTi and SimSun ship with every Chinese
Windows since Vista and with WPS; the names are written in ``w:eastAsia`` (with the theme fonts
removed, which would otherwise win) and Times New Roman for Latin letters and digits. Where a
font is missing, Word substitutes by the font table's GB2312 charset and LibreOffice through
fontconfig (e.g. Noto Serif/Sans CJK SC); nothing is downloaded.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from docx import Document as new_document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.font import CT_RPr
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml import etree

MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# --------------------------------------------------------------------------- the content


@dataclass(frozen=True)
class Paragraph:
    """A paragraph; ``kind``: 'body' (indented), 'subheading', 'note' (smaller), 'addressee'
    (flush left) or 'signature' (right-aligned)."""

    text: str
    kind: str = "body"


@dataclass(frozen=True)
class Table:
    """A plain table: every cell is the text the reader sees."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Paragraph | Table


@dataclass(frozen=True)
class Section:
    """A numbered section: its heading (with the number) and what follows it."""

    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Document:
    """Everything the file says, already in words; the renderer only lays it out."""

    title: str
    subtitle: str  # the 文号-like line with the period
    header: str  # on every page
    footer: str  # on every page, before the page number
    sections: tuple[Section, ...]
    opening: tuple[Paragraph, ...] = ()
    closing: tuple[Paragraph, ...] = ()
    author: str = ""
    generated_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    language: str = "zh"  # 'zh' or 'en': type sizes and the file's language
    page_template: str = "{page} / {pages}"  # the page number line: '第 {page} 页 共 {pages} 页'


# --------------------------------------------------------------------------- typography

LATIN = "Times New Roman"
# English family names of 仿宋, 黑体, 楷体, 宋体 (Word and fontconfig know both names).
BODY_FONT = "FangSong"
HEADING_FONT = "SimHei"
SUBHEADING_FONT = "KaiTi"
TABLE_FONT = "SimSun"
CJK_FONTS = (BODY_FONT, HEADING_FONT, SUBHEADING_FONT, TABLE_FONT)

PAGE_WIDTH, PAGE_HEIGHT = Cm(21.0), Cm(29.7)
MARGINS = {"top": Cm(3.7), "bottom": Cm(3.5), "left": Cm(2.8), "right": Cm(2.6)}  # GB/T 9704
TEXT_WIDTH_CM = 21.0 - 2.8 - 2.6

STYLE_TITLE = "Bulletin Title"
STYLE_SUBTITLE = "Bulletin Subtitle"
STYLE_HEADING = "Bulletin Heading"
STYLE_SUBHEADING = "Bulletin Subheading"
STYLE_BODY = "Bulletin Body"
STYLE_PLAIN = "Bulletin Plain"  # addressee, signature: no indent
STYLE_NOTE = "Bulletin Note"
STYLE_TABLE = "Bulletin Table"
STYLE_PAGE = "Bulletin Page"  # header and footer


@dataclass(frozen=True)
class _Sizes:
    title: float
    heading: float
    body: float
    note: float
    table: float
    page: float
    line: float  # exact line spacing of body text


# 二号 22 pt title, 三号 16 pt text (公文); English reads better a size smaller.
SIZES = {
    "zh": _Sizes(title=22, heading=16, body=16, note=12, table=10.5, page=9, line=28),
    "en": _Sizes(title=18, heading=14, body=12, note=10, table=9.5, page=8.5, line=18),
}
WIDE_TABLE = 8  # columns from which a table is set smaller rather than wrapped
SMALLEST_TABLE_PT = 7.5
PT_CM = 2.54 / 72
CELL_MARGIN_CM = 0.08


def _set_fonts(rpr: CT_RPr, east_asia: str, size: float | None = None, bold: bool | None = None) -> None:
    """Latin and East Asian font names (and size, weight) on a run-properties element, with
    the theme-font attributes removed — Word prefers a theme font over a named one. Elements
    go where the schema puts them (python-docx's own insertion order)."""
    fonts = rpr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for name in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(name), LATIN)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")  # quotes and dashes in the East Asian font
    if bold is not None:
        rpr._remove_b()
        rpr._remove_bCs()
        if bold:
            rpr.get_or_add_b()
            rpr.get_or_add_bCs()
    if size is not None:
        half_points = str(int(round(size * 2)))
        sz = rpr.get_or_add_sz()
        sz.set(qn("w:val"), half_points)
        complex_size = rpr.find(qn("w:szCs"))
        if complex_size is None:
            complex_size = OxmlElement("w:szCs")
            sz.addnext(complex_size)
        complex_size.set(qn("w:val"), half_points)


def _language(rpr: CT_RPr) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)  # the last element the run properties here carry
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    lang.set(qn("w:bidi"), "ar-SA")


def _defaults(doc: DocxDocument, sizes: _Sizes) -> None:
    """Document-wide run defaults: the body fonts, Chinese as the East Asian language."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr, BODY_FONT, sizes.body)
    _language(rpr)
    normal = doc.styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr(), BODY_FONT, sizes.body)
    normal.font.color.rgb = RGBColor(0, 0, 0)


def _paragraph_style(
    doc: DocxDocument,
    name: str,
    east_asia: str,
    size: float,
    *,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent_chars: float = 0,
    before: float = 0,
    after: float = 0,
    line: float | None = None,
    outline: int | None = None,
    keep_with_next: bool = False,
) -> ParagraphStyle:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    assert isinstance(style, ParagraphStyle)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    _set_fonts(style.element.get_or_add_rPr(), east_asia, size, bold)
    fmt = style.paragraph_format
    if align is not None:
        fmt.alignment = align
    fmt.first_line_indent = Pt(size * indent_chars) if indent_chars else Pt(0)
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if line is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    fmt.keep_with_next = keep_with_next
    fmt.widow_control = True
    if outline is not None:  # shows in Word's navigation pane and table of contents
        level = OxmlElement("w:outlineLvl")
        level.set(qn("w:val"), str(outline))
        style.element.get_or_add_pPr().append(level)
    return style


def _styles(doc: DocxDocument, sizes: _Sizes) -> None:
    centre, right = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT
    _paragraph_style(
        doc, STYLE_TITLE, HEADING_FONT, sizes.title, bold=True, align=centre, after=6, outline=0, keep_with_next=True
    )
    _paragraph_style(doc, STYLE_SUBTITLE, SUBHEADING_FONT, sizes.body, align=centre, after=18, keep_with_next=True)
    _paragraph_style(
        doc, STYLE_HEADING, HEADING_FONT, sizes.heading, before=8, after=4, line=sizes.line, outline=1,
        keep_with_next=True,
    )  # fmt: skip
    _paragraph_style(
        doc, STYLE_SUBHEADING, SUBHEADING_FONT, sizes.body, indent_chars=2, before=4, after=2, line=sizes.line,
        outline=2, keep_with_next=True,
    )  # fmt: skip
    _paragraph_style(doc, STYLE_BODY, BODY_FONT, sizes.body, indent_chars=2, line=sizes.line)
    _paragraph_style(doc, STYLE_PLAIN, BODY_FONT, sizes.body, line=sizes.line)
    _paragraph_style(doc, STYLE_NOTE, BODY_FONT, sizes.note, indent_chars=2, before=2, after=2)
    _paragraph_style(doc, STYLE_TABLE, TABLE_FONT, sizes.table)
    _paragraph_style(doc, STYLE_PAGE, TABLE_FONT, sizes.page, align=centre)
    signature = _paragraph_style(doc, "Bulletin Signature", BODY_FONT, sizes.body, align=right, line=sizes.line)
    signature.paragraph_format.right_indent = Pt(sizes.body * 2)


def _font_table(doc: DocxDocument) -> None:
    """Name the Chinese fonts in the font table as GB2312 fonts, so that a Word without one of
    them substitutes a Chinese font rather than a Latin one."""
    part = next((rel.target_part for rel in doc.part.rels.values() if rel.reltype.endswith("/fontTable")), None)
    if part is None:
        return
    root = etree.fromstring(part.blob)
    known = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name in CJK_FONTS:
        if name in known:
            continue
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        for tag, value in (("w:charset", "86"), ("w:family", "modern" if name != HEADING_FONT else "swiss")):
            el = etree.SubElement(font, qn(tag))
            el.set(qn("w:val"), value)
        pitch = etree.SubElement(font, qn("w:pitch"))
        pitch.set(qn("w:val"), "fixed" if name != HEADING_FONT else "variable")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# --------------------------------------------------------------------------- page frame


def _field(paragraph: DocxParagraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that the reader's program fills in."""
    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    simple.append(run)
    paragraph._p.append(simple)


def _rule(paragraph: DocxParagraph, side: str) -> None:
    """A thin line above or below a paragraph (the header's and footer's rule)."""
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    edge = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        edge.set(qn(key), value)
    border.append(edge)
    ppr.append(border)


_PAGE_FIELDS = {"{page}": "PAGE", "{pages}": "NUMPAGES"}


def _page_frame(doc: DocxDocument, content: Document) -> None:
    """A4, the margins, and the header and footer of every page."""
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGINS["top"], MARGINS["bottom"]
    section.left_margin, section.right_margin = MARGINS["left"], MARGINS["right"]
    section.header_distance, section.footer_distance = Cm(1.8), Cm(1.6)
    section.different_first_page_header_footer = False
    header = section.header
    header.is_linked_to_previous = False
    top = header.paragraphs[0]
    top.text = content.header
    top.style = doc.styles[STYLE_PAGE]
    _rule(top, "bottom")
    footer = section.footer
    footer.is_linked_to_previous = False
    line = footer.paragraphs[0]
    line.text = content.footer
    line.style = doc.styles[STYLE_PAGE]
    _rule(line, "top")
    numbers = footer.add_paragraph(style=doc.styles[STYLE_PAGE])
    for part in re.split(r"(\{pages?\})", content.page_template):
        if part in _PAGE_FIELDS:
            _field(numbers, _PAGE_FIELDS[part])
        elif part:
            numbers.add_run(part)


# --------------------------------------------------------------------------- tables


def _display_width(text: str) -> int:
    """Half-ems a text takes: a Chinese character counts two, so do the status symbols and
    arrows (drawn from a symbol font, about an em wide); Latin letters and digits one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" or "\u2190" <= ch <= "\u27bf" else 1 for ch in text)


def _units(table: Table) -> list[int]:
    """Each column's longest line in half-ems: headers wrap past six characters, cells past
    twenty; none narrower than two characters."""
    out = []
    for i, header in enumerate(table.columns):
        cells = [_display_width(row[i]) for row in table.rows] or [0]
        out.append(max(min(_display_width(header), 12), min(max(cells), 40), 4))
    return out


def fit(table: Table, size_pt: float, *, shrink: bool, total_cm: float = TEXT_WIDTH_CM) -> tuple[float, list[float]]:
    """The type size and the column widths (cm, filling the text width) for ``table``.

    A wide table (``shrink``) is set smaller, down to 7.5 pt, until every column's longest
    line fits on one line. Otherwise, when the lines do not fit, the columns of long text
    (more than eight characters) give up width and wrap; short cells — values, status words
    — keep theirs. Spare width is shared in proportion.
    """
    units = _units(table)

    def natural(size: float) -> list[float]:
        return [u * size * PT_CM / 2 + 2 * CELL_MARGIN_CM for u in units]

    size = size_pt
    while shrink and sum(natural(size)) > total_cm and size > SMALLEST_TABLE_PT:
        size -= 0.5
    widths = natural(size)
    if sum(widths) > total_cm:
        long = [u > 16 for u in units]
        fixed = sum(w for w, is_long in zip(widths, long) if not is_long)
        flexible = sum(w for w, is_long in zip(widths, long) if is_long)
        room = total_cm - fixed
        if flexible and room >= 1.5 * sum(long):  # the long columns take what is left
            widths = [w * room / flexible if is_long else w for w, is_long in zip(widths, long)]
    scale = total_cm / sum(widths)
    return size, [w * scale for w in widths]


def column_widths(table: Table, size_pt: float = 10.5, *, shrink: bool = False) -> list[float]:
    """The column widths (cm) :func:`fit` gives ``table`` at ``size_pt``."""
    return fit(table, size_pt, shrink=shrink)[1]


def _cell_margins(table: DocxTable) -> None:
    """Narrow left and right cell margins (Word's default 0.19 cm wastes a wide table's width)."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(round(CELL_MARGIN_CM / 2.54 * 1440)))
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    properties = table._tbl.tblPr
    look = properties.find(qn("w:tblLook"))  # the schema puts the margins before it
    if look is not None:
        look.addprevious(margins)
    else:
        properties.append(margins)


def _repeat_header(row_element: object) -> None:
    trpr = row_element.get_or_add_trPr()  # type: ignore[attr-defined]
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    trpr.append(header)


def _keep_whole(row_element: object) -> None:
    trpr = row_element.get_or_add_trPr()  # type: ignore[attr-defined]
    trpr.append(OxmlElement("w:cantSplit"))


def _shade(cell: object, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tcpr.append(shading)


def _table(doc: DocxDocument, table: Table, sizes: _Sizes) -> DocxTable:
    """A grid table: bold, lightly shaded header row repeated on every page, rows kept whole,
    short columns centred, long ones left-aligned."""
    out = doc.add_table(rows=1, cols=len(table.columns))
    out.style = doc.styles["Table Grid"]
    out.alignment = WD_TABLE_ALIGNMENT.CENTER
    out.autofit = False
    size, widths = fit(table, sizes.table, shrink=len(table.columns) >= WIDE_TABLE)
    _cell_margins(out)
    long_column = [any(_display_width(r[i]) > 16 for r in table.rows) for i in range(len(table.columns))]

    def fill(cell: object, text: str, *, bold: bool, left: bool) -> None:
        paragraph = cell.paragraphs[0]  # type: ignore[attr-defined]
        paragraph.style = doc.styles[STYLE_TABLE]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(text)
        run.font.size = Pt(size)
        run.bold = bold
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER  # type: ignore[attr-defined]

    head = out.rows[0]
    _repeat_header(head._tr)
    _keep_whole(head._tr)
    for i, (cell, title) in enumerate(zip(head.cells, table.columns)):
        cell.width = Cm(widths[i])
        _shade(cell, "D9D9D9")  # before fill(): the schema puts w:shd before w:vAlign
        fill(cell, title, bold=True, left=False)
    for values in table.rows:
        row = out.add_row()
        _keep_whole(row._tr)
        for i, (cell, text) in enumerate(zip(row.cells, values)):
            cell.width = Cm(widths[i])
            fill(cell, text, bold=False, left=long_column[i])
    for i, column in enumerate(out.columns):
        column.width = Cm(widths[i])
    return out


# --------------------------------------------------------------------------- the document

_KIND_STYLE = {
    "body": STYLE_BODY,
    "subheading": STYLE_SUBHEADING,
    "note": STYLE_NOTE,
    "addressee": STYLE_PLAIN,
    "signature": "Bulletin Signature",
}


def _paragraph(doc: DocxDocument, block: Paragraph) -> None:
    doc.add_paragraph(block.text, style=doc.styles[_KIND_STYLE[block.kind]])


def to_docx(content: Document) -> DocxDocument:
    """The laid-out Word document (python-docx object; :func:`to_docx_bytes` saves it)."""
    sizes = SIZES.get(content.language, SIZES["zh"])
    doc = new_document()
    _defaults(doc, sizes)
    _styles(doc, sizes)
    _font_table(doc)
    _page_frame(doc, content)
    body = doc.paragraphs[0] if doc.paragraphs else None
    if body is not None and not body.text:  # the template's empty first paragraph
        body._p.getparent().remove(body._p)
    doc.add_paragraph(content.title, style=doc.styles[STYLE_TITLE])
    doc.add_paragraph(content.subtitle, style=doc.styles[STYLE_SUBTITLE])
    for block in content.opening:
        _paragraph(doc, block)
    for section in content.sections:
        doc.add_paragraph(section.heading, style=doc.styles[STYLE_HEADING])
        for item in section.blocks:
            if isinstance(item, Table):
                _table(doc, item, sizes)
                doc.add_paragraph("", style=doc.styles[STYLE_NOTE])  # air after the table
            else:
                _paragraph(doc, item)
    for block in content.closing:
        _paragraph(doc, block)
    props = doc.core_properties
    props.title = content.title
    props.subject = content.subtitle
    props.author = content.author
    props.last_modified_by = content.author
    # Core properties are UTC; the generation time is the local clock's.
    props.created = props.modified = content.generated_at.astimezone(UTC).replace(tzinfo=None)
    props.language = "en-US" if content.language == "en" else "zh-CN"
    props.revision = 1
    return doc


def to_docx_bytes(content: Document) -> bytes:
    """The .docx file of ``content``."""
    buffer = io.BytesIO()
    to_docx(content).save(buffer)
    return buffer.getvalue()
