"""AppTest of the Services, Data-quality and Targets pages on a registry with known numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard.app import audit
from dashboard.app.sources import indicator_report, open_registry
from dashboard.domain import indicators as ind
from dashboard.domain.access import Access
from dashboard.domain.periods import parse_period
from dashboard.render import formats, style
from dashboard.render.exports import ExportContext
from data_access.queries import targets as target_queries
from tests.data_access.test_services_quality import load


@pytest.fixture
def registry_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'services.sqlite'}"
    load(url)
    return url


def open_page(app: AppTest, page: str, period: str = "2024") -> AppTest:
    app.query_params["period"] = period
    app.run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_services_cards_sites_and_rewards(app: AppTest, registry_url: str) -> None:
    open_page(app, "pages/services.py")
    county = indicator_report(open_registry(registry_url), parse_period("2024"), "county").result
    shown = {m.label: m.value for m in app.metric}
    for indicator in ind.SERVICE:
        row = county[county["indicator"] == indicator.code].iloc[0]
        assert shown[formats.indicator_short(indicator.code)] == formats.fmt_value(row["value"], indicator)
    sites = app.dataframe[1].value
    county_level = sites[sites["类别"] == "县级示范点"].iloc[0]
    assert county_level["新增"] == 1 and "未达标" in county_level["状态"]  # 1 of 2 in a finished year
    rewards = app.dataframe[2].value
    assert sorted(rewards["问题"]) == sorted(["逾期", "不足额", "未支付"])
    assert all("*" in n for n in rewards["姓名"])


def test_quality_page_counts_and_records(app: AppTest) -> None:
    open_page(app, "pages/quality.py")
    matrix = app.dataframe[0].value
    totals = dict(zip(matrix["检查项目"], matrix["合计"]))
    assert totals["身份证号重复"] == 2 and totals["人口平衡不符"] == 1 and totals["出生日期与身份证号不符"] == 1
    app.selectbox(key="quality_check").set_value("id_duplicate").run()
    by_village = app.dataframe[1].value
    assert by_village["问题数"].sum() == 2  # one in 一村, one in 二村
    records = app.dataframe[2].value
    assert len(records) == 2
    assert all("*" in n for n in records["身份证号"])  # masked


def test_targets_page_saves_to_the_database(app: AppTest, registry_url: str) -> None:
    open_page(app, "pages/targets.py")
    assert any("默认目标" in i.value for i in app.info)  # 2024 has no rows yet
    app.button(key="targets-save").click().run()
    assert any("已保存 11 条" in s.value for s in app.success)
    with sa.create_engine(registry_url).connect() as conn:
        assert len(target_queries.load_targets(conn, 2024)) == 11
    app.button(key="targets-copy").click().run()
    with sa.create_engine(registry_url).connect() as conn:
        assert len(target_queries.load_targets(conn, 2025)) == 11


def test_targets_page_is_read_only_for_viewers(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_ROLE", "viewer")
    open_page(app, "pages/targets.py")
    assert any("只能查看" in w.value for w in app.warning)
    assert app.button(key="targets-save").disabled


def test_person_level_downloads_are_logged_and_aggregates_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "exports.log"
    monkeypatch.setenv("DASHBOARD_EXPORT_LOG", str(log))
    frame = pd.DataFrame({"姓名": ["张*芳"], "身份证号": ["5308231990******12"]})
    context = ExportContext(title="出生登记", scope="甲镇一村", period="2024年")
    staff = Access("staff@example", "township", "530823101")
    data = audit.file_bytes(frame, context, "csv", person_level=True, access=staff, detail="")
    assert data.startswith("\ufeff".encode())
    audit.file_bytes(frame, context, "xlsx", person_level=False, access=staff)
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(entries) == 1  # only the person-level download
    assert entries[0]["user"] == "staff@example" and entries[0]["table"] == "出生登记"
    assert entries[0]["scope"] == "甲镇一村" and entries[0]["rows"] == 1 and entries[0]["format"] == "csv"
    assert entries[0]["role"] == "township" and entries[0]["action"] == "download"


def test_overview_has_a_card_for_every_target_with_service_values(app: AppTest, registry_url: str) -> None:
    open_page(app, "pages/overview.py")
    county = indicator_report(open_registry(registry_url), parse_period("2024"), "county").result.set_index("indicator")
    shown = {m.label: m.value for m in app.metric}
    assert list(shown) == [formats.indicator_short(i.code) for i in ind.CATALOGUE] + ["新增示范点"]
    for indicator in ind.CATALOGUE:
        assert shown[formats.indicator_short(indicator.code)] == formats.fmt_value(
            county.loc[indicator.code, "value"], indicator
        )
    # The registry's one county-level site of 2 in a finished year: red, said in the card.
    assert shown["新增示范点"] == "1 / 2"
    card_text = " ".join(m.value for m in app.markdown)
    assert "县级 1/2" in card_text and "乡镇级：1/2 个乡镇已新增" in card_text


def _slide(app: AppTest, title: str) -> str:
    for _ in range(6):
        html = " ".join(m.value for m in app.markdown)
        if title in html:
            return html
        app.button(key="meeting-next").click().run()
    raise AssertionError(f"no slide {title}")


def test_meeting_deck_shows_every_target_and_the_township_scorecard(app: AppTest, registry_url: str) -> None:
    open_page(app, "pages/meeting.py")
    engine = open_registry(registry_url)
    county = indicator_report(engine, parse_period("2024"), "county").result
    targets_html = _slide(app, "全县各项目标完成情况")
    for _, row in county.iterrows():
        indicator = ind.get(row["indicator"])
        assert formats.indicator_short(indicator.code) in targets_html
        assert formats.status_badge(row["status"], bool(row["small_numbers"])) in targets_html
    assert "新增示范点" in targets_html and "? 数量少" in targets_html  # the legend of the marks

    townships = indicator_report(engine, parse_period("2024"), "township").result
    html = _slide(app, "各乡镇目标完成情况")
    rows = html.split("<tr>")[2:]  # header row first
    assert len(rows) == 2
    # 甲镇's planned-birth rate is 50 %: vetoed, so it ranks last whatever its points.
    assert "甲镇" in rows[1] and "一票否决" in rows[1] and "一票否决" not in rows[0]
    for row_html, code in ((rows[0], "530823102"), (rows[1], "530823101")):
        for _, r in townships[townships["code"] == code].iterrows():
            indicator = ind.get(r["indicator"])
            if r["status"] == "no_data":
                assert "无数据" in row_html
            else:
                cell = f"{formats.fmt_number(r['projection'], indicator.decimals)} {style.STATUS_SYMBOLS[r['status']]}"
                assert cell + formats.small_mark(bool(r["small_numbers"])) in row_html, (code, indicator.code)


def test_ranking_score_table_marks_exactly_the_engines_small_numbers(app: AppTest, registry_url: str) -> None:
    open_page(app, "pages/ranking.py")
    townships = indicator_report(open_registry(registry_url), parse_period("2024"), "township").result
    table = app.dataframe[0].value.set_index("乡镇")
    flagged = 0
    for _, r in townships[townships["indicator"].isin([i.code for i in ind.HEADLINE])].iterrows():
        cell = table.loc[r["name"], formats.indicator_short(r["indicator"])]
        assert cell == formats.status_badge(r["status"], bool(r["small_numbers"]))
        assert cell.endswith(" ?") == bool(r["small_numbers"])
        flagged += bool(r["small_numbers"])
    assert flagged > 0  # a registry this small has values that cannot be judged
