"""County → township → village: tables, the villages that pull a township down, a village's
indicators, monthly trend and the (masked) registry records behind its numbers.

The view is a function of (period, township code, village code) — the URL's query
parameters — so that a link reproduces it.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from dashboard import charts, labels, privacy, style, trends
from dashboard import indicators as ind
from dashboard.exports import ExportContext, indicator_notes
from dashboard.overview import matrix_column, period_words
from dashboard.periods import Period, age_on
from dashboard.report import Report


@dataclass(frozen=True)
class Table:
    """A table as shown, the numbers behind it for export, and how to name the file."""

    display: pd.DataFrame
    status: pd.DataFrame | None
    export: pd.DataFrame
    context: ExportContext
    stem: tuple[str, ...]


def wide_table(result: pd.DataFrame, name_header: str, partial: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Unit × indicator display cells ('10.52 ✔', projection in brackets for part years) + statuses."""
    rows: dict[str, dict[str, str]] = {}
    statuses: dict[str, dict[str, str]] = {}
    for _, r in result.iterrows():
        indicator = ind.get(r["indicator"])
        text = style.fmt_value(r["value"], indicator, with_unit=False)
        if partial and indicator.projected and not np.isnan(r["projection"]):
            text += f"（{labels.t('projection_short')} {style.fmt_number(r['projection'], indicator.decimals)}）"
        text += f" {style.STATUS_SYMBOLS[r['status']]}"
        if r["small_numbers"]:
            text += f" {style.SMALL_NUMBERS_SYMBOL}"
        key = r["code"]
        rows.setdefault(key, {labels.t("code"): r["code"], name_header: r["name"]})[matrix_column(indicator)] = text
        statuses.setdefault(key, {labels.t("code"): "", name_header: ""})[matrix_column(indicator)] = r["status"]
    return pd.DataFrame(list(rows.values())), pd.DataFrame(list(statuses.values()))


def long_export(result: pd.DataFrame, name_header: str) -> pd.DataFrame:
    """One row per unit × indicator with real numbers (for .xlsx/.csv)."""
    return pd.DataFrame(
        {
            labels.t("code"): result["code"],
            name_header: result["name"],
            labels.t("indicator"): result["indicator_name"],
            labels.t("numerator"): result["numerator"],
            labels.t("denominator"): result["denominator"],
            labels.t("value"): result["value"],
            labels.t("projection"): result["projection"],
            "95% 下限" if labels.language() == "zh" else "CI low": result["ci_low"],
            "95% 上限" if labels.language() == "zh" else "CI high": result["ci_high"],
            labels.t("target"): result["target"],
            labels.t("status"): result["status"].map(style.status_word),
            labels.t("small_numbers"): result["small_numbers"].map({True: labels.t("yes"), False: ""}),
        }
    )


def indicator_table(result: pd.DataFrame, title: str, scope: str, period: Period) -> Table:
    result = ind.headline(result)
    display, status = wide_table(result, labels.t("name"), not period.is_full_year)
    words = period_words(period)
    return Table(
        display=display,
        status=status,
        export=long_export(result, labels.t("name")),
        context=ExportContext(
            title=title,
            scope=scope,
            period=words,
            status_column=labels.t("status"),
            number_formats={labels.t("value"): "0.00", labels.t("projection"): "0.00"},
            notes=indicator_notes(ind.HEADLINE, result),
        ),
        stem=(ind.county().short_name, scope, title, words),
    )


# ------------------------------------------------------------------ villages pulling down


def gaps(result: pd.DataFrame, period: Period) -> pd.DataFrame:
    """How far each unit's numerator is from what would meet its target (positive = behind).

    Per-mille rates with ≤ targets: events beyond target × denominator ÷ 1000 ÷ projection
    factor (excess births). ≥ proportions: the compliant births or long-acting users missing
    to reach the target share. Sex-ratio band: boys beyond the band's upper end (or below its
    lower end) for the girls born. = targets: the distance either way.
    """
    out = result.copy()
    op = out["target_op"]
    t = out["target_value"].astype("float64")
    num = out["numerator"].astype("float64")
    den = out["denominator"].astype("float64")
    codes = out["indicator"]
    scale = codes.map(lambda c: ind.get(c).scale).astype("float64")
    factor = codes.map(lambda c: period.projection_factor if ind.get(c).projected else 1.0).astype("float64")
    allowed = t * den / scale / factor
    gap = np.select(
        [op == "<=", op == ">=", op == "=", op == "band"],
        [
            num - allowed,
            allowed - num,
            (num - allowed).abs(),
            np.maximum(
                num - out["target_high"].astype("float64") * den / scale,
                out["target_low"].astype("float64") * den / scale - num,
            ),
        ],
        default=np.nan,
    )
    out["gap"] = np.where(den > 0, gap, np.nan)
    return out


def pull_down(villages: Report, township_code: str, top: int = 5) -> dict[str, pd.DataFrame]:
    """Per indicator, the villages of the township furthest behind target: conclusive misses
    first (largest gap first), then the small-numbers ones ('?'), whose gap may be chance.

    The gap is in whole persons (births, women), rounded up: what it would take to meet the
    target.
    """
    result = villages.result[villages.result["township_code"] == township_code]
    with_gaps = style.decorate(gaps(result, villages.period))
    out: dict[str, pd.DataFrame] = {}
    for code in [i.code for i in ind.HEADLINE]:
        sub = with_gaps[(with_gaps["indicator"] == code) & (with_gaps["gap"] > 1e-9)]
        sub = sub.assign(_small=sub["small_numbers"].astype(bool))
        sub = sub.sort_values(["_small", "gap", "code"], ascending=[True, False, True], kind="stable").head(top)
        out[code] = pd.DataFrame(
            {
                labels.t("village"): sub["name"],
                labels.t("value"): sub["value_text"],
                labels.t("status"): sub["badge"],
                labels.t("drill_gap"): np.ceil(sub["gap"] - 1e-9).astype("int64"),
                "n": sub["n_text"],
            }
        )
    return out


def pull_down_table(per_indicator: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The per-indicator lists as one table, the indicator first."""
    frames = [f.assign(**{labels.t("indicator"): ind.get(code).short}) for code, f in per_indicator.items() if not f.empty]
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    return table[[labels.t("indicator"), *[c for c in table.columns if c != labels.t("indicator")]]]


# ------------------------------------------------------------------ records


def _sex(value: object) -> str:
    return labels.t(f"sex_{value}") if value in ("M", "F") else labels.t("unknown")


def _yes_no(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return labels.t("unknown")
    return labels.t("yes") if bool(value) else labels.t("no")


def _method(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return labels.t("method_none")
    key = f"method_{value}"
    return labels.t(key) if labels.has(key) else str(value)


def births_records(raw: pd.DataFrame, village_names: dict[int, str]) -> pd.DataFrame:
    """Masked display/export rows for births: date, village, sex, parity, compliance, mother."""
    masked = privacy.mask_frame(raw, names=("mother_name",), id_numbers=("mother_id_number",))
    ages = [
        age_on(pd.Timestamp(m).date(), pd.Timestamp(b).date()) if m is not None and not pd.isna(m) else None
        for m, b in zip(raw["mother_birth_date"], raw["birth_date"])
    ]
    return pd.DataFrame(
        {
            labels.t("col_birth_date"): pd.to_datetime(raw["birth_date"]).dt.date,
            labels.t("col_village"): raw["village_id"].map(village_names),
            labels.t("col_sex"): raw["sex"].map(_sex),
            labels.t("col_parity"): raw["parity"],
            labels.t("col_compliant"): raw["policy_compliant"].map(_yes_no),
            labels.t("col_mother"): masked["mother_name"],
            labels.t("col_mother_id"): masked["mother_id_number"],
            labels.t("col_mother_age"): ages,
        }
    )


def wcba_records(raw: pd.DataFrame, village_names: dict[int, str], at: Period) -> pd.DataFrame:
    """Masked rows for married women 15–49 without a long-acting method at the period's end."""
    masked = privacy.mask_frame(raw, names=("name",), id_numbers=("id_number",))
    return pd.DataFrame(
        {
            labels.t("col_village"): raw["village_id"].map(village_names),
            labels.t("col_name"): masked["name"],
            labels.t("col_id_number"): masked["id_number"],
            labels.t("col_age"): [age_on(pd.Timestamp(b).date(), at.end) for b in raw["birth_date"]],
            labels.t("col_married_on"): pd.to_datetime(raw["married_on"]).dt.date,
            labels.t("col_method"): raw["method"].map(_method),
        }
    )


# ------------------------------------------------------------------ page


@dataclass(frozen=True)
class DrillPage:
    level: str  # 'county', 'township' or 'village'
    heading: str
    township: tuple[str, str] | None  # (code, name)
    village: tuple[str, str] | None
    township_options: dict[str, str]  # code → name
    village_options: dict[str, str]
    table: Table | None  # townships (county level) or villages (township level) or one village
    chart: alt.TopLevelMixin | None
    pull_down: dict[str, pd.DataFrame]
    trend: alt.TopLevelMixin | None
    births: Table | None
    wcba: Table | None
    notes: list[str]


def _records_table(frame: pd.DataFrame, title: str, scope: str, period: Period, date_columns: tuple[str, ...]) -> Table:
    words = period_words(period)
    return Table(
        display=frame,
        status=None,
        export=frame,
        context=ExportContext(
            title=title,
            scope=scope,
            period=words,
            number_formats={c: "yyyy-mm-dd" for c in date_columns},
            notes=((labels.t("drill_masked"), ""),),
        ),
        stem=(ind.county().short_name, scope, title, words),
    )


def page(url: str, period: Period, township_code: str | None, village_code: str | None, indicator_code: str) -> DrillPage:
    """Everything the drill-down shows at the level the codes select (invalid codes fall back up)."""
    from dashboard import cache

    inputs = cache.inputs(url, period.label)
    units = inputs.units
    township_options = dict(units.drop_duplicates("township_code")[["township_code", "township_name"]].to_numpy())
    if township_code not in township_options:
        township_code, village_code = None, None
    in_township = units[units["township_code"] == township_code] if township_code else units.iloc[0:0]
    village_options = dict(in_township[["village_code", "village_name"]].to_numpy())
    if village_code not in village_options:
        village_code = None
    county = ind.county()
    words = period_words(period)
    notes: list[str] = []
    indicator = ind.get(indicator_code)

    if township_code is None:
        townships = cache.report_for(url, period, "township")
        county_report = cache.report_for(url, period, "county")
        combined = pd.concat([county_report.result, townships.result], ignore_index=True)
        return DrillPage(
            level="county",
            heading=f"{county.display_name} {words}",
            township=None,
            village=None,
            township_options=township_options,
            village_options={},
            table=indicator_table(combined, labels.t("drill_townships_table"), county.short_name, period),
            chart=None,
            pull_down={},
            trend=None,
            births=None,
            wcba=None,
            notes=notes,
        )

    township_name = township_options[township_code]
    villages = cache.report_for(url, period, "village")
    if village_code is None:
        townships = cache.report_for(url, period, "township")
        own = townships.result[townships.result["code"] == township_code]
        mine = villages.result[villages.result["township_code"] == township_code]
        combined = pd.concat([own, mine], ignore_index=True)
        ranked = style.decorate(mine[mine["indicator"] == indicator_code]).sort_values("projection")
        row = own[own["indicator"] == indicator_code].iloc[0]
        target = {"op": row["target_op"], "value": row["target_value"], "low": row["target_low"],
                  "high": row["target_high"], "text": row["target"]}
        return DrillPage(
            level="township",
            heading=f"{township_name} {words}",
            township=(township_code, township_name),
            village=None,
            township_options=township_options,
            village_options=village_options,
            table=indicator_table(combined, labels.t("drill_villages_table", township=township_name), township_name, period),
            chart=charts.ranking_bars(ranked, indicator, target),
            pull_down=pull_down(villages, township_code),
            trend=None,
            births=None,
            wcba=None,
            notes=[labels.t("drill_pull_down_note")],
        )

    village_name = village_options[village_code]
    village_id = int(in_township.index[in_township["village_code"] == village_code][0])
    own = villages.result[villages.result["code"] == village_code]
    from data_access.queries import month_starts

    starts = tuple(month_starts(period.year, period.end.month))
    monthly = cache.intervals(url, starts, trends.parts_for((indicator,)))
    per_key = trends.unit_counts(monthly, units, "village", village_code)
    series = trends.ytd_series(
        per_key, list(range(1, period.end.month + 1)), period.year,
        trends.unit_template(units, "village", village_code), lambda p: inputs.targets, (indicator,),
    )
    series = series[series["key"] >= period.start.month] if not series.empty else series
    row = own[own["indicator"] == indicator_code].iloc[0]
    target = {"op": row["target_op"], "value": row["target_value"], "low": row["target_low"],
              "high": row["target_high"], "text": row["target"]}
    series = series.assign(month=series["key"].map(lambda k: labels.t("month_n", n=k)))
    trend = charts.series_chart(series, indicator, target, x_field="month", x_title=labels.t("trend_month_col"))
    names = {village_id: village_name}
    births_raw = cache.records(url, "births", period.label, (village_id,))
    wcba_raw = cache.records(url, "wcba", period.label, (village_id,))
    births = births_records(births_raw, names)
    wcba = wcba_records(wcba_raw, names, period)
    scope = f"{township_name}{village_name}"
    return DrillPage(
        level="village",
        heading=f"{township_name} · {village_name} {words}",
        township=(township_code, township_name),
        village=(village_code, village_name),
        township_options=township_options,
        village_options=village_options,
        table=_village_indicators(own, scope, period),
        chart=None,
        pull_down={},
        trend=trend,
        births=_records_table(births, labels.t("records_title_births"), scope, period, (labels.t("col_birth_date"),)),
        wcba=_records_table(wcba, labels.t("records_title_wcba"), scope, period, (labels.t("col_married_on"),)),
        notes=[labels.t("drill_masked")],
    )


def _village_indicators(result: pd.DataFrame, scope: str, period: Period) -> Table:
    """A village's indicators with numerator, denominator, interval, target and status."""
    d = style.decorate(result)
    display = pd.DataFrame(
        {
            labels.t("indicator"): d["indicator_name"],
            labels.t("value"): d["value_text"],
            labels.t("projection"): d["projection_text"],
            labels.t("interval"): d["interval_text"],
            labels.t("target"): d["target"],
            labels.t("status"): d["badge"],
            labels.t("numerator"): d["numerator"].map(style.fmt_count),
            labels.t("denominator"): d["denominator"].map(style.fmt_count),
        }
    )
    if period.is_full_year:
        display = display.drop(columns=[labels.t("projection")])
    status = pd.DataFrame({c: [""] * len(d) for c in display.columns}, index=display.index)
    status[labels.t("status")] = list(d["status"])
    words = period_words(period)
    title = labels.t("drill_village_indicators", village=scope)
    return Table(
        display=display,
        status=status,
        export=long_export(result, labels.t("name")),
        context=ExportContext(title=title, scope=scope, period=words, status_column=labels.t("status")),
        stem=(ind.county().short_name, scope, labels.t("indicator"), words),
    )
