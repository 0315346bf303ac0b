"""The Services page's content: service indicators, quota progress, demonstration sites,
and the reward payments to act on."""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from dashboard import labels, privacy, style
from dashboard import indicators as ind
from dashboard import targets as tr
from dashboard.drilldown import Table, long_export, wide_table
from dashboard.exports import ExportContext
from dashboard.overview import Card, county_cards, period_words
from dashboard.periods import Period
from dashboard.report import Report


@dataclass(frozen=True)
class ServicesPage:
    heading: str
    cards: list[Card]
    table: Table
    quota_charts: list[alt.TopLevelMixin]  # one per quota indicator (none without quotas)
    sites: Table
    sites_note: str
    rewards: Table
    notes: list[str]


def _service_only(report: Report) -> Report:
    result = report.result[report.result["indicator"].isin([i.code for i in ind.SERVICE])]
    return Report(report.period, report.level, report.rolled, result, report.default_targets_used, report.tables)


def quota_frame(townships: Report) -> pd.DataFrame:
    """Per township and quota indicator: value so far and the full-year projection."""
    codes = ["pregnancy_check_completion", "folic_acid_completion"]
    rows = style.decorate(townships.result[townships.result["indicator"].isin(codes)])
    rows = rows.assign(short=rows["indicator"].map(lambda c: ind.get(c).short))
    return rows


def quota_charts(rows: pd.DataFrame) -> list[alt.TopLevelMixin]:
    """Bars of quota completion so far, a tick at the full-year projection, the 100 % line."""
    colour = alt.Scale(domain=[style.status_word(s) for s in tr.STATUSES],
                       range=[style.STATUS_COLOURS[s] for s in tr.STATUSES])
    data = rows.dropna(subset=["value"]).assign(status_word=lambda f: f["status"].map(style.status_word))
    y = alt.Y("name:N", title=None, sort=list(dict.fromkeys(data["name"])), axis=alt.Axis(labelOverlap=False))
    bars = alt.Chart(data).mark_bar().encode(
        y=y, x=alt.X("value:Q", title=labels.t("services_quota_axis")),
        color=alt.Color("status_word:N", scale=colour, title=labels.t("status")),
        tooltip=[alt.Tooltip("name:N", title=labels.t("township")), alt.Tooltip("value_text:N", title=labels.t("value")),
                 alt.Tooltip("projection_text:N", title=labels.t("projection")), alt.Tooltip("n_text:N", title="n")],
    )
    ticks = alt.Chart(data).mark_tick(color="#111", thickness=3, size=18).encode(y=y, x="projection:Q")
    rule = alt.Chart().mark_rule(color="#333", strokeDash=[6, 3], strokeWidth=2).encode(x=alt.datum(100))
    height = max(160, data["name"].nunique() * 30)
    return [
        alt.layer(
            bars.transform_filter(alt.datum.short == short),
            ticks.transform_filter(alt.datum.short == short),
            rule,
        ).properties(title=short, height=height, width="container")
        for short in dict.fromkeys(data["short"])
    ]


def sites_table(county: Report, townships: Report, period: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
    """New demonstration sites in the period against the year's targets, with status."""
    goals = tr.config().get("demo_sites", {})
    county_goal = float(goals.get("county_level", 2))
    township_goal = float(goals.get("per_township", 1))
    supply_goal = float(goals.get("supply_standard", 2))
    year_over = period.end.month == 12 and period.end.day == 31

    def status(n: float, goal: float) -> str:
        return tr.GREEN if n >= goal else (tr.RED if year_over else tr.AMBER)

    rows = []
    c = county.rolled.iloc[0]
    rows.append((labels.t("sites_county_level"), ind.county().display_name, int(c["new_sites_county"]), county_goal))
    rows.append((labels.t("sites_supply"), ind.county().display_name, int(c["new_supply_sites"]), supply_goal))
    for _, t in townships.rolled.iterrows():
        rows.append((labels.t("sites_township_level"), t["name"], int(t["new_sites_township"]), township_goal))
    frame = pd.DataFrame(rows, columns=[labels.t("sites_kind"), labels.t("name"), labels.t("sites_new"), labels.t("target")])
    states = [status(n, g) for n, g in zip(frame[labels.t("sites_new")], frame[labels.t("target")])]
    frame[labels.t("target")] = frame[labels.t("target")].map(lambda g: f"≥ {g:g}")
    frame[labels.t("status")] = [style.status_badge(s) for s in states]
    status_frame = pd.DataFrame({col: [""] * len(frame) for col in frame.columns})
    status_frame[labels.t("status")] = states
    return frame, status_frame


def rewards_table(raw: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Masked list of payments to act on, with what is wrong (late, short, unpaid)."""
    masked = privacy.mask_frame(raw, names=("name",), id_numbers=("id_number",))
    due = pd.to_numeric(raw["amount_due"], errors="coerce")
    paid = pd.to_numeric(raw["amount_paid"], errors="coerce")
    due_on = pd.to_datetime(raw["due_date"].astype("string").str.slice(0, 10), errors="coerce")
    paid_on = pd.to_datetime(raw["paid_on"].astype("string").str.slice(0, 10), errors="coerce")
    problem = np.where(paid.isna() | paid_on.isna(), labels.t("reward_unpaid"),
                       np.where(paid < due, labels.t("reward_short"), labels.t("reward_late")))
    village = raw["village_id"].map(units["village_name"])
    township = raw["village_id"].map(units["township_name"])
    return pd.DataFrame(
        {
            labels.t("township"): township,
            labels.t("village"): village,
            labels.t("col_name"): masked["name"],
            labels.t("col_id_number"): masked["id_number"],
            labels.t("reward_scheme"): raw["scheme"],
            labels.t("reward_due"): due,
            labels.t("reward_paid"): paid,
            # One type per column: dates, and None (an empty cell) where nothing was paid.
            labels.t("reward_due_date"): due_on.dt.date.astype(object).where(due_on.notna(), None),
            labels.t("reward_paid_on"): paid_on.dt.date.astype(object).where(paid_on.notna(), None),
            labels.t("reward_problem"): problem,
        }
    )


def page(url: str, period: Period) -> ServicesPage:
    from dashboard import cache

    county = cache.report_for(url, period, "county")
    townships = cache.report_for(url, period, "township")
    county_s, townships_s = _service_only(county), _service_only(townships)
    words = period_words(period)
    c = ind.county()
    combined = pd.concat([county_s.result, townships_s.result], ignore_index=True)
    display, status = wide_table(combined, labels.t("name"), not period.is_full_year)
    table = Table(display, status, long_export(combined, labels.t("name")),
                  ExportContext(title=labels.t("services_title"), scope=c.display_name, period=words,
                                status_column=labels.t("status")),
                  (c.short_name, labels.t("services_title"), words))
    sites, sites_status = sites_table(county, townships, period)
    units = cache.units(url)
    rewards = rewards_table(cache.reward_problems(url, period.label), units)
    return ServicesPage(
        heading=labels.t("services_heading", county=c.display_name, period=words),
        cards=county_cards(county_s, indicators=ind.SERVICE),
        table=table,
        quota_charts=quota_charts(quota_frame(townships)),
        sites=Table(sites, sites_status, sites, ExportContext(title=labels.t("sites_title"), scope=c.display_name,
                                                              period=words),
                    (c.short_name, labels.t("sites_title"), words)),
        sites_note=labels.t("sites_note"),
        rewards=Table(rewards, None, rewards, ExportContext(title=labels.t("rewards_title"), scope=c.display_name,
                                                           period=words,
                                                           number_formats={labels.t("reward_due_date"): "yyyy-mm-dd",
                                                                           labels.t("reward_paid_on"): "yyyy-mm-dd"}),
                      (c.short_name, labels.t("rewards_title"), words)),
        notes=[labels.t("services_note")],
    )
