"""The 通报's model from hand-made reports: its ranking is the ranking page's, every red status
of every township is listed with value and target, the villages are the meeting deck's, the
quality counts are the quality page's — and the dates it states are the right ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pandas as pd
import pytest

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import quality
from dashboard.domain import report as reports
from dashboard.domain import targets as tr
from dashboard.domain.coverage import Coverage
from dashboard.domain.periods import parse_period
from dashboard.render import formats
from dashboard.views import bulletin, meeting, ranking
from dashboard.views import quality as quality_view
from tests.views.test_views import COUNTS, SETTINGS, UNITS, build

TODAY = date(2024, 3, 15)
GENERATED = datetime(2024, 3, 15, 9, 30, 12)


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    """Chinese for each test, and again after it (an English test must not leak)."""
    labels.set_language("zh")
    yield
    labels.set_language("zh")


def findings(*rows: tuple[str, int]) -> quality.QualityReport:
    """(check, village id) findings, counted as the quality page counts them."""
    frame = pd.DataFrame(
        [{"check": c, "village_id": v, "record": f"r{i}", "person_id": i, "detail": "", "value": None}
         for i, (c, v) in enumerate(rows)],
        columns=quality.FINDING_COLUMNS,
    )  # fmt: skip
    return quality.summarise(frame, UNITS)


FINDINGS = findings(("id_duplicate", 1), ("id_duplicate", 1), ("id_duplicate", 2), ("mother_age", 5))


def model(period: str = "2023", with_services: bool = False, quality_report: quality.QualityReport = FINDINGS):
    if period == "2023":
        county, townships, villages = (build(level, with_services) for level in ("county", "township", "village"))
    else:
        county, townships, villages = (report_for(period, level) for level in ("county", "township", "village"))
    return (
        bulletin.build(county, townships, None, villages, quality_report, today=TODAY, generated_at=GENERATED),
        townships,
        villages,
    )


def report_for(label: str, level: str) -> reports.Report:
    """The hand-made county over another period (same counts)."""
    targets, used = tr.with_defaults(pd.DataFrame(columns=tr.TARGET_COLUMNS), SETTINGS.default_targets)
    inputs = reports.Inputs(parse_period(label), UNITS, COUNTS, targets, used, SETTINGS, None, frozenset({"birth"}))
    return reports.build(inputs, level)


def test_ranking_is_the_ranking_pages_score_table_in_its_order() -> None:
    got, townships, _ = model()
    page = ranking.score_view(townships, None).table
    assert list(got.ranking[labels.t("township")]) == list(page[labels.t("township")])
    assert got.ranking.equals(page.drop(columns=[labels.t("max_score")]))
    assert got.ranking_codes == tuple(townships.assessment["code"])
    assert got.ranking_codes[-1] == "T2"  # vetoed: planned births 80 % < 82 %
    assert got.ranking[labels.t("veto")].iloc[-1].endswith(labels.t("veto"))


def test_every_red_status_of_every_township_is_listed_with_value_and_target() -> None:
    got, townships, _ = model(with_services=True)
    result = formats.decorate(townships.result, SETTINGS.county)
    assert [m.code for m in got.missed] == list(got.ranking_codes)  # every township, in rank order
    for unit in got.missed:
        red = result[(result["code"] == unit.code) & (result["status"] == tr.RED)]
        assert [m.indicator for m in unit.missed] == list(red["indicator"]), unit.code
        for m, (_, row) in zip(unit.missed, red.iterrows()):
            assert m.value_text == row["value_text"] + formats.small_mark(bool(row["small_numbers"]))
            assert m.target_text == formats.row_target(row) and m.target_text
            assert m.name == formats.indicator_name(row["indicator"])
            assert m.n_text == formats.fmt_n(row["numerator"], row["denominator"])
    by_code = {u.code: u for u in got.missed}
    t3 = {m.indicator: m for m in by_code["T3"].missed}
    assert t3["sex_ratio_at_birth"].value_text.endswith(" ?")  # 20 births: cannot tell
    t2 = {m.indicator: m for m in by_code["T2"].missed}
    assert t2["planned_birth_rate"].value_text == "80.00%" and t2["planned_birth_rate"].target_text == "≥ 92"
    assert by_code["T2"].veto and not by_code["T1"].veto


def test_a_part_year_lists_the_projection_that_was_judged() -> None:
    got, townships, _ = model("2023-Q1")
    t1 = {m.indicator: m for m in next(u for u in got.missed if u.code == "T1").missed}
    # 100 births in a quarter on 10,000 people: 10‰ so far, about 40‰ over the year.
    birth = t1["birth_rate"]
    row = townships.result.set_index(["code", "indicator"]).loc[("T1", "birth_rate")]
    assert row["status"] == tr.RED
    assert birth.projection_text == formats.fmt_value(row["projection"], ind.get("birth_rate"))
    assert birth.value_text.startswith(formats.fmt_value(row["value"], ind.get("birth_rate")))
    assert all(m.projection_text == "" for m in t1.values() if not ind.get(m.indicator).projected)
    assert labels.t("projection") in got.county.columns


def test_villages_are_the_meeting_decks_furthest_behind() -> None:
    got, _, villages = model()
    assert got.laggards.equals(meeting.laggards(villages, top=bulletin.LAGGARDS))
    assert list(got.laggards[labels.t("village")])[0] == "村2"  # the conclusive miss first


def test_quality_counts_are_the_quality_pages() -> None:
    got, _, _ = model()
    page = quality_view.build(FINDINGS, parse_period("2023"), TODAY, SETTINGS.county)
    assert got.quality_totals == page.totals
    assert {f.check: f.count for f in got.quality} == {c: n for c, n in page.totals.items() if n}
    first = got.quality[0]
    assert (first.check, first.count, first.townships) == ("id_duplicate", 3, "镇1 2、镇2 1")
    assert got.quality[1].townships == "镇4 1"


def test_without_findings_the_quality_section_says_so() -> None:
    got, _, _ = model(quality_report=findings())
    assert got.quality == () and set(got.quality_totals.values()) == {0}
    text = [b.text for b in bulletin.document(got).sections[4].blocks if hasattr(b, "text")]
    assert text == [labels.t("bulletin_quality_none")]


def test_the_data_as_of_date_is_the_last_day_counted() -> None:
    year = parse_period("2023")
    assert bulletin.as_of_date(year, None, date(2024, 3, 15)) == date(2023, 12, 31)
    # The year still running: the last complete month.
    assert bulletin.as_of_date(parse_period("2024"), None, date(2024, 3, 15)) == date(2024, 2, 29)
    # The registry's data stops earlier, or the summaries were refreshed earlier.
    covered = Coverage(date(2019, 1, 1), date(2023, 10, 20)).of(year)
    assert bulletin.as_of_date(year, covered, date(2024, 3, 15)) == date(2023, 10, 20)
    assert bulletin.as_of_date(year, None, date(2024, 3, 15), refreshed=date(2023, 11, 2)) == date(2023, 11, 2)


def test_the_document_has_numbered_sections_and_every_township() -> None:
    got, _, _ = model()
    document = bulletin.document(got)
    assert [s.heading for s in document.sections] == [
        "一、全县目标完成情况",
        "二、乡镇考核排名",
        "三、各乡镇未达标指标",
        "四、差距最大的村（社区）",
        "五、需核实更正的数据质量问题",
        "六、说明",
    ]
    subheadings = [b.text for b in document.sections[2].blocks if getattr(b, "kind", "") == "subheading"]
    assert len(subheadings) == len(got.ranking_codes)
    assert (
        subheadings[0].startswith("（一）")
        and subheadings[-1].startswith("（四）镇2")
        and "一票否决" in subheadings[-1]
    )
    assert got.period_words in document.header and got.as_of.isoformat() in document.footer
    assert "2024-03-15 09:30" in document.footer
    assert got.file_name == "景东县_目标监测通报_2023年.docx"


def test_english_bulletin_from_the_same_reports() -> None:
    labels.set_language("en")
    got, _, _ = model()
    document = bulletin.document(got)
    assert got.title.startswith(SETTINGS.county.name_en)
    assert document.sections[0].heading == "1. The county on every target"
    assert document.language == "en" and document.page_template == "Page {page} of {pages}"
    assert got.ranking.columns[0] == "Rank"
