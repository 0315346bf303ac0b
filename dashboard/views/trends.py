"""The trends page: yearly series, year to date against last year (full-year projection),
and the monthly table, for the county, a township or a village."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import targets as tr
from dashboard.domain.county import County
from dashboard.domain.periods import Period
from dashboard.domain.trends import SeriesData
from dashboard.render import charts, formats
from dashboard.render.exports import ExportContext


@dataclass(frozen=True)
class TrendsPage:
    heading: str
    yearly: charts.Spec | None
    ytd: charts.Spec
    table: pd.DataFrame
    export: pd.DataFrame
    context: ExportContext
    stem: tuple[str, ...]


def _month(k: int) -> str:
    return labels.t("month_n", n=k)


def build(data: SeriesData, period: Period, indicator: ind.Indicator, scope: str, county: County) -> TrendsPage:
    """Charts and the monthly table from a unit's series (``domain.trends.series``)."""
    this_year = formats.decorate(data.this_year, county)
    target = tr.rule_of(this_year.iloc[-1])
    frames = [this_year.assign(year=labels.t("trend_this_year", year=period.year))]
    if data.last_year is not None:
        last = formats.decorate(data.last_year, county)
        frames.append(last.assign(year=labels.t("trend_this_year", year=period.year - 1)))
    ytd = pd.concat(frames, ignore_index=True)
    ytd["month"] = ytd["key"].map(_month)
    ytd_chart = charts.series_chart(
        ytd, indicator, target, x_field="month", x_title=labels.t("trend_month_col"), colour_field="year"
    )
    yearly_chart = None
    if data.yearly is not None:
        yearly = formats.decorate(data.yearly, county)
        yearly["year_label"] = [str(k) for k in yearly["key"]]
        if not period.is_full_year:
            yearly.loc[yearly.index[-1], "year_label"] = f"{period.year}*"
        yearly_chart = charts.series_chart(
            yearly, indicator, target, x_field="year_label", x_title=labels.t("trend_year_col")
        )
    table = pd.DataFrame(
        {
            labels.t("trend_month_col"): this_year["key"].map(_month),
            labels.t("trend_month_numerator"): data.single["numerator"].map(formats.fmt_count),
            labels.t("value"): this_year["value_text"],
            labels.t("projection"): this_year["projection_text"],
            labels.t("target"): this_year["target"],
            labels.t("status"): this_year["badge"],
            "n": this_year["n_text"],
        }
    )
    export = pd.DataFrame(
        {
            labels.t("trend_month_col"): this_year["key"],
            labels.t("numerator"): this_year["numerator"],
            labels.t("denominator"): this_year["denominator"],
            labels.t("value"): this_year["value"],
            labels.t("projection"): this_year["projection"],
            labels.t("target"): this_year["target"],
            labels.t("status"): this_year["status_word"],
        }
    )
    words = formats.period_words(period)
    title = f"{formats.indicator_short(indicator.code)}{labels.t('page_trends')}"
    return TrendsPage(
        heading=f"{scope} · {formats.indicator_name(indicator.code)}",
        yearly=yearly_chart,
        ytd=ytd_chart,
        table=table,
        export=export,
        context=ExportContext(
            title=title,
            scope=scope,
            period=words,
            status_columns=(labels.t("status"),),
            number_formats={
                labels.t("value"): "0.00",
                labels.t("projection"): "0.00",
                labels.t("numerator"): "#,##0",
                labels.t("denominator"): "#,##0",
            },
        ),
        stem=(county.short_name, formats.file_scope(scope, county.name, county.name_en), title, words),
    )
