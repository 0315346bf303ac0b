"""The county cards of every target: the headline indicators, the service indicators and the new
demonstration sites — the same cards on the overview, the services page and the meeting."""

from __future__ import annotations

import math

import pandas as pd

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import sites
from dashboard.domain.report import Report
from dashboard.render import formats, style
from dashboard.render.cards import Card


def _yoy(now: pd.Series, last: pd.DataFrame | None, indicator: ind.Indicator) -> float | None:
    if last is None:
        return None
    match = last[last["indicator"] == indicator.code]
    if match.empty:
        return None
    before = float(match["value"].iloc[0])
    value = float(now["value"])
    if math.isnan(before) or math.isnan(value):
        return None
    return value - before


def county_cards(
    county: Report, county_last_year: Report | None = None, *, indicators: tuple[ind.Indicator, ...] = ind.HEADLINE
) -> list[Card]:
    """One card per indicator of ``indicators`` for the county level report."""
    partial = not county.period.is_full_year
    last = county_last_year.result if county_last_year is not None else None
    cards: list[Card] = []
    wanted = [i.code for i in indicators]
    rows = formats.decorate(county.result[county.result["indicator"].isin(wanted)], county.settings.county)
    for _, row in rows.iterrows():
        indicator = ind.get(row["indicator"])
        yoy = _yoy(row, last, indicator)
        small = bool(row["small_numbers"])
        cards.append(
            Card(
                code=indicator.code,
                title=row["indicator_short"],
                full_name=row["indicator_name"],
                value=float(row["value"]),
                value_text=row["value_text"],
                projection=float(row["projection"]),
                projection_text=row["projection_text"] if partial and indicator.projected else None,
                target_text=row["target"],
                status=str(row["status"]),
                badge=row["badge"],
                small_numbers=small,
                numerator=float(row["numerator"]),
                denominator=float(row["denominator"]),
                n_text=row["n_text"],
                interval_text=row["interval_text"],
                yoy=yoy,
                yoy_text=formats.fmt_signed(yoy, indicator) if yoy is not None else None,
                lower_is_better={"<=": True, ">=": False}.get(row["target_op"]),
                group=indicator.group,
            )
        )
    return cards


def _sites_known(report: Report) -> bool:
    """Whether the registry records sites, for a period its data covers."""
    return sites.recorded(report.tables) and (report.covered is None or report.covered.kind != "none")


def county_sites(county: Report, townships: Report) -> sites.CountySites:
    """The county's new demonstration sites against the plan's goals (no data unrecorded)."""
    return sites.county_sites(
        county.rolled,
        townships.rolled,
        county.period,
        county.settings.site_goals,
        recorded=_sites_known(county),
    )


def township_sites(townships: Report) -> pd.DataFrame:
    """Each township's new township-level sites against its goal (``sites.township_sites``)."""
    return sites.township_sites(
        townships.rolled, townships.period, townships.settings.site_goals, recorded=_sites_known(townships)
    )


def sites_cell(new: int, goal: float, status: str) -> str:
    """'1/1 ✔'; '无数据' when the registry records no sites."""
    if status == "no_data":
        return formats.no_data_text()
    return f"{int(new)}/{goal:g} {style.STATUS_SYMBOLS[status]}"


def sites_card(county: Report, townships: Report) -> Card:
    """The new-demonstration-sites card: county-level, township-level and supply sites
    against +2 / +1 per township / +2, coloured by the worst of the three."""
    found = county_sites(county, townships)
    known = found.status != "no_data"
    parts = (
        (found.statuses[0], labels.t("sites_line_county", n=found.county_level, goal=f"{found.county_goal:g}")),
        (found.statuses[1], labels.t("sites_line_townships", n=found.townships_met, total=found.townships)),
        (found.statuses[2], labels.t("sites_line_supply", n=found.supply, goal=f"{found.supply_goal:g}")),
    )
    return Card(
        code=sites.SITES_CODE,
        title=labels.t("sites_short"),
        full_name=labels.t("sites_title"),
        value=float(found.county_level),
        value_text=f"{found.county_level} / {found.county_goal:g}" if known else formats.no_data_text(),
        projection=float(found.county_level),
        projection_text=None,
        target_text=labels.t(
            "sites_target",
            county=f"{found.county_goal:g}",
            township=f"{found.township_goal:g}",
            supply=f"{found.supply_goal:g}",
        ),
        status=found.status,
        badge=formats.status_badge(found.status),
        small_numbers=False,
        numerator=float(found.county_level),
        denominator=float(found.county_goal),
        n_text="",
        interval_text="",
        yoy=None,
        yoy_text=None,
        lower_is_better=None,
        group="service",
        lines=parts if known else (),
    )


def all_cards(county: Report, townships: Report, county_last_year: Report | None = None) -> list[Card]:
    """One card per target of the work plan: the five headline ones, then the service work
    (the six service indicators and the new demonstration sites)."""
    cards = county_cards(county, county_last_year, indicators=ind.HEADLINE)
    if county.has_services:
        cards += county_cards(county, county_last_year, indicators=ind.SERVICE)
        cards.append(sites_card(county, townships))
    return cards
