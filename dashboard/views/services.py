"""The services page: the service indicators, quota progress with the full-year projection,
new demonstration sites against the year's goals, and the reward payments to act on."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain.report import Report
from dashboard.render import charts, formats, tables
from dashboard.render.cards import Card
from dashboard.render.exports import ExportContext
from dashboard.render.tables import Table
from dashboard.views.cards import county_cards, county_sites, township_sites

SERVICE_CODES = frozenset(i.code for i in ind.SERVICE)
QUOTA_CODES = ("pregnancy_check_completion", "folic_acid_completion")


@dataclass(frozen=True)
class ServicesPage:
    heading: str
    cards: list[Card]
    table: Table
    quota_charts: list[charts.Spec]  # one per quota indicator (none without quotas)
    sites: Table
    sites_note: str
    rewards: Table | None  # the late or unpaid rewards (None: the user may not see person lists)
    notes: list[str]


def sites_table(county: Report, townships: Report) -> tuple[pd.DataFrame, pd.DataFrame]:
    """New demonstration sites in the period against the year's goals, with status."""
    found = county_sites(county, townships)
    name = formats.county_name(county.settings.county)
    rows = [
        (labels.t("sites_county_level"), name, found.county_level, found.county_goal, found.statuses[0]),
        (labels.t("sites_supply"), name, found.supply, found.supply_goal, found.statuses[2]),
    ]
    for t in township_sites(townships).itertuples():
        rows.append((labels.t("sites_township_level"), t.name, int(t.new), float(t.goal), str(t.status)))
    frame = pd.DataFrame(
        rows, columns=[labels.t("sites_kind"), labels.t("name"), labels.t("sites_new"), labels.t("target"), "_status"]
    )
    states = list(frame.pop("_status"))
    frame[labels.t("target")] = frame[labels.t("target")].map(lambda g: f"≥ {g:g}")
    frame[labels.t("status")] = [formats.status_badge(s) for s in states]
    status_frame = pd.DataFrame({col: [""] * len(frame) for col in frame.columns})
    status_frame[labels.t("status")] = states
    return frame, status_frame


def build(county: Report, townships: Report, rewards_raw: pd.DataFrame | None, units: pd.DataFrame) -> ServicesPage:
    period = county.period
    c = county.settings.county
    words = formats.period_words(period)
    scope = formats.county_name(c)
    combined = pd.concat([county.result, townships.result], ignore_index=True)
    service = combined[combined["indicator"].isin(SERVICE_CODES)]
    display, status = tables.status_cells(
        service, c, ind.SERVICE, partial=not period.is_full_year, name_header=labels.t("name"), with_code=True
    )
    table = tables.matrix_table(
        display,
        status,
        service,
        c,
        ind.SERVICE,
        period=period,
        title=labels.t("services_title"),
        scope=scope,
        stem=(c.short_name, labels.t("services_title"), words),
        name_header=labels.t("name"),
    )
    sites, sites_status = sites_table(county, townships)
    rewards = tables.rewards_records(rewards_raw, units) if rewards_raw is not None else None
    quota_rows = formats.decorate(townships.result[townships.result["indicator"].isin(QUOTA_CODES)], c)
    return ServicesPage(
        heading=labels.t("services_heading", county=scope, period=words),
        cards=county_cards(county, indicators=ind.SERVICE),
        table=table,
        quota_charts=charts.quota_charts(quota_rows),
        sites=Table(
            sites,
            sites_status,
            sites,
            ExportContext(title=labels.t("sites_title"), scope=scope, period=words),
            (c.short_name, labels.t("sites_title"), words),
        ),
        sites_note=labels.t("sites_note"),
        rewards=None
        if rewards is None
        else Table(
            rewards,
            None,
            rewards,
            ExportContext(
                title=labels.t("rewards_title"),
                scope=scope,
                period=words,
                number_formats={labels.t("reward_due_date"): "yyyy-mm-dd", labels.t("reward_paid_on"): "yyyy-mm-dd"},
            ),
            (c.short_name, labels.t("rewards_title"), words),
        ),
        notes=[labels.t("services_note")],
    )
