"""AppTest of ranking, drill-down and trends: what is shown equals what the engine computes."""

from __future__ import annotations

import re
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.app.sources import indicator_report, open_registry
from dashboard.domain import indicators as ind
from dashboard.domain.periods import parse_period
from dashboard.render import formats
from data_access import config


def open_page(app: AppTest, page: str, **params: str) -> AppTest:
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def test_ranking_score_table_puts_the_vetoed_township_last(app: AppTest) -> None:
    open_page(app, "pages/ranking.py", period="2024")
    table = app.dataframe[0].value
    # 甲镇's planned-birth rate is 75 % (< 82 %): vetoed, ranked after 乙乡 whatever the points.
    assert list(table["乡镇"]) == ["乙乡", "甲镇"]
    assert list(table["排名"]) == [1, 2]
    assert table.iloc[1]["一票否决"].endswith("一票否决")
    # 乙乡: birth rate and natural growth green (20 + 10), long-acting green (20), no births → 0 + 0.
    assert table.iloc[0]["考核得分"] == 50.0
    assert len(app.get("vega_lite_chart")) == 1


def test_ranking_by_indicator_shows_engine_values_and_funnel(app: AppTest, registry_url: str) -> None:
    open_page(app, "pages/ranking.py", period="2024")
    app.segmented_control(key="ranking_choice").set_value("long_acting_rate").run()
    assert not app.exception
    table = app.dataframe[0].value
    expected = indicator_report(open_registry(registry_url), parse_period("2024"), "township").result
    la = expected[expected["indicator"] == "long_acting_rate"].set_index("name")
    for _, row in table.iterrows():
        name = row["乡镇"].replace(" ★", "")
        assert row["数值"] == formats.fmt_value(la.loc[name, "value"], ind.get("long_acting_rate"))
    charts = app.get("vega_lite_chart")
    assert len(charts) == 2
    funnel_spec = charts[1].proto.spec
    assert "lo95" in funnel_spec and "hi998" in funnel_spec  # the control limits are drawn
    assert '"datum":76.0' in funnel_spec.replace(" ", "")  # the target line at 76 %


def test_my_township_is_highlighted_and_kept_in_the_url(app: AppTest) -> None:
    open_page(app, "pages/ranking.py", period="2024", mine="530823101")
    names = list(app.dataframe[0].value["乡镇"])
    assert "甲镇 ★" in names
    assert app.query_params["mine"] in ("530823101", ["530823101"])


def test_drilldown_query_parameters_open_the_village_view(app: AppTest, registry_url: str) -> None:
    open_page(app, "pages/drilldown.py", period="2024", township="530823101", village="530823101201")
    assert app.title[0].value.startswith("甲镇 · 一村")
    indicators = app.dataframe[0].value
    assert len(indicators) == 11
    expected = indicator_report(open_registry(registry_url), parse_period("2024"), "village").result
    one = formats.decorate(expected[expected["code"] == "530823101201"], config.county()).set_index(
        "indicator_name"
    )  # all 11 indicators
    for _, row in indicators.iterrows():
        spec = ind.get(one.loc[row["指标"], "indicator"])
        assert row["数值"] == formats.fmt_value(one.loc[row["指标"], "value"], spec)
    births, women = app.dataframe[1].value, app.dataframe[2].value
    assert len(births) == 6  # the village's 6 births in 2024
    assert len(women) == 3  # 9 married WCBA − 6 long-acting users
    assert all("*" in name for name in women["姓名"])  # names masked
    assert len(app.get("vega_lite_chart")) == 1  # the monthly trend


def test_drilldown_township_view_and_back_to_county(app: AppTest) -> None:
    open_page(app, "pages/drilldown.py", period="2024", township="530823101")
    assert app.title[0].value.startswith("甲镇")
    villages = app.dataframe[0].value
    assert list(villages["名称"]) == ["甲镇", "一村", "二村"]
    app.button(key="back-county").click().run()
    assert "township" not in app.query_params
    assert app.title[0].value.startswith(config.county().name)


def test_drilldown_unknown_codes_fall_back_to_the_county(app: AppTest) -> None:
    open_page(app, "pages/drilldown.py", period="2024", township="999999999")
    assert app.title[0].value.startswith(config.county().name)


def test_trends_monthly_table_matches_year_to_date_reports(app: AppTest, registry_url: str) -> None:
    open_page(app, "pages/trends.py", period="2024-01..2024-03")
    table = app.dataframe[0].value
    assert list(table["月份"]) == ["1月", "2月", "3月"]
    engine = open_registry(registry_url)
    for month in (1, 2, 3):
        period = parse_period(f"2024-01..2024-{month:02d}") if month > 1 else parse_period("2024-01")
        county = indicator_report(engine, period, "county").result.set_index("indicator").loc["birth_rate"]
        assert table.iloc[month - 1]["数值"] == formats.fmt_value(county["value"], ind.get("birth_rate"))
        assert table.iloc[month - 1]["全年预测"] == formats.fmt_value(county["projection"], ind.get("birth_rate"))
    assert len(app.get("vega_lite_chart")) == 2  # by year, and year to date against last year


def test_map_page_has_offline_deck_with_three_layers(app: AppTest, registry_url: str) -> None:
    import json

    open_page(app, "pages/map.py", period="2024")
    decks = app.get("deck_gl_json_chart")
    assert len(decks) == 1
    spec = json.loads(decks[0].proto.json)
    assert {layer["id"] for layer in spec["layers"]} == {"townships", "township-labels", "villages"}
    assert "carto" not in decks[0].proto.json and "mapbox" not in decks[0].proto.json
    table = app.dataframe[0].value
    expected = indicator_report(open_registry(registry_url), parse_period("2024"), "township").result
    birth = expected[expected["indicator"] == "birth_rate"].set_index("name")
    for _, row in table.iterrows():
        assert row["数值"] == formats.fmt_value(birth.loc[row["乡镇"], "value"], ind.get("birth_rate"))
    # The township polygons carry the status colour of their birth rate.
    townships = next(layer for layer in spec["layers"] if layer["id"] == "townships")
    assert "530823101" in json.dumps(townships["data"])


def test_meeting_slides_advance_and_wrap(app: AppTest) -> None:
    open_page(app, "pages/meeting.py", period="2024")
    titles = []
    for _ in range(6):
        titles.append(next(m.value for m in app.markdown if "meeting-title" in m.value))
        app.button(key="meeting-next").click().run()
        assert not app.exception
    assert "全县各项目标完成情况" in titles[0] and "各乡镇目标完成情况" in titles[1]
    assert "乡镇考核排名" in titles[2] and "各乡镇达标地图" in titles[3] and "差距最大的村" in titles[4]
    assert titles[5] == titles[0]  # wraps around forwards
    # Six clicks from the first slide land on the second; two back wrap to the last.
    app.button(key="meeting-prev").click().run()
    app.button(key="meeting-prev").click().run()
    assert "差距最大的村" in next(m.value for m in app.markdown if "meeting-title" in m.value)


def test_meeting_map_slide_lists_every_township_beside_the_map(app: AppTest) -> None:
    open_page(app, "pages/meeting.py", period="2024")
    for _ in range(3):
        app.button(key="meeting-next").click().run()
    slide = next(m.value for m in app.markdown if "meeting-side" in m.value)
    side = slide[slide.index("meeting-side") :]  # the table beside the map (the map's SVG names them too)
    assert "甲镇" in side and "乙乡" in side and "考核得分" in side
    assert side.index("乙乡") < side.index("甲镇")  # by score: 乙乡 50 before the vetoed 甲镇


def test_leaving_the_deck_opens_the_overview_on_the_same_period(app: AppTest) -> None:
    open_page(app, "pages/meeting.py", period="2024")
    app.button(key="meeting-exit").click().run()
    assert not app.exception
    assert not any("meeting-title" in m.value for m in app.markdown)
    assert app.query_params["period"] in ("2024", ["2024"])
    assert "2024年" in app.title[0].value  # the overview's title


def test_meeting_cards_show_engine_values(app: AppTest, registry_url: str) -> None:
    open_page(app, "pages/meeting.py", period="2024")
    html = " ".join(m.value for m in app.markdown)
    county = ind.headline(indicator_report(open_registry(registry_url), parse_period("2024"), "county").result)
    for _, row in county.iterrows():
        assert formats.fmt_value(row["value"], ind.get(row["indicator"])) in html


def test_export_page_choices_change_preview_and_count(app: AppTest) -> None:
    open_page(app, "pages/export.py", period="2024")

    def rows() -> str:
        return next(m.value for m in app.markdown if "行" in m.value)

    assert "共 1 行" in rows()  # the county as a matrix: one row, five indicators across
    columns = list(app.dataframe[0].value.columns)
    assert {"出生率（‰）", "出生率 状态", "出生率 n"} <= set(columns)
    app.radio(key="export_layout").set_value("long").run()
    assert "共 5 行" in rows()  # long: a row per indicator
    app.radio(key="export_layout").set_value("matrix").run()
    app.selectbox(key="export_table").set_value("indicators_village").run()
    assert "共 3 行" in rows()  # 3 villages
    app.selectbox(key="export_township").set_value("530823101").run()
    assert "共 2 行" in rows()  # 甲镇's 2 villages
    app.multiselect(key="export_indicators").set_value(["birth_rate"]).run()
    assert "共 2 行" in rows()
    assert not any(c.startswith("死亡率") for c in app.dataframe[0].value.columns)
    app.selectbox(key="export_table").set_value("births").run()
    assert "共 8 行" in rows()  # 甲镇's births in 2024 (6 + 2)
    app.selectbox(key="export_table").set_value("wcba").run()
    app.radio(key="export_wcba_filter").set_value("without_long_acting").run()
    assert "共 4 行" in rows()  # 3 in 一村, 1 in 二村
    preview = app.dataframe[0].value
    assert all("*" in n for n in preview["姓名"])


class _January2025(date):
    """'Today' for the presets: 10 January 2025, so every quick period falls in 2024."""

    @classmethod
    def today(cls) -> _January2025:
        return cls(2025, 1, 10)


def test_export_presets_set_the_period_everywhere(app: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard.app.components import sidebar

    monkeypatch.setattr(sidebar, "date", _January2025)
    open_page(app, "pages/export.py", period="2024")
    labels_seen = {b.key: b.label for b in app.button if b.key and b.key.startswith("export-preset-")}
    assert labels_seen == {
        "export-preset-ytd": "本年累计（2024年）",
        "export-preset-last_month": "上月（2024年12月）",
        "export-preset-last_quarter": "上季度（2024年第4季度）",
        "export-preset-full_year": "全年（2024年）",
    }
    # A preset sets the sidebar's widgets (AppTest runs the page alone, not the sidebar: the
    # browser suite follows the period to the URL and the file name).
    app.button(key="export-preset-last_quarter").click().run()
    assert not app.exception
    period = {k: app.session_state[f"period_{k}"] for k in ("year", "kind", "quarter")}
    assert period == {"year": 2024, "kind": "quarter", "quarter": 4}
    app.button(key="export-preset-last_month").click().run()
    assert (app.session_state["period_kind"], app.session_state["period_month"]) == ("month", 12)


def test_export_presets_outside_the_data_are_disabled(app: AppTest) -> None:
    open_page(app, "pages/export.py", period="2024")  # the registry's data ends in 2025; today is later
    presets = {b.key: b for b in app.button if b.key and b.key.startswith("export-preset-")}
    assert len(presets) == 4
    assert all(presets[f"export-preset-{k}"].disabled for k in ("ytd", "last_month", "last_quarter"))  # 2026
    assert not presets["export-preset-full_year"].disabled  # 2025 has data


PAGES = ("overview", "ranking", "drilldown", "map", "trends", "services", "quality", "targets", "export", "meeting")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_speaks_english_when_asked(app: AppTest, registry_url: str, page: str) -> None:
    """?lang=en: titles, captions, notes, buttons, choices and table headers in English, the
    period in English words — only the registry's own names (townships, villages) stay."""
    from dashboard import labels

    labels.set_language("en")  # AppTest formats widget options in the test's thread
    try:
        open_page(app, f"pages/{page}.py", period="2024-01..2024-09", lang="en")
        names = _unit_names(registry_url)
        texts = [
            *(
                e.value
                for kind in ("title", "header", "subheader", "caption", "markdown", "warning", "info")
                for e in getattr(app, kind)
            ),
            *(
                w.label
                for kind in ("button", "radio", "selectbox", "multiselect", "toggle")
                for w in getattr(app, kind)
            ),
            *(str(c) for d in app.dataframe for c in d.value.columns),
        ]
        chinese = [t for t in texts if CJK.search(_without(str(t), names))]
        assert not chinese, chinese[:5]
        assert not any(".." in str(t) for t in texts)  # '2024-01..2024-09' is a code, not words
    finally:
        labels.set_language("zh")


def _unit_names(registry_url: str) -> set[str]:
    from data_access.db import reading
    from data_access.queries.units import load_units

    with reading(open_registry(registry_url)) as conn:
        rows = load_units(conn)
    return {str(n) for c in ("township_name", "village_name") for n in rows[c].dropna()}


def _without(text: str, names: set[str]) -> str:
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, "")
    return text
