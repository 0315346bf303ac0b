"""The meeting pack on the hand-counted county: the PDF (a page per slide, rendered by
poppler, its text holding every township and every value the deck shows) and the PowerPoint
(reopened: a slide per slide, the deck's texts), both from the one deck model."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image
from pptx import Presentation

from dashboard import labels
from dashboard.app.sources import meeting_deck, open_registry, open_store_url
from dashboard.domain.periods import parse_period
from dashboard.render import formats, pack
from dashboard.views import meeting
from data_access import config

MADE = datetime(2025, 1, 15, 9, 30)


@pytest.fixture(scope="module")
def deck(registry_url: str) -> meeting.MeetingDeck:
    labels.set_language("zh")
    store = open_store_url(config.summary_url(registry_url))  # the summaries, as the page reads them
    return meeting_deck(open_registry(registry_url), store, parse_period("2024"))


def deck_texts(deck: meeting.MeetingDeck) -> list[str]:
    """Every value and name the deck's slides show as text (charts aside)."""
    assert deck.scorecard is not None and deck.laggards is not None and deck.map is not None
    texts = [deck.title]
    for card in deck.cards:
        texts += [card.title, card.value_text, card.badge]
    texts += [str(v) for v in deck.scorecard.text.to_numpy().ravel() if str(v)]
    texts += [str(v) for v in deck.laggards.to_numpy().ravel()]
    texts += [str(v) for v in deck.map.side.to_numpy().ravel()]
    return texts


def _pdf_form(text: str) -> str:
    """A text as the PDF writes it (✔ ✖ as the CJK font's own ✓ ×)."""
    return text.translate(pack.PDF_SYMBOLS)


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_pdf_has_a_page_per_slide_with_every_township_and_value(deck, tmp_path: Path) -> None:
    pdf = meeting.pack_file(deck, "pdf", MADE)
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))) == len(meeting.SLIDES)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "page")], check=True)
    shots = sorted(tmp_path.glob("page-*.png"))
    assert len(shots) == len(meeting.SLIDES)
    for shot in shots:  # drawn, not blank
        colours = Image.open(shot).convert("RGB").getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 20, shot
    pages = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    per_page = pages.stdout.split("\f")[: len(meeting.SLIDES)]
    whole = " ".join(" ".join(p.split()) for p in per_page)
    for text in deck_texts(deck):
        assert " ".join(_pdf_form(text).split()) in whole, text
    for n, page in enumerate(per_page, start=1):
        flat = " ".join(page.split())
        assert labels.t(f"meeting_slide_{meeting.SLIDES[n - 1]}") in flat
        assert formats.period_words(deck.period) in flat  # the period,
        assert f"数据截至 {deck.as_of}" in flat  # the data's date,
        assert "生成于 2025-01-15 09:30" in flat  # when it was made,
        assert "数量少，仅供参考" in flat  # and the small-numbers legend on every page
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "NotoSansCJK" in fonts and all(" yes " in line for line in fonts.splitlines()[2:] if line.strip())


def test_pptx_reopens_with_a_slide_per_slide_and_the_decks_texts(deck) -> None:
    data = meeting.pack_file(deck, "pptx", MADE)
    prs = Presentation(io.BytesIO(data))
    assert len(prs.slides) == len(meeting.SLIDES)
    slide_texts = []
    for slide in prs.slides:
        texts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts += [p.text for p in shape.text_frame.paragraphs]
            if shape.has_table:
                texts += [cell.text for row in shape.table.rows for cell in row.cells]
        slide_texts.append(texts)
    everything = [t for texts in slide_texts for t in texts]
    for text in deck_texts(deck):
        assert text in everything or any(text in t for t in everything), text
    for n, texts in enumerate(slide_texts, start=1):
        assert texts[0] == labels.t(f"meeting_slide_{meeting.SLIDES[n - 1]}")
        footer = next(t for t in texts if "生成于" in t)
        assert formats.period_words(deck.period) in footer and deck.as_of in footer
        assert labels.t("legend_marks") in texts
    pictures = [s for slide in prs.slides for s in slide.shapes if s.shape_type == 13]
    assert len(pictures) == 2  # the ranking chart and the map, drawn offline


def test_pack_pages_follow_the_deck(deck) -> None:
    laid = meeting.pack_pages(deck)
    assert [p.kind for p in laid] == list(meeting.SLIDES)
    ranking, drawn = laid[2], laid[3]
    assert ranking.image is not None and ranking.image.png.startswith(b"\x89PNG")
    assert drawn.image is not None and drawn.side_lines[0] == deck.map.rule  # type: ignore[union-attr]


def test_a_missing_cjk_font_is_one_line(deck, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pack, "CJK_FONTS", (("/nonexistent/a.ttc", "/nonexistent/b.ttc"),))
    with pytest.raises(pack.PackError) as err:
        meeting.pack_file(deck, "pdf", MADE)
    assert "fonts-noto-cjk" in formats.message(err.value) and "\n" not in formats.message(err.value)
