"""The ranking page: assessment-score table (一票否决 last), per-indicator ranking with bars and
the funnel plot, rank change against the same months last year."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from dashboard import labels
from dashboard.domain import funnel, ranking
from dashboard.domain import indicators as ind
from dashboard.domain import targets as tr
from dashboard.domain.report import Report
from dashboard.render import charts, formats, tables
from dashboard.render.exports import ExportContext


@dataclass(frozen=True)
class ScoreView:
    table: pd.DataFrame  # display table, rank order
    chart: alt.TopLevelMixin
    export: pd.DataFrame
    context: ExportContext
    stem: tuple[str, ...]


@dataclass(frozen=True)
class IndicatorView:
    indicator: ind.Indicator
    heading: str
    funnel_title: str
    table: pd.DataFrame
    chart: alt.TopLevelMixin
    funnel: alt.TopLevelMixin
    funnel_note: str
    export: pd.DataFrame
    context: ExportContext
    stem: tuple[str, ...]


@dataclass(frozen=True)
class RankingPage:
    score: ScoreView
    indicator: IndicatorView | None
    notes: list[str]


def change_text(delta: float) -> str:
    """'↑2', '↓1', '=' (places gained since last year); empty where unknown."""
    if delta is None or np.isnan(delta):
        return ""
    if delta > 0:
        return f"↑{int(delta)}"
    if delta < 0:
        return f"↓{int(-delta)}"
    return "="


def _starred(names: pd.Series, codes: pd.Series, mine: str | None) -> pd.Series:
    return names + np.where(codes == mine, " ★", "")


def score_view(now: Report, before: Report | None, *, mine: str | None = None, big: bool = False) -> ScoreView:
    """Assessment score ranking with rank change against ``before``; each indicator's status
    with the small-numbers mark exactly where the engine flags it."""
    settings = now.settings.assessment
    table = now.assessment
    previous = before.assessment if before is not None else None
    table["change"] = ranking.rank_change(table, previous)
    codes = [c.split(":", 1)[1] for c in table.columns if c.startswith("status:")]
    display = pd.DataFrame(
        {
            labels.t("rank"): table["rank"],
            labels.t("township"): _starred(table["name"], table["code"], mine),
            labels.t("score"): table["score"].round(1),
            labels.t("max_score"): table["max_score"],
            labels.t("veto"): table["veto"].map({True: f"✖ {labels.t('veto')}", False: ""}),
            labels.t("rank_change"): table["change"].map(change_text),
        }
    )
    for code in codes:
        if code == "service_work":
            points = settings.points.get("service_work", 0.0)
            display[labels.t("service_work")] = [f"{p:.1f}/{points:g}" for p in table["points:service_work"]]
        else:
            display[formats.indicator_short(code)] = [
                formats.status_badge(s, bool(m)) for s, m in zip(table[f"status:{code}"], table[f"small:{code}"])
            ]
    export = display.copy()
    export[labels.t("township")] = table["name"]
    words = formats.period_words(now.period)
    county = now.settings.county
    return ScoreView(
        table=display,
        chart=charts.score_bars(table, highlight=mine, big=big),
        export=export,
        context=ExportContext(
            title=labels.t("score_title"),
            scope=formats.county_name(county),
            period=words,
            notes=tuple(
                (
                    labels.t("service_work") if code == "service_work" else formats.indicator_name(code),
                    labels.t("points_note", points=settings.points.get(code, 0.0)),
                )
                for code in codes
            ),
        ),
        stem=(county.short_name, labels.t("score_title"), words),
    )


def indicator_view(
    now: Report,
    before: Report | None,
    code: str,
    *,
    mine: str | None = None,
    funnel_report: Report | None = None,
    big: bool = False,
) -> IndicatorView:
    """One indicator: ranked table (conclusive first), bars, and the funnel plot.

    ``funnel_report`` (default ``now``) chooses the funnel's points — townships or villages.
    """
    indicator = ind.get(code)
    county = now.settings.county
    ranked = ranking.indicator_ranking(formats.decorate(now.result, county), code)
    if before is not None:
        previous = ranking.indicator_ranking(before.result, code)
        ranked["change"] = ranking.rank_change(ranked, previous)
    else:
        ranked["change"] = np.nan
    partial = not now.period.is_full_year and indicator.projected
    display = pd.DataFrame(
        {
            labels.t("rank"): ranked["rank"].map(lambda r: "" if np.isnan(r) else int(r)),
            labels.t("township"): _starred(ranked["name"], ranked["code"], mine),
            labels.t("value"): ranked["value_text"],
        }
    )
    if partial:
        display[labels.t("projection")] = ranked["projection_text"]
    display[labels.t("target")] = ranked["target"]
    display[labels.t("status")] = ranked["badge"]
    display["n"] = ranked["n_text"]
    display[labels.t("interval")] = ranked["interval_text"]
    display[labels.t("rank_change")] = ranked["change"].map(change_text)
    county_row = now.result[now.result["indicator"] == code].iloc[0]
    target = tr.rule_of(county_row)
    bars = charts.ranking_bars(ranked, indicator, target, highlight=mine, big=big)
    fun_src = funnel_report or now
    points = formats.decorate(fun_src.result[fun_src.result["indicator"] == code], county)
    points = points.assign(n=funnel.funnel_x(indicator, fun_src.rolled).to_numpy())
    rolled = fun_src.rolled
    population = float((rolled["pop_start"].sum() + rolled["pop_end"].sum()) / 2)
    events = float(rolled["births"].sum() + rolled["deaths"].sum())
    share = now.period.days / now.period.days_in_year
    per_person = events / population if population > 0 else 0.0
    curve = funnel.limits(
        indicator,
        float(target["value"]),
        funnel.curve_sizes(points["n"]),
        period_share=share,
        events_per_person=per_person,
    )
    points["outside95"] = funnel.outside(
        indicator,
        float(target["value"]),
        points["projection"].to_numpy(),
        points["n"].to_numpy(),
        period_share=share,
        events_per_person=per_person,
    )
    band = (float(target["low"]), float(target["high"])) if target["op"] == "band" else (float(target["value"]),) * 2
    domain = funnel.y_range(indicator, points["projection"].to_numpy(), points["n"].to_numpy(), curve, band)
    x_title = labels.t("funnel_x_births") if indicator.interval == "sex_ratio" else labels.t("denominator")
    fun = charts.funnel_chart(
        points, curve, indicator, target, x_title=x_title, y_domain=domain, highlight=mine, big=big
    )
    export = tables.indicator_export(ranked, county)
    export.insert(0, labels.t("rank"), ranked["rank"].to_numpy())
    export[labels.t("rank_change")] = ranked["change"].to_numpy()
    words = formats.period_words(now.period)
    title = f"{formats.indicator_short(code)}{labels.t('ranking_suffix')}"
    return IndicatorView(
        indicator=indicator,
        heading=f"{formats.indicator_name(code)}{labels.t('ranking_suffix')}",
        funnel_title=labels.t("funnel_title", indicator=formats.indicator_short(code)),
        table=display,
        chart=bars,
        funnel=fun,
        funnel_note=labels.t("funnel_note"),
        export=export,
        context=tables.indicator_context(
            title, formats.county_name(county), now.period, notes=formats.indicator_notes((indicator,), now.result)
        ),
        stem=(county.short_name, title, words),
    )


def build(
    now: Report, before: Report | None, *, choice: str, mine: str | None, funnel_report: Report | None = None
) -> RankingPage:
    """Everything the ranking page shows; ``choice`` is 'score' or an indicator code, and
    ``funnel_report`` (villages) replaces the townships as the funnel's points."""
    score = score_view(now, before, mine=mine)
    indicator = None
    if choice != "score":
        indicator = indicator_view(now, before, choice, mine=mine, funnel_report=funnel_report)
    notes = [
        labels.t("veto_rule", line=now.settings.assessment.veto_below),
        labels.t("rank_change_note"),
        labels.t("small_numbers_last"),
    ]
    return RankingPage(score=score, indicator=indicator, notes=notes)
