"""Page models built from hand-made reports: what a reader sees — the values, their order and
their marks — with no database and no Streamlit."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import report as reports
from dashboard.domain import targets as tr
from dashboard.domain.periods import parse_period
from dashboard.render import exports, formats
from dashboard.views import drilldown, export, meeting, overview, ranking
from data_access import config
from data_access.queries.services import SERVICE_COUNT_COLUMNS
from tests.domain.test_indicators import counts, units

SETTINGS = config.settings()
YEAR = parse_period("2023")
BASE = dict(pop_start=10000, pop_end=10000, deaths=40, married_wcba=1000, long_acting=800)

# Three townships of one village each, and a fourth of two villages:
#   T1 meets every headline target with large numbers;
#   T2 misses planned births conclusively (80 %, vetoed: below 82 %);
#   T3 misses the sex ratio but on 20 births only ("?": the interval spans the band);
#   T4's village V5 has small numbers throughout, V4 is like T1.
UNITS = units((1, "V1", 1, "T1"), (2, "V2", 2, "T2"), (3, "V3", 3, "T3"), (4, "V4", 4, "T4"), (5, "V5", 4, "T4"))
COUNTS = counts(
    v1=dict(BASE, births=100, births_male=51, births_female=49, births_compliant=96),
    v2=dict(BASE, births=100, births_male=51, births_female=49, births_compliant=80),
    v3=dict(
        BASE,
        pop_start=1700,
        pop_end=1700,
        births=20,
        births_male=13,
        births_female=7,
        births_compliant=19,
        married_wcba=200,
        long_acting=160,
    ),
    v4=dict(BASE, births=100, births_male=51, births_female=49, births_compliant=96),
    v5=dict(
        pop_start=120,
        pop_end=120,
        births=2,
        births_male=2,
        births_female=0,
        births_compliant=2,
        married_wcba=10,
        long_acting=6,
    ),
)


def build(level: str, with_services: bool = False, frame: pd.DataFrame = COUNTS) -> reports.Report:
    data = frame.copy()
    if with_services:
        for column in SERVICE_COUNT_COLUMNS:
            data[column] = 0
    targets, used = tr.with_defaults(pd.DataFrame(columns=tr.TARGET_COLUMNS), SETTINGS.default_targets)
    inputs = reports.Inputs(YEAR, UNITS, data, targets, used, SETTINGS, None, frozenset({"person", "birth"}))
    return reports.build(inputs, level)


@pytest.fixture(autouse=True)
def _chinese() -> None:
    labels.set_language("zh")


def test_overview_cards_one_per_target_in_catalogue_order() -> None:
    county, townships = build("county", True), build("township", True)
    page = overview.build(county, townships, None, as_of=date(2024, 1, 31))
    titles = [c.title for c in page.cards]
    assert titles[:5] == ["出生率", "自然增长率", "计划生育率", "出生性别比", "长效节育率"]
    assert titles[-1] == "新增示范点" and len(titles) == 12
    # Without service records nothing is known: no data, never a green 0 — and the registry
    # has no demo_site table, so the sites card says no data too.
    service = {c.code: c for c in page.cards if c.group == "service"}
    assert all(c.status == "no_data" and c.value_text == "无数据" for c in service.values())
    assert page.cards[0].value_text == formats.fmt_value(county.result.iloc[0]["value"], ind.get("birth_rate"))


def test_matrix_marks_small_numbers_and_puts_the_score_last() -> None:
    county, townships = build("county"), build("township")
    table, status = overview.status_matrix(county, townships)
    t3 = table[table["乡镇"] == "镇3"].iloc[0]
    r3 = townships.result.set_index(["code", "indicator"]).loc[("T3", "sex_ratio_at_birth")]
    assert r3["status"] == "red" and r3["small_numbers"]
    assert t3["出生性别比"].endswith("✖ ?")  # the miss cannot be told from chance
    assert table.columns[-1] == "考核得分"
    assert table[table["乡镇"] == "镇2"].iloc[0]["考核得分"].endswith("一票否决")
    assert status[table["乡镇"] == "镇2"].iloc[0]["考核得分"] == "red"


def test_ranking_score_table_carries_the_mark_where_the_engine_flags_it() -> None:
    now = build("township")
    view = ranking.score_view(now, None)
    flagged = now.result[now.result["small_numbers"]]
    shown = view.table.set_index("乡镇")
    for _, r in now.result.iterrows():
        cell = shown.loc[r["name"], formats.indicator_short(r["indicator"])]
        assert cell.endswith(" ?") == bool(r["small_numbers"]), (r["name"], r["indicator"], cell)
    assert not flagged.empty
    assert list(shown.index)[-1] == "镇2"  # the vetoed township ranks last


def test_laggards_conclusive_misses_first() -> None:
    villages = build("village")
    table = meeting.laggards(villages)
    missed = list(table["未达标"])
    # V2 misses planned births conclusively; V3 and V5 miss only on small numbers.
    assert list(table["村/社区"])[0] == "村2" and "?" not in missed[0]
    assert all("?" in m for m in missed[1:]) and len(missed) >= 2


def test_scorecard_sorted_by_score_with_the_veto_row_last() -> None:
    card = meeting.scorecard(build("township"))
    assert list(card.text["乡镇"])[-1] == "镇2"
    assert card.text["一票否决"].iloc[-1] == "✖ 一票否决" and card.status["一票否决"].iloc[-1] == "red"
    row = card.text[card.text["乡镇"] == "镇3"].iloc[0]
    assert row["出生性别比"].endswith("✖ ?")
    assert bool(card.small[card.text["乡镇"] == "镇3"].iloc[0]["出生性别比"])


def test_pull_down_lists_conclusive_villages_before_small_numbers() -> None:
    villages = build("village")
    level = drilldown.resolve(UNITS, "T4", None)
    assert level.name == "township" and level.village_options == {"V4": "村4", "V5": "村5"}
    behind = drilldown.pull_down(villages, "T4")
    assert set(behind["村/社区"]) == {"村5"}  # V4 meets every target
    assert all(b.endswith("?") for b in behind["状态"])
    assert (behind["差距"] >= 1).all() and behind["差距"].dtype.kind == "i"  # whole persons, rounded up


def test_unknown_codes_fall_back_up_a_level() -> None:
    assert drilldown.resolve(UNITS, "nowhere", "V1").name == "county"
    assert drilldown.resolve(UNITS, "T1", "V5").name == "township"  # V5 is not in T1
    village = drilldown.resolve(UNITS, "T4", "V5")
    assert village.name == "village" and village.village_id == 5


def test_english_rendering_of_the_same_report() -> None:
    county, townships = build("county"), build("township")
    labels.set_language("en")
    try:
        page = overview.build(county, townships, None, as_of=date(2024, 1, 31))
        assert [c.title for c in page.cards][:2] == ["Birth rate", "Natural growth"]
        assert page.heading.startswith(SETTINGS.county.name_en)
    finally:
        labels.set_language("zh")


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_overview_and_export_page_give_the_same_township_matrix_file() -> None:
    """One builder: the overview's download and the Export page's township table (whole county,
    the same indicators, chosen in any order) are the same file, name and bytes, once the
    generation time is the same; the button names the file it will build on click."""
    county, townships = build("county", True), build("township", True)
    as_of = date(2024, 1, 31)
    for all_targets in (False, True):
        page = overview.build(county, townships, None, as_of=as_of, all_targets=all_targets)
        shown = ind.CATALOGUE if all_targets else ind.HEADLINE
        for layout in export.LAYOUTS:
            from_overview = page.export(layout)
            selection = export.Selection(
                table="indicators_township",
                period=YEAR,
                indicators=tuple(reversed([i.code for i in shown])),
                layout=layout,
                as_of=as_of,
            )
            from_export = export.indicator_table(selection, townships, UNITS, county_report=county)
            assert from_overview.stem == from_export.stem
            assert page.export_stem(layout) == from_overview.stem  # the button's name, before the file
            at = datetime(2024, 2, 1, 9, 30)
            files = [
                exports.to_xlsx_bytes(t.frame, replace(t.context, generated_at=at))
                for t in (from_overview, from_export)
            ]
            assert _members(files[0]) == _members(files[1]), (all_targets, layout)
            csv = [exports.to_csv_bytes(t.frame, t.context) for t in (from_overview, from_export)]
            assert csv[0] == csv[1]
    assert exports.safe_filename(*page.export("matrix").stem, suffix="xlsx") == "景东县_乡镇指标_2023年.xlsx"


def test_matrix_file_reopened_says_what_the_page_shows() -> None:
    """Every cell of the overview's matrix, read back from the .xlsx: the value to the display
    precision, the status symbol and the '?' — and n, the denominator, beside them."""
    county, townships = build("county"), build("township")
    page = overview.build(county, townships, None, as_of=date(2024, 1, 31))
    table = page.export("matrix")
    sheet = load_workbook(io.BytesIO(exports.to_xlsx_bytes(table.frame, table.context))).worksheets[0]
    header = [c.value for c in sheet[2]]
    rows = [dict(zip(header, r)) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert [r["乡镇"] for r in rows] == list(page.matrix["乡镇"])  # county first, then townships
    result = pd.concat([county.result, townships.result]).set_index(["code", "indicator"])
    for row, (_, shown) in zip(rows, page.matrix.iterrows()):
        for indicator in ind.HEADLINE:
            title = formats.column_title(indicator)
            badge = str(row[f"{formats.indicator_short(indicator.code)} 状态"])
            symbol, small = badge.split(" ")[0], badge.endswith("?")
            value = row[title]
            expected = (
                formats.no_data_text()
                if value is None
                else f"{value:,.{indicator.decimals}f} {symbol}" + (" ?" if small else "")
            )
            assert shown[title] == expected, (row["乡镇"], title)
            n = result.loc[(row["代码"], indicator.code), "denominator"]
            assert row[f"{formats.indicator_short(indicator.code)} n"] == round(float(n))
    assert sheet.cell(3, header.index("出生率（‰）") + 1).number_format == '0.00"‰"'
    vetoed = next(r for r in rows if r["乡镇"] == "镇2")
    score = townships.assessment.set_index("name").loc["镇2", "score"]
    assert vetoed["一票否决"] == "是" and vetoed["考核得分"] == pytest.approx(score)


def test_drilldown_villages_download_as_shown_and_long() -> None:
    """A township's village table downloads as its matrix (a row per village) or long."""
    villages = build("village")
    result = villages.result[villages.result["township_code"] == "T4"]
    table = drilldown.indicator_table(result, "村级指标", "镇4", YEAR, villages)
    assert list(table.export["名称"]) == list(table.display["名称"])  # the rows the page shows
    assert {"出生率（‰）", "出生率 状态", "出生率 n"} <= set(table.export.columns)
    assert table.context.status_columns and table.long is not None
    long, _, stem = table.long
    assert len(long) == len(table.display) * len(ind.HEADLINE) and "长表" in stem
