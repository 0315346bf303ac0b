"""The overview in a real browser: cards, matrix, period picker ↔ URL, Excel export, Chinese glyphs."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from dashboard.domain.indicators import CATALOGUE, HEADLINE
from dashboard.render.formats import indicator_short
from e2e.conftest import DOWNLOADS, shot, wait_for_app

# Han ideographs (basic + extension A + compatibility): the characters a CJK font must draw.
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CJK_FONT = re.compile(r"CJK|Source Han|WenQuanYi|Droid Sans Fallback|AR PL|YaHei|PingFang|SimHei|SimSun", re.I)
KPI_LABELS = [indicator_short(i.code) for i in HEADLINE]  # the cards carry the short names
CARD_LABELS = [indicator_short(i.code) for i in CATALOGUE] + ["新增示范点"]  # one card per target of the plan
CARDS = len(CARD_LABELS)


class TextCutOff(AssertionError):
    """A label the browser cut off with an ellipsis ."""


class ArrowMismatch(AssertionError):
    """A year-on-year change whose arrow points the wrong way ."""


def _township_names(registry_url: str) -> list[str]:
    engine = sa.create_engine(registry_url)
    try:
        with engine.connect() as conn:
            return [str(n) for n in conn.execute(sa.text("SELECT name FROM township")).scalars()]
    finally:
        engine.dispose()


def _township_count(registry_url: str) -> int:
    return len(_township_names(registry_url))


def _open_overview(page: Page, period: str = "2024") -> None:
    page.goto(f"/?period={period}")
    wait_for_app(page)


def _metric_values(page: Page) -> list[str]:
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def _url_period(page: Page) -> str | None:
    return page.evaluate("() => new URLSearchParams(location.search).get('period')")


def _assert_healthy(page: Page) -> None:
    """No Python exception, no error alert, no uncaught JavaScript error."""
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)
    page_errors = [e for e in page.console_errors if e.startswith("pageerror")]  # type: ignore[attr-defined]
    assert not page_errors, page_errors


def _assert_han_drawn_by_cjk_font(page: Page, selector: str) -> list[str]:
    """Every Han character in ``selector``'s first match is drawn by a CJK font (no tofu).

    ``document.fonts.check()`` is true for any locally installed *or missing* system font, so
    it proves nothing here; Chromium's DevTools protocol reports which platform font really
    drew how many glyphs of a node.
    """
    element = page.locator(selector).first
    han = len(HAN.findall(element.inner_text()))
    assert han, f"no Chinese text in {selector}"
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"CDP found no node for {selector}"
        # The report covers a node's own text only: add up the element and its descendants.
        inner = cdp.send("DOM.querySelectorAll", {"nodeId": node, "selector": "*"})["nodeIds"]
        fonts = [f for n in [node, *inner] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": n})["fonts"]]
    finally:
        cdp.detach()
    cjk_glyphs = sum(f["glyphCount"] for f in fonts if CJK_FONT.search(f["familyName"]))
    assert cjk_glyphs >= han, f"{selector}: {han} Han characters but fonts used {fonts} (tofu?)"
    return sorted({f["familyName"] for f in fonts})


def _assert_boxes_apart(page: Page, selector: str, expected: int) -> None:
    """The ``expected`` boxes are visible, inside the viewport's width and do not overlap."""
    boxes = [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]
    assert len(boxes) == expected, f"{selector}: {len(boxes)} boxes"
    width = page.viewport_size["width"]  # type: ignore[index]
    for i, a in enumerate(boxes):
        assert a and a["width"] > 50 and a["height"] > 30, f"card {i} collapsed: {a}"
        assert a["x"] >= 0 and a["x"] + a["width"] <= width + 1, f"card {i} outside the viewport: {a}"
        for j, b in enumerate(boxes[i + 1 :], start=i + 1):
            assert b is not None
            apart = (
                a["x"] + a["width"] <= b["x"] + 1
                or b["x"] + b["width"] <= a["x"] + 1
                or a["y"] + a["height"] <= b["y"] + 1
                or b["y"] + b["height"] <= a["y"] + 1
            )
            assert apart, f"cards {i} and {j} overlap: {a} / {b}"


# Every text line of a card inside the card's tinted box (Streamlit's negative margins once
# pushed the last line — the interval, "数量少" — out of it).
_CARD_OVERFLOW_JS = """
() => {
  const out = [];
  for (const card of document.querySelectorAll('[class*="st-key-card-"]')) {
    const box = card.getBoundingClientRect();
    for (const el of card.querySelectorAll('*')) {
      if (el.childElementCount || !el.textContent.trim()) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.bottom > box.bottom + 0.5 || r.right > box.right + 0.5 || r.left < box.left - 0.5 || r.top < box.top - 0.5)
        out.push(`${el.textContent.trim()} (${Math.round(r.bottom - box.bottom)} px below, ${Math.round(r.right - box.right)} px right)`);
    }
  }
  return out;
}
"""


def _assert_card_text_inside(page: Page) -> None:
    outside = page.evaluate(_CARD_OVERFLOW_JS)
    assert not outside, f"card text outside its box at {page.viewport_size}: {outside}"


@pytest.mark.parametrize("period", ["2024", "2024-01..2024-06"])
def test_every_card_is_whole(new_page, viewport: str, period: str) -> None:
    """Cards of every target, full year and part year (projection lines), at both sizes."""
    page: Page = new_page(viewport)
    _open_overview(page, period)
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(CARDS)
    _assert_card_text_inside(page)
    shot(page, f"overview-cards-{period.replace('..', '_')}")


def test_overview_shows_cards_matrix_and_sidebar(new_page, viewport: str, registry_url: str) -> None:
    page: Page = new_page(viewport)
    _open_overview(page, "2024")

    expect(page.locator("h1")).to_contain_text("2024年")
    metrics = page.locator('[data-testid="stMetric"]')
    expect(metrics).to_have_count(CARDS)
    for i in range(CARDS):
        expect(metrics.nth(i)).to_be_visible()
    labels = [t.strip() for t in page.locator('[data-testid="stMetricLabel"]').all_inner_texts()]
    assert labels == CARD_LABELS, labels
    expect(page.get_by_text(KPI_LABELS[0], exact=True)).to_be_visible()
    assert all(v.strip() for v in _metric_values(page)), _metric_values(page)
    _assert_boxes_apart(page, '[class*="st-key-card-"]', CARDS)
    _assert_card_text_inside(page)

    matrix = page.locator('[data-testid="stDataFrame"]')
    expect(matrix).to_have_count(1)
    expect(matrix).to_be_visible()
    # Header + county + one row per township (the grid's accessible table says how many).
    rows = matrix.locator('[role="grid"]').first.get_attribute("aria-rowcount")
    assert rows is not None and int(rows) == 2 + _township_count(registry_url), rows

    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar).to_be_visible()
    expect(sidebar.get_by_text("统计期")).to_be_visible()
    year = sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="年份").get_by_role("combobox")
    expect(year).to_be_visible()
    expect(year).to_have_value("2024")
    assert _url_period(page) == "2024"

    expect(page.get_by_role("button", name="导出 Excel", exact=True)).to_be_visible()
    _assert_healthy(page)
    # The page must not scroll sideways at either size.
    overflow = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]');"
        " return Math.max(document.documentElement.scrollWidth, m.scrollWidth) - window.innerWidth; }"
    )
    assert overflow <= 1, f"horizontal overflow of {overflow}px"

    fonts = _assert_han_drawn_by_cjk_font(page, '[data-testid="stMetricLabel"] p')
    _assert_han_drawn_by_cjk_font(page, "h1")
    _assert_han_drawn_by_cjk_font(page, '[data-testid="stSidebar"] [data-testid="stHeading"]')
    print(f"[{viewport}] KPI labels drawn with {fonts}")
    shot(page, "overview-2024")


def test_period_picker_drives_url_and_values(new_page) -> None:
    page: Page = new_page("1920x1080")
    _open_overview(page, "2024")
    before = _metric_values(page)

    year = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(has_text="年份")
    year.get_by_role("combobox").click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    choices = [t.strip() for t in options.all_inner_texts()]
    assert "2024" in choices, choices
    target = "2023" if "2023" in choices else next(c for c in choices if c != "2024")
    options.filter(has_text=re.compile(rf"^\s*{target}\s*$")).first.click()

    page.wait_for_function(
        "(p) => new URLSearchParams(location.search).get('period') === p", arg=target, timeout=30_000
    )
    wait_for_app(page)
    assert _url_period(page) == target
    expect(year.get_by_role("combobox")).to_have_value(target)
    expect(page.locator("h1")).to_contain_text(f"{target}年")
    expect(page.locator('[data-testid="stMetric"]')).to_have_count(CARDS)
    after = _metric_values(page)
    assert after != before, f"metric values did not change from 2024 to {target}: {after}"
    _assert_healthy(page)
    shot(page, f"overview-{target}-via-picker")

    # And the other way round: a deep link sets the widgets (quarter → the quarter picker).
    page.goto("/?period=2024-Q2")
    wait_for_app(page)
    assert _url_period(page) == "2024-Q2"
    expect(page.locator("h1")).to_contain_text("2024年第2季度")
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_role("radio", name="季度")).to_be_checked()
    expect(
        sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="季度").get_by_role("combobox")
    ).to_have_value(re.compile("2"))
    _assert_healthy(page)
    shot(page, "overview-2024-Q2")


def test_excel_export_downloads_the_matrix(new_page, artifacts: dict[str, Path], registry_url: str) -> None:
    page: Page = new_page("1366x768")
    _open_overview(page, "2024")
    button = page.get_by_role("button", name="导出 Excel", exact=True)
    expect(button).to_be_visible()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    assert download.failure() is None, download.failure()
    name = download.suggested_filename
    assert name.endswith(".xlsx") and "乡镇指标" in name and "2024" in name, name
    target = DOWNLOADS / name
    target.unlink(missing_ok=True)
    download.save_as(target)
    assert target.stat().st_size > 0

    workbook = openpyxl.load_workbook(target, read_only=True)
    try:
        header = [c.value for c in next(workbook.worksheets[0].iter_rows(min_row=2, max_row=2))]
        assert header[:2] == ["代码", "乡镇"] and "出生率（‰）" in header and "出生率 状态" in header, header
        cells = {v for row in workbook.worksheets[0].iter_rows(values_only=True) for v in row if isinstance(v, str)}
        missing = [n for n in _township_names(registry_url) if n not in cells]
        assert not missing, f"townships missing from the export: {missing}"
    finally:
        workbook.close()
    wait_for_app(page)
    _assert_healthy(page)


def test_an_english_session_downloads_an_english_workbook(new_page) -> None:
    """?lang=en: the file is built in the download's thread, yet speaks the session's language:
    English headers, status words, title row and notes sheet."""
    page: Page = new_page("1920x1080")
    page.goto("/?period=2024&lang=en")
    wait_for_app(page)
    button = page.get_by_role("button", name="Export Excel", exact=True)
    with page.expect_download(timeout=60_000) as info:
        button.click()
    target = DOWNLOADS / f"en-{info.value.suggested_filename}"
    info.value.save_as(target)
    workbook = openpyxl.load_workbook(target)
    try:
        assert workbook.sheetnames[1] == "Notes", workbook.sheetnames
        sheet = workbook.worksheets[0]
        header = [c.value for c in sheet[2]]
        assert header[:2] == ["Code", "Township"], header
        title = str(sheet.cell(1, 1).value)
        assert "data as of" in title and not re.search(r"[\u4e00-\u9fff]", title.replace("景东", "")), title
        statuses = {sheet.cell(r, header.index("Birth rate status") + 1).value for r in range(3, sheet.max_row + 1)}
        assert statuses and all(re.search(r"[A-Za-z]", str(v)) for v in statuses), statuses
    finally:
        workbook.close()
    wait_for_app(page)


# Texts that the browser cut off (ellipsis or clipped overflow). ``scrollWidth`` is rounded
# to whole pixels and misses a text 0.6 px too wide, which Chromium still ends in '…':
# compare the text's own layout width with its box instead.
_CUT_OFF_JS = """
() => Array.from(document.querySelectorAll('[data-testid="stMain"] *, [data-testid="stSidebar"] *'))
  .filter((el) => {
    const css = getComputedStyle(el);
    if (css.textOverflow !== 'ellipsis' && !(el.children.length === 0 && css.overflowX !== 'visible')) return false;
    if (!el.innerText.trim() || el.getClientRects().length === 0) return false;
    const text = document.createRange();
    text.selectNodeContents(el);
    return text.getBoundingClientRect().width > el.getBoundingClientRect().width + 0.1
      || el.scrollWidth > el.clientWidth;
  })
  .map((el) => `${el.closest('[data-testid]')?.getAttribute('data-testid')}: ${el.innerText.trim()}`)
"""


@pytest.mark.parametrize("size", ["1920x1080", "1366x768"])
def test_no_text_is_cut_off(new_page, size: str) -> None:
    """A meeting projector (1366 × 768) must show every card title, change and button in full."""
    page: Page = new_page(size)
    _open_overview(page, "2024")
    cut = page.evaluate(_CUT_OFF_JS)
    if cut:
        raise TextCutOff(f"texts cut off at {size}: {cut}")


_SIGNED = re.compile(r"([+\-\u2212]?)\s*(\d[\d,]*(?:\.\d+)?)")


def test_change_arrows_follow_the_sign(new_page) -> None:
    """A fall in a KPI is drawn with a down arrow, a rise with an up arrow."""
    page: Page = new_page("1920x1080")
    seen: list[tuple[str, str, str]] = []
    for period in ("2024", "2023", "2024-Q2"):
        _open_overview(page, period)
        deltas = page.locator('[data-testid="stMetricDelta"]')
        for i in range(deltas.count()):
            delta = deltas.nth(i)
            text = delta.inner_text().strip()
            match = _SIGNED.search(text)
            assert match, f"no number in the change {text!r}"
            if float(match.group(2).replace(",", "")) == 0:
                continue
            sign = "down" if match.group(1) in ("-", "\u2212") else "up"
            arrow = (
                "up"
                if delta.locator('[data-testid="stMetricDeltaIcon-Up"]').count()
                else "down"
                if delta.locator('[data-testid="stMetricDeltaIcon-Down"]').count()
                else "none"
            )
            seen.append((period, text, f"{sign}/{arrow}"))
    if not any(s.startswith("down/") for _, _, s in seen):
        pytest.skip(f"no falling KPI in this registry, nothing to check: {seen}")
    wrong = [x for x in seen if x[2].split("/")[0] != x[2].split("/")[1]]
    if wrong:
        raise ArrowMismatch(f"arrows against the sign (period, text, sign/arrow): {wrong}")
