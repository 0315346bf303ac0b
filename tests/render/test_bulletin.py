"""The 通报 reopened with python-docx: the headings, the ranking table in the ranking's order,
every missed target with value and target, the header and footer of every page, the fonts."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import Cm
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from dashboard import labels
from dashboard.render import bulletin as render
from dashboard.views import bulletin
from tests.views.test_bulletin import model


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    """Chinese for each test, and again after it (an English test must not leak)."""
    labels.set_language("zh")
    yield
    labels.set_language("zh")


def reopen(data: bytes) -> DocxDocument:
    return docx.Document(io.BytesIO(data))


def body(document: DocxDocument) -> list[DocxParagraph | DocxTable]:
    """Paragraphs and tables in reading order."""
    out: list[DocxParagraph | DocxTable] = []
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            out.append(DocxParagraph(element, document))
        elif element.tag == qn("w:tbl"):
            out.append(DocxTable(element, document))
    return out


def rows(table: DocxTable) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def after(blocks: list[DocxParagraph | DocxTable], text: str) -> DocxTable:
    """The first table after the paragraph that starts with ``text``."""
    start = next(i for i, b in enumerate(blocks) if isinstance(b, DocxParagraph) and b.text.startswith(text))
    return next(b for b in blocks[start:] if isinstance(b, DocxTable))


SAMPLE = render.Document(
    title="标题",
    subtitle="（统计期）",
    header="页眉 2024年",
    footer="数据截至 2024-02-29　生成时间 2024-03-15 09:30",
    sections=(
        render.Section(
            "一、表格",
            (
                render.Table(
                    ("排名", "乡镇", "未达标"), (("1", "甲镇", "出生率、自然增长率、计划生育率 ?、长效节育率"),)
                ),
            ),
        ),
    ),
    page_template="第 {page} 页 共 {pages} 页",
)


def test_title_headings_and_sections_in_order() -> None:
    got, _, _ = model(with_services=True)
    document = reopen(bulletin.docx_bytes(got))
    paragraphs = [p for p in body(document) if isinstance(p, DocxParagraph)]
    assert paragraphs[0].text == got.title and paragraphs[0].style.name == render.STYLE_TITLE
    assert paragraphs[0].style.paragraph_format.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert paragraphs[1].text == got.subtitle and "2023-01-01" in got.subtitle
    headings = [p.text for p in paragraphs if p.style.name == render.STYLE_HEADING]
    assert headings == [s.heading for s in bulletin.document(got).sections]
    assert [h.split("、")[0] for h in headings] == ["一", "二", "三", "四", "五", "六"]
    assert document.core_properties.title == got.title


def test_ranking_table_rows_are_in_the_rankings_order() -> None:
    got, _, _ = model(with_services=True)
    blocks = body(reopen(bulletin.docx_bytes(got)))
    table = rows(after(blocks, "二、"))
    assert table[0] == [str(c) for c in got.ranking.columns]
    shown = [r[1] for r in table[1:]]
    assert shown == list(got.ranking[labels.t("township")]) == ["镇1", "镇4", "镇3", "镇2"]
    assert [r for r in table[1:]] == [[str(v) for v in row] for row in got.ranking.itertuples(index=False)]


def test_every_missed_target_is_listed_with_value_and_target() -> None:
    got, _, _ = model(with_services=True)
    blocks = body(reopen(bulletin.docx_bytes(got)))
    for i, unit in enumerate(got.missed, start=1):
        heading = f"（{bulletin.numeral(i)}）{unit.name}："
        if not unit.missed:
            start = next(j for j, b in enumerate(blocks) if isinstance(b, DocxParagraph) and b.text.startswith(heading))
            assert blocks[start + 1].text == labels.t("bulletin_no_misses")  # type: ignore[union-attr]
            continue
        table = rows(after(blocks, heading))
        listed = {r[0]: r for r in table[1:]}
        assert len(table) - 1 == len(unit.missed)
        for m in unit.missed:
            assert listed[m.name][1] == m.value_text and m.target_text in listed[m.name]
    sex_ratio = rows(after(blocks, "（三）镇3："))
    assert any(r[1].endswith(" ?") for r in sex_ratio[1:])  # the small-numbers mark survives


def test_header_and_footer_carry_period_data_as_of_and_generation_time() -> None:
    got, _, _ = model()
    document = reopen(bulletin.docx_bytes(got))
    assert len(document.sections) == 1 and not document.sections[0].different_first_page_header_footer
    section = document.sections[0]
    header = " ".join(p.text for p in section.header.paragraphs)
    footer = " ".join(p.text for p in section.footer.paragraphs)
    frame = header + " " + footer
    assert got.period_words in frame and got.as_of.isoformat() in frame
    assert got.generated_at.strftime("%Y-%m-%d %H:%M") in frame
    fields = section.footer._element.findall(".//" + qn("w:fldSimple"))
    assert [f.get(qn("w:instr")).strip() for f in fields] == ["PAGE", "NUMPAGES"]


def test_east_asian_fonts_are_named_and_no_theme_font_overrides_them() -> None:
    document = reopen(render.to_docx_bytes(SAMPLE))
    styles = document.styles

    def east_asia(style_name: str) -> str | None:
        fonts = styles[style_name].element.rPr.find(qn("w:rFonts"))
        return fonts.get(qn("w:eastAsia"))

    assert east_asia(render.STYLE_BODY) == render.BODY_FONT == "FangSong"
    assert east_asia(render.STYLE_TITLE) == east_asia(render.STYLE_HEADING) == "SimHei"
    assert east_asia(render.STYLE_SUBHEADING) == "KaiTi" and east_asia(render.STYLE_TABLE) == "SimSun"
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = defaults.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "FangSong" and fonts.get(qn("w:eastAsiaTheme")) is None
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"


def test_a4_page_tables_repeat_their_header_row_and_fit_the_text_width() -> None:
    document = reopen(render.to_docx_bytes(SAMPLE))
    section = document.sections[0]
    assert abs(section.page_width - Cm(21.0)) < Cm(0.01) and abs(section.page_height - Cm(29.7)) < Cm(0.01)
    table = document.tables[0]
    first = table.rows[0]._tr.trPr
    assert first.find(qn("w:tblHeader")) is not None and first.find(qn("w:cantSplit")) is not None
    assert table.rows[1]._tr.trPr.find(qn("w:tblHeader")) is None
    widths = render.column_widths(render.Table(("排名", "乡镇", "未达标"), (("1", "甲镇", "出生率、自然增长率"),)))
    assert sum(widths) == pytest.approx(render.TEXT_WIDTH_CM) and widths[2] > widths[0]
    cells = table.rows[1].cells
    assert cells[2].paragraphs[0].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.LEFT  # long text
    assert cells[0].paragraphs[0].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    footer = " ".join(p.text for p in section.footer.paragraphs)
    assert "第  页 共  页" in footer  # the numbers are fields the reader's program fills in


def test_the_generation_time_is_the_files_own() -> None:
    when = datetime(2024, 3, 15, 9, 30)
    document = reopen(render.to_docx_bytes(render.Document("t", "s", "h", "f", (), generated_at=when)))
    assert document.core_properties.created == when.astimezone(UTC)  # local time, stored as UTC
