"""The 通报 downloaded from the ranking page in a real browser: the file is built on the click,
opens as a Word document, ranks the townships as the engine does, and is written in the
session's language (the build runs outside the page's thread)."""

from __future__ import annotations

import docx
import pytest
from playwright.sync_api import Page

from dashboard.app.sources import indicator_report, open_registry
from dashboard.domain.periods import parse_period
from e2e.conftest import download, wait_for_app

PERIOD = "2024"


def _download(page: Page, name: str) -> docx.document.Document:
    target = download(page, name)
    assert target.suffix == ".docx", target.name
    return docx.Document(str(target))


@pytest.mark.parametrize(
    ("lang", "button", "title"),
    [("zh", "下载通报 (.docx)", "景东彝族自治县2024年"), ("en", "Download bulletin (.docx)", "Jingdong")],
)
def test_ranking_page_bulletin_download(new_page, registry_url: str, lang: str, button: str, title: str) -> None:
    page: Page = new_page("1920x1080")
    page.goto(f"/ranking?period={PERIOD}&lang={lang}")
    wait_for_app(page)
    document = _download(page, button)
    assert document.paragraphs[0].text.startswith(title)
    live = indicator_report(open_registry(registry_url), parse_period(PERIOD), "township")
    ranking = next(t for t in document.tables if len(t.columns) >= 8)  # the score table
    assert [r.cells[1].text for r in ranking.rows[1:]] == list(live.assessment["name"])
    footer = " ".join(p.text for p in document.sections[0].footer.paragraphs)
    assert "2024-12-31" in footer
    wait_for_app(page)
    assert page.locator('[data-testid="stException"]').count() == 0
