"""The 通报 (bulletin) of a period: the county's standing as a document a county office sends
round — the county on every target, the township ranking, each township's missed targets with
value and target, the villages furthest behind, the data-quality findings to correct.

Built from the same reports and page models as the screen: the ranking is the ranking page's
score table (:func:`dashboard.views.ranking.score_view`), the villages are the meeting deck's
(:func:`dashboard.views.meeting.laggards`), the quality counts the quality page's
(:func:`dashboard.views.quality.build`); words, marks and status words come from
``dashboard.render.formats``. :func:`document` turns the model into the renderer's sections.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import quality as quality_checks
from dashboard.domain import targets as tr
from dashboard.domain.county import County
from dashboard.domain.coverage import NONE, PARTIAL, Covered
from dashboard.domain.periods import Period, last_complete_month_end
from dashboard.domain.report import Report
from dashboard.render import bulletin as doc
from dashboard.render import exports, formats
from dashboard.views import meeting, ranking
from dashboard.views import quality as quality_view

MIME = doc.MIME
LAGGARDS = 10  # villages listed as furthest behind
QUALITY_TOWNSHIPS = 5  # townships named per quality check (most findings first)


@dataclass(frozen=True)
class MissedTarget:
    """One target a township missed (status red), as the screen says it."""

    indicator: str  # code
    name: str  # the indicator's name
    value_text: str  # '80.00% ?' — the small-numbers mark where the engine sets it
    projection_text: str  # the full-year projection (part years, projected indicators), else ''
    target_text: str  # '≥ 92'
    n_text: str  # numerator / denominator
    small_numbers: bool


@dataclass(frozen=True)
class TownshipMisses:
    """A township in rank order with every target it missed."""

    code: str
    name: str
    rank: int
    score: float
    veto: bool
    missed: tuple[MissedTarget, ...]


@dataclass(frozen=True)
class QualityFinding:
    """A data-quality check with findings: its count and the townships that have most."""

    check: str
    name: str
    count: int
    townships: str  # '甲镇 3、乙乡 1'


@dataclass(frozen=True)
class BulletinModel:
    """Everything the 通报 says, in words, and the numbers its tests compare."""

    title: str
    subtitle: str
    county_name: str
    period: Period
    period_words: str
    as_of: date
    generated_at: datetime
    county_summary: str
    county: pd.DataFrame  # the county on every target
    ranking: pd.DataFrame  # the ranking page's score table, in rank order
    ranking_codes: tuple[str, ...]  # township codes in that order
    max_score: float
    missed: tuple[TownshipMisses, ...]  # every township, in rank order
    laggards: pd.DataFrame  # the meeting deck's villages furthest behind
    quality: tuple[QualityFinding, ...]  # checks with findings, most first
    quality_totals: dict[str, int]  # every check's count (the quality page's)
    notes: tuple[str, ...]
    stem: tuple[str, ...]  # the file name's parts

    @property
    def file_name(self) -> str:
        return exports.safe_filename(*self.stem, suffix="docx")


def file_name(county: County, period: Period) -> str:
    """The file name of a period's 通报: 景东县_目标监测通报_2025年第3季度.docx."""
    return exports.safe_filename(*_stem(county, period), suffix="docx")


def _stem(county: County, period: Period) -> tuple[str, ...]:
    return (county.short_name, labels.t("bulletin_file"), formats.period_words(period))


def as_of_date(period: Period, covered: Covered | None, today: date, refreshed: date | None = None) -> date:
    """The last day the numbers count: the period's end, but no later than the last complete
    month, the last day the registry's data covers, or the day the summaries were refreshed."""
    days = [period.end, last_complete_month_end(today)]
    if covered is not None and covered.kind == PARTIAL and covered.end is not None:
        days.append(covered.end)
    elif covered is not None and covered.kind == NONE and covered.coverage.last is not None:
        days.append(covered.coverage.last)
    if refreshed is not None:
        days.append(refreshed)
    return min(days)


def sentence(text: str) -> str:
    """A note ending in a full stop (some screen captions have none)."""
    stop = labels.t("bulletin_full_stop")
    return text if text.rstrip().endswith((stop.strip(), ".", "。", "）", ")")) else text + stop


def _partial(period: Period, indicator: ind.Indicator) -> bool:
    return not period.is_full_year and indicator.projected


def county_table(county: Report) -> tuple[pd.DataFrame, str]:
    """The county on every target it has (value, projection for part years, target, status
    with the mark, n) and the one-line count of the headline statuses."""
    rows = formats.decorate(county.result, county.settings.county)
    period = county.period
    any_partial = any(_partial(period, ind.get(c)) for c in rows["indicator"])
    table = pd.DataFrame(
        {
            labels.t("indicator"): rows["indicator_name"],
            labels.t("value"): rows["value_text"],
        }
    )
    if any_partial:
        table[labels.t("projection")] = [
            r.projection_text if _partial(period, ind.get(r.indicator)) and r.status != tr.NO_DATA else ""
            for r in rows.itertuples()
        ]
    table[labels.t("target")] = rows["target"]
    table[labels.t("status")] = rows["badge"]
    table["n"] = rows["n_text"]
    headline = rows[rows["indicator"].isin([i.code for i in ind.HEADLINE])]["status"]
    summary = labels.t(
        "bulletin_county_summary",
        n=len(headline),
        green=int((headline == tr.GREEN).sum()),
        amber=int((headline == tr.AMBER).sum()),
        red=int((headline == tr.RED).sum()),
        none=int((headline == tr.NO_DATA).sum()),
    )
    return table.reset_index(drop=True), summary


def missed_targets(townships: Report) -> tuple[TownshipMisses, ...]:
    """Every township in rank order with every target the engine judged red, in catalogue
    order: value (with '?' where the numbers are small), projection, target and n."""
    rows = formats.decorate(townships.result, townships.settings.county)
    red = rows[rows["status"] == tr.RED]
    period = townships.period
    out = []
    for unit in townships.assessment.itertuples():
        own = red[red["code"] == unit.code]
        missed = tuple(
            MissedTarget(
                indicator=r.indicator,
                name=r.indicator_name,
                value_text=r.value_text + formats.small_mark(bool(r.small_numbers)),
                projection_text=r.projection_text if _partial(period, ind.get(r.indicator)) else "",
                target_text=r.target,
                n_text=r.n_text,
                small_numbers=bool(r.small_numbers),
            )
            for r in own.itertuples()
        )
        out.append(TownshipMisses(unit.code, unit.name, int(unit.rank), float(unit.score), bool(unit.veto), missed))
    return tuple(out)


def quality_findings(report: quality_checks.QualityReport, totals: dict[str, int]) -> tuple[QualityFinding, ...]:
    """The checks with findings, most first (then in the quality page's order), each with the
    townships that have most."""
    counts = report.counts[report.counts["count"] > 0]
    order = {c: i for i, c in enumerate(quality_checks.CHECKS)}
    found = sorted((c for c, n in totals.items() if n), key=lambda c: (-totals[c], order.get(c, 99)))
    sep = labels.t("bulletin_list_sep")
    out = []
    for check in found:
        own = counts[counts["check"] == check].sort_values(["count", "township_code"], ascending=[False, True])
        names = [
            labels.t("bulletin_quality_place", name=r.township_name or "—", n=int(r.count))
            for r in own.head(QUALITY_TOWNSHIPS).itertuples()
        ]
        if len(own) > QUALITY_TOWNSHIPS:
            names.append(labels.t("bulletin_quality_more", n=len(own) - QUALITY_TOWNSHIPS))
        out.append(QualityFinding(check, quality_view.check_name(check), totals[check], sep.join(names)))
    return tuple(out)


def build(
    county: Report,
    townships: Report,
    townships_last: Report | None,
    villages: Report,
    quality: quality_checks.QualityReport,
    *,
    today: date,
    generated_at: datetime,
    refreshed: date | None = None,
) -> BulletinModel:
    """The 通报 of ``townships.period`` from the reports every page reads (``townships_last``:
    the same months a year earlier, for the rank change) and the quality page's findings."""
    period = townships.period
    settings = townships.settings
    words = formats.period_words(period)
    county_words = formats.county_name(settings.county)
    score = ranking.score_view(townships, townships_last)
    table = score.table.drop(columns=[labels.t("max_score")])
    codes = tuple(str(c) for c in townships.assessment["code"])
    max_score = float(townships.assessment["max_score"].iloc[0]) if len(codes) else 0.0
    quality_page = quality_view.build(quality, period, today, settings.county)
    county_frame, summary = county_table(county)
    notes = [
        labels.t("bulletin_legend"),
        labels.t("overview_caption"),
        sentence(labels.t("veto_rule", line=settings.assessment.veto_below)),
        sentence(labels.t("rank_change_note")),
    ]
    coverage = formats.coverage_line(townships.covered, period)
    if coverage:
        notes.append(sentence(coverage))
    left_out = formats.left_out_line(quality.counts)
    if left_out:
        notes.append(sentence(left_out))
    if townships.default_targets_used:
        notes.append(labels.t("target_source_default"))
    as_of = as_of_date(period, townships.covered, today, refreshed)
    return BulletinModel(
        title=labels.t("bulletin_title", county=county_words, period=words),
        subtitle=labels.t("bulletin_subtitle", start=period.start.isoformat(), end=period.end.isoformat()),
        county_name=county_words,
        period=period,
        period_words=words,
        as_of=as_of,
        generated_at=generated_at.replace(microsecond=0),
        county_summary=summary,
        county=county_frame,
        ranking=table.reset_index(drop=True),
        ranking_codes=codes,
        max_score=max_score,
        missed=missed_targets(townships),
        laggards=meeting.laggards(villages, top=LAGGARDS),
        quality=quality_findings(quality, quality_page.totals),
        quality_totals=dict(quality_page.totals),
        notes=tuple(notes),
        stem=_stem(settings.county, period),
    )


# --------------------------------------------------------------------------- the document


def numeral(n: int) -> str:
    """一, 二, 三 … in Chinese (1, 2, 3 in English); past the list, the digits."""
    names = labels.t("bulletin_numerals").split(",")
    return names[n - 1] if 0 < n <= len(names) else str(n)


def _table(frame: pd.DataFrame) -> doc.Table:
    def text(value: object) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        return str(value)

    return doc.Table(
        columns=tuple(str(c) for c in frame.columns),
        rows=tuple(tuple(text(v) for v in row) for row in frame.itertuples(index=False, name=None)),
    )


def _missed_table(missed: tuple[MissedTarget, ...]) -> doc.Table:
    with_projection = any(m.projection_text for m in missed)
    columns = [labels.t("indicator"), labels.t("value")]
    if with_projection:
        columns.append(labels.t("projection"))
    columns += [labels.t("target"), "n"]
    rows = []
    for m in missed:
        row = [m.name, m.value_text]
        if with_projection:
            row.append(m.projection_text)
        rows.append((*row, m.target_text, m.n_text))
    return doc.Table(tuple(columns), tuple(rows))


def _heading(n: int, key: str) -> str:
    return labels.t("bulletin_heading", n=numeral(n), text=labels.t(key))


def _township_blocks(model: BulletinModel) -> tuple[doc.Block, ...]:
    blocks: list[doc.Block] = []
    for i, unit in enumerate(model.missed, start=1):
        line = labels.t(
            "bulletin_township_line",
            name=unit.name,
            rank=unit.rank,
            score=unit.score,
            veto=labels.t("bulletin_vetoed") if unit.veto else "",
            n=len(unit.missed),
        )
        blocks.append(doc.Paragraph(labels.t("bulletin_subheading", n=numeral(i), text=line), "subheading"))
        if unit.missed:
            blocks.append(_missed_table(unit.missed))
        else:
            blocks.append(doc.Paragraph(labels.t("bulletin_no_misses")))
    return tuple(blocks)


def _quality_blocks(model: BulletinModel) -> tuple[doc.Block, ...]:
    if not model.quality:
        return (doc.Paragraph(labels.t("bulletin_quality_none")),)
    table = doc.Table(
        (labels.t("quality_check_col"), labels.t("quality_count"), labels.t("bulletin_quality_where")),
        tuple((f.name, f"{f.count:,}", f.townships) for f in model.quality),
    )
    clear = len(model.quality_totals) - len(model.quality)
    blocks: list[doc.Block] = [
        doc.Paragraph(
            labels.t("bulletin_quality_intro", n=sum(f.count for f in model.quality), checks=len(model.quality))
        ),
        table,
    ]
    if clear:
        blocks.append(doc.Paragraph(labels.t("bulletin_quality_clear", n=clear)))
    return tuple(blocks)


def document(model: BulletinModel) -> doc.Document:
    """The model as the renderer's sections: 一、全县 … 六、说明, with the header and footer
    every page carries (period, data as of, generated at)."""
    generated = model.generated_at.strftime("%Y-%m-%d %H:%M")
    laggards: tuple[doc.Block, ...]
    if model.laggards.empty:
        laggards = (doc.Paragraph(labels.t("bulletin_no_laggards")),)
    else:
        laggards = (doc.Paragraph(labels.t("bulletin_laggards_intro", n=len(model.laggards))), _table(model.laggards))
    sections = (
        doc.Section(
            _heading(1, "bulletin_section_county"), (doc.Paragraph(model.county_summary), _table(model.county))
        ),
        doc.Section(
            _heading(2, "bulletin_section_ranking"),
            (
                doc.Paragraph(labels.t("bulletin_ranking_intro", n=len(model.ranking_codes), max=model.max_score)),
                _table(model.ranking),
            ),
        ),
        doc.Section(_heading(3, "bulletin_section_missed"), _township_blocks(model)),
        doc.Section(_heading(4, "bulletin_section_laggards"), laggards),
        doc.Section(_heading(5, "bulletin_section_quality"), _quality_blocks(model)),
        doc.Section(_heading(6, "bulletin_section_notes"), tuple(doc.Paragraph(n, "note") for n in model.notes)),
    )
    author = labels.t("app_title")
    return doc.Document(
        title=model.title,
        subtitle=model.subtitle,
        header=labels.t("bulletin_header", county=model.county_name, period=model.period_words),
        footer=labels.t("bulletin_footer", period=model.period_words, as_of=model.as_of.isoformat(), time=generated),
        opening=(
            doc.Paragraph(labels.t("bulletin_addressee"), "addressee"),
            doc.Paragraph(labels.t("bulletin_opening", period=model.period_words)),
        ),
        sections=sections,
        closing=(
            doc.Paragraph(
                labels.t("bulletin_generated_note", app=author, as_of=model.as_of.isoformat(), time=generated), "note"
            ),
            doc.Paragraph(model.county_name, "signature"),
            doc.Paragraph(
                labels.t(
                    "bulletin_date",
                    year=model.generated_at.year,
                    month=model.generated_at.month,
                    day=model.generated_at.day,
                ),
                "signature",
            ),
        ),
        author=author,
        generated_at=model.generated_at,
        language=labels.language(),
        page_template=labels.t("bulletin_page", page="{page}", pages="{pages}"),
    )


def docx_bytes(model: BulletinModel) -> bytes:
    """The .docx file of the 通报."""
    return doc.to_docx_bytes(document(model))
