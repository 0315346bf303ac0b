"""AppTest of the meeting deck on the hand-counted county (甲镇, 乙乡): what each slide shows
equals what the engine computes, the charts are SVG with their words in them, the clicker
keys are wired to next / previous / leave, and a refresh's new summaries are shown once the
deck is built for them."""

from __future__ import annotations

import io
import json
import re

from streamlit.testing.v1 import AppTest

from dashboard.app import cache, loaders
from dashboard.app.sources import indicator_report, open_registry
from dashboard.domain import indicators as ind
from dashboard.domain.periods import parse_period
from dashboard.render import formats, style
from dashboard.views import meeting
from tests.app.test_pages import open_page

SVG_TEXT = re.compile(r"<text[^>]*>(.*?)</text>", re.S)


def _slide(app: AppTest, index: int) -> str:
    """The HTML of slide ``index`` (0-based), reached with the next button from the first."""
    for _ in range(index):
        app.button(key="meeting-next").click().run()
        assert not app.exception, [e.value for e in app.exception]
    html = " ".join(m.value for m in app.markdown)
    assert labels_title(index) in html
    return html


def labels_title(index: int) -> str:
    from dashboard import labels

    return labels.t(f"meeting_slide_{meeting.SLIDES[index]}")


def _svg_words(html: str) -> str:
    svg = html[html.index("<svg") : html.index("</svg>")]
    return " ".join(re.sub(r"<[^>]+>", "\n", t) for t in SVG_TEXT.findall(svg))


def test_targets_slide_shows_every_county_value_and_the_data_date(app: AppTest, registry_url: str) -> None:
    open_page(app, "pages/meeting.py", period="2024")
    html = _slide(app, 0)
    county = indicator_report(open_registry(registry_url), parse_period("2024"), "county").result
    for row in county.itertuples():
        assert formats.fmt_value(row.value, ind.get(row.indicator)) in html
    assert "数据截至 2024-12-31" in html and "第 1 / 5 页" in html


def test_ranking_slide_is_an_svg_chart_with_every_township_and_score(app: AppTest, registry_url: str) -> None:
    open_page(app, "pages/meeting.py", period="2024")
    html = _slide(app, 2)
    words = _svg_words(html)
    scored = indicator_report(open_registry(registry_url), parse_period("2024"), "township").assessment
    for row in scored.itertuples():
        assert f"{row.rank}. {row.name}" in words
        assert f"{row.score:.1f}" in words
    assert "一票否决" in words  # 甲镇 is vetoed: said on the bar, not only by its colour
    assert not app.get("vega_lite_chart")  # drawn on the server, not by the browser


def test_map_slide_labels_each_township_with_symbol_and_score_and_states_the_rule(
    app: AppTest, registry_url: str
) -> None:
    open_page(app, "pages/meeting.py", period="2024")
    html = _slide(app, 3)
    words = _svg_words(html)
    townships = indicator_report(open_registry(registry_url), parse_period("2024"), "township")
    worst = meeting.overall_status(townships).set_index("code")
    for code, row in worst.iterrows():
        assert row["name"] in words and f"{style.STATUS_SYMBOLS[row['status']]} {row['value']:.1f}" in words, code
    assert "颜色与符号 = 该乡镇五项核心指标中最差的一项" in html and "数字 = 考核得分" in html
    assert not app.get("deck_gl_json_chart")  # the meeting map is the SVG chart, not the pydeck map


def test_laggards_slide_lists_the_villages_the_engine_puts_furthest_behind(app: AppTest, registry_url: str) -> None:
    open_page(app, "pages/meeting.py", period="2024")
    html = _slide(app, 4)
    villages = indicator_report(open_registry(registry_url), parse_period("2024"), "village")
    expected = meeting.laggards(villages)
    assert len(expected)
    positions = [html.index(f"<td>{name}</td>") for name in expected["村/社区"]]
    assert positions == sorted(positions)  # conclusive misses first, as the engine orders them


def test_clicker_keys_are_wired_to_next_previous_and_leave(app: AppTest) -> None:
    open_page(app, "pages/meeting.py", period="2024")
    scripts = [e.proto.srcdoc for e in app.get("iframe") if "streamlitShortcuts" in getattr(e.proto, "srcdoc", "")]
    assert len(scripts) == 1
    wired = json.loads(re.search(r"const shortcuts = (\{.*?\});", scripts[0], re.S).group(1))  # type: ignore[union-attr]
    assert wired == {
        "meeting-next": ["arrowright", "pagedown", " "],
        "meeting-prev": ["arrowleft", "pageup"],
        "meeting-exit": ["escape"],
    }
    for key in wired:  # each names a button on the page
        assert app.button(key=key) is not None


def test_a_new_generation_is_shown_only_once_the_deck_is_built_for_it(
    app: AppTest, registry_url: str, monkeypatch
) -> None:
    open_page(app, "pages/meeting.py", period="2024")
    period = parse_period("2024")
    current = cache.snapshot(registry_url).generation
    # The deck showed generation g; the store now says g + 1 and its reports are not built yet.
    started: list[tuple] = []
    monkeypatch.setattr(cache, "warm", lambda key, build: started.append(key) or False)
    monkeypatch.setattr(cache, "snapshot", lambda url: type("S", (), {"generation": current + 1})())
    assert loaders.meeting_generation(registry_url, period, current) == current
    assert started == [("deck", registry_url, current + 1, "2024")]
    # Built: the deck switches.
    monkeypatch.setattr(cache, "warm", lambda key, build: True)
    assert loaders.meeting_generation(registry_url, period, current) == current + 1
    # Shown for the first time, or two refreshes behind (the store no longer keeps it): the current one.
    assert loaders.meeting_generation(registry_url, period, None) == current + 1
    assert loaders.meeting_generation(registry_url, period, current - 1) == current + 1


def test_the_pack_download_is_the_deck_and_is_logged(app: AppTest, registry_url: str, tmp_path, monkeypatch) -> None:
    from pptx import Presentation

    from dashboard.domain.access import Access

    log = tmp_path / "exports.log"
    monkeypatch.setenv("DASHBOARD_EXPORT_LOG", str(log))
    open_page(app, "pages/meeting.py", period="2024")  # the app's caches, as the button's click has them
    data = loaders.meeting_pack(registry_url, parse_period("2024"), "pptx", Access("chair@county", "county"))
    assert len(Presentation(io.BytesIO(data)).slides) == len(meeting.SLIDES)
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["user"] == "chair@county" and entry["action"] == "download" and entry["format"] == "pptx"
    assert entry["period"] == "2024" and entry["rows"] == len(meeting.SLIDES) and "会议材料" in entry["table"]
