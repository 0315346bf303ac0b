"""The ranking page's content: score table, per-indicator ranking, funnel plot (pure + cached reads)."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from dashboard import charts, funnel, labels, ranking, style
from dashboard import indicators as ind
from dashboard.exports import ExportContext, indicator_notes
from dashboard.overview import period_words
from dashboard.periods import Period, PeriodError
from dashboard.report import Report


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
    table: pd.DataFrame
    chart: alt.TopLevelMixin
    funnel: alt.TopLevelMixin
    funnel_note: str
    export: pd.DataFrame
    context: ExportContext
    stem: tuple[str, ...]


def targets_points(code: str) -> float:
    from dashboard import targets

    return targets.assessment().points.get(code, 0.0)


def _change_text(delta: float) -> str:
    if delta is None or np.isnan(delta):
        return "—"
    if delta > 0:
        return f"↑{int(delta)}"
    if delta < 0:
        return f"↓{int(-delta)}"
    return "="


def last_year_report(load, period: Period, level: str) -> Report | None:  # type: ignore[no-untyped-def]
    """The same months a year earlier, or None when they cannot be loaded."""
    try:
        return load(period.same_period_last_year(), level)
    except PeriodError:
        return None


def score_view(now: Report, before: Report | None, *, mine: str | None = None, big: bool = False) -> ScoreView:
    """Assessment score ranking with rank change against ``before``."""
    table = ranking.assessment(now.result)
    previous = ranking.assessment(before.result) if before is not None else None
    table["change"] = ranking.rank_change(table, previous)
    codes = [c for c in table.columns if c.startswith("status:")]
    display = pd.DataFrame(
        {
            labels.t("rank"): table["rank"],
            labels.t("township"): table["name"] + np.where(table["code"] == mine, " ★", ""),
            labels.t("score"): table["score"].round(1),
            labels.t("max_score"): table["max_score"],
            labels.t("veto"): table["veto"].map({True: f"✖ {labels.t('veto')}", False: ""}),
            labels.t("rank_change"): table["change"].map(_change_text),
        }
    )
    for column in codes:
        code = column.split(":", 1)[1]
        title = labels.t("service_work") if code == "service_work" else ind.get(code).short
        if code == "service_work":
            display[title] = [f"{p:.1f}/{tr_points:g}" for p, tr_points in zip(
                table["points:service_work"], [targets_points("service_work")] * len(table))]
        else:
            display[title] = [style.status_badge(s, bool(m)) for s, m in zip(table[column], table[f"small:{code}"])]
    export = display.copy()
    export[labels.t("township")] = table["name"]
    words = period_words(now.period)
    return ScoreView(
        table=display,
        chart=charts.score_bars(table, highlight=mine, big=big),
        export=export,
        context=ExportContext(
            title=labels.t("score_title"),
            scope=ind.county().display_name,
            period=words,
            notes=tuple(
                (
                    labels.t("service_work") if c == "status:service_work" else ind.get(c.split(":", 1)[1]).name,
                    labels.t("points_note", points=targets_points(c.split(":", 1)[1])),
                )
                for c in codes
            ),
        ),
        stem=(ind.county().short_name, labels.t("score_title"), words),
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
    ranked = ranking.indicator_ranking(style.decorate(now.result), code)
    if before is not None:
        previous = ranking.indicator_ranking(before.result, code)
        ranked["change"] = ranking.rank_change(ranked, previous)
    else:
        ranked["change"] = np.nan
    partial = not now.period.is_full_year and indicator.projected
    display = pd.DataFrame(
        {
            labels.t("rank"): ranked["rank"].map(lambda r: "" if np.isnan(r) else int(r)),
            labels.t("township"): ranked["name"] + np.where(ranked["code"] == mine, " ★", ""),
            labels.t("value"): ranked["value_text"],
        }
    )
    if partial:
        display[labels.t("projection")] = ranked["projection_text"]
    display[labels.t("target")] = ranked["target"]
    display[labels.t("status")] = ranked["badge"]
    display["n"] = ranked["n_text"]
    display[labels.t("interval")] = ranked["interval_text"]
    display[labels.t("rank_change")] = ranked["change"].map(_change_text)
    county_targets = now.result[(now.result["indicator"] == code)].iloc[0]
    target = {
        "op": county_targets["target_op"],
        "value": county_targets["target_value"],
        "low": county_targets["target_low"],
        "high": county_targets["target_high"],
        "text": county_targets["target"],
    }
    bars = charts.ranking_bars(ranked, indicator, target, highlight=mine, big=big)
    fun_src = funnel_report or now
    fun_result = style.decorate(fun_src.result[fun_src.result["indicator"] == code])
    sizes = funnel.funnel_x(indicator, fun_src.rolled).to_numpy()
    points = fun_result.assign(n=sizes)
    rolled = fun_src.rolled
    population = float((rolled["pop_start"].sum() + rolled["pop_end"].sum()) / 2)
    events = float(rolled["births"].sum() + rolled["deaths"].sum())
    share = now.period.days / now.period.days_in_year
    per_person = events / population if population > 0 else 0.0
    curve = funnel.limits(indicator, float(target["value"]), funnel.curve_sizes(points["n"]),
                          period_share=share, events_per_person=per_person)
    points["outside95"] = funnel.outside(indicator, float(target["value"]), points["projection"].to_numpy(),
                                         points["n"].to_numpy(), period_share=share, events_per_person=per_person)
    band = (float(target["low"]), float(target["high"])) if target["op"] == "band" else (float(target["value"]),) * 2
    domain = funnel.y_range(indicator, points["projection"].to_numpy(), points["n"].to_numpy(), curve, band)
    x_title = labels.t("funnel_x_births") if indicator.interval == "sex_ratio" else labels.t("denominator")
    fun = charts.funnel_chart(points, curve, indicator, target, x_title=x_title, y_domain=domain, highlight=mine,
                              big=big)
    export = pd.DataFrame(
        {
            labels.t("rank"): ranked["rank"],
            labels.t("code"): ranked["code"],
            labels.t("township"): ranked["name"],
            labels.t("numerator"): ranked["numerator"],
            labels.t("denominator"): ranked["denominator"],
            labels.t("value"): ranked["value"],
            labels.t("projection"): ranked["projection"],
            labels.t("target"): ranked["target"],
            labels.t("status"): ranked["status_word"],
            labels.t("small_numbers"): ranked["small_numbers"].map({True: labels.t("yes"), False: ""}),
            labels.t("rank_change"): ranked["change"],
        }
    )
    words = period_words(now.period)
    return IndicatorView(
        indicator=indicator,
        table=display,
        chart=bars,
        funnel=fun,
        funnel_note=labels.t("funnel_note"),
        export=export,
        context=ExportContext(
            title=f"{indicator.short}{labels.t('ranking_suffix')}",
            scope=ind.county().display_name,
            period=words,
            status_column=labels.t("status"),
            number_formats={labels.t("value"): "0.00", labels.t("projection"): "0.00"},
            notes=indicator_notes((indicator,), now.result),
        ),
        stem=(ind.county().short_name, f"{indicator.short}{labels.t('ranking_suffix')}", words),
    )


@dataclass(frozen=True)
class RankingPage:
    score: ScoreView
    indicator: IndicatorView | None
    notes: list[str]


def page(url: str, period: Period, *, choice: str, funnel_level: str, mine: str | None) -> RankingPage:
    """Everything the ranking page shows for ``period``; ``choice`` is 'score' or an indicator code."""
    from dashboard import cache, targets

    def load(p: Period, level: str) -> Report:
        return cache.report_for(url, p, level)

    now = load(period, "township")
    before = last_year_report(load, period, "township")
    score = score_view(now, before, mine=mine)
    indicator = None
    if choice != "score":
        fun = load(period, "village") if funnel_level == "village" else now
        indicator = indicator_view(now, before, choice, mine=mine, funnel_report=fun)
    notes = [
        labels.t("veto_rule", line=targets.assessment().veto_below),
        labels.t("rank_change_note"),
        labels.t("small_numbers_last"),
    ]
    return RankingPage(score=score, indicator=indicator, notes=notes)
