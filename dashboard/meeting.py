"""Meeting mode: one idea per slide for a 1920×1080 projector.

Slides: county status (the headline cards), the township ranking, the map, and the villages
furthest behind. Content comes from the same reports as every other page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import altair as alt
import pandas as pd

from dashboard import charts, labels, ranking, style
from dashboard import indicators as ind
from dashboard.overview import Card, county_cards, period_words
from dashboard.periods import Period
from dashboard.report import Report

SLIDES: tuple[str, ...] = ("status", "ranking", "map", "laggards")

CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
header[data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 1.2rem !important; padding-bottom: 0 !important; max-width: 100% !important; }
.meeting-title { font-size: 3.2rem; font-weight: 800; color: #102a43; margin: 0 0 0.4rem 0; line-height: 1.2; }
.meeting-sub { font-size: 1.6rem; color: #334e68; margin-bottom: 0.8rem; }
.meeting-card { border-radius: 0.8rem; padding: 1.2rem 1.4rem; color: #111; min-height: 16rem; }
.meeting-card h3 { font-size: clamp(1.4rem, 1.9vw, 2rem); margin: 0 0 0.4rem 0; color: #111; white-space: nowrap; }
.meeting-value { font-size: clamp(2.2rem, 3.3vw, 4.2rem); font-weight: 800; line-height: 1.1; white-space: nowrap; }
.meeting-badge { font-size: 2rem; font-weight: 800; color: #fff; padding: 0.1rem 0.8rem; border-radius: 0.4rem; display: inline-block; margin: 0.3rem 0; }
.meeting-line { font-size: 1.6rem; margin: 0.2rem 0; }
.meeting-table { width: 100%; border-collapse: collapse; font-size: 1.7rem; }
.meeting-table th { text-align: left; background: #102a43; color: #fff; padding: 0.5rem 0.8rem; }
.meeting-table td { padding: 0.45rem 0.8rem; border-bottom: 2px solid #d9e2ec; }
.meeting-footer { font-size: 1.3rem; color: #486581; margin-top: 0.6rem; }
[data-testid="stButton"] button p { font-size: 1.4rem; }
</style>
"""


@dataclass(frozen=True)
class MeetingDeck:
    period: Period
    title: str
    cards: list[Card]
    score_chart: alt.TopLevelMixin
    laggards: pd.DataFrame


def laggards(villages: Report, top: int = 10) -> pd.DataFrame:
    """Villages furthest behind: lowest assessment score, with the targets they miss.

    Misses whose interval cannot tell red from green carry the '?' mark.
    """
    scored = ranking.assessment(villages.result)
    worst = scored.sort_values(["score", "code"], ascending=[True, True], kind="stable").head(top)
    lookup = villages.result.set_index(["code", "indicator"])
    township = villages.result.drop_duplicates("code").set_index("code")["township_name"]
    missed: list[str] = []
    for code in worst["code"]:
        names = []
        for indicator in ind.HEADLINE:
            row = lookup.loc[(code, indicator.code)]
            if row["status"] == "red":
                names.append(indicator.short + (" ?" if row["small_numbers"] else ""))
        missed.append("、".join(names) or "—")
    return pd.DataFrame(
        {
            labels.t("township"): worst["code"].map(township).to_numpy(),
            labels.t("village"): worst["name"].to_numpy(),
            labels.t("score"): worst["score"].round(0).astype(int).to_numpy(),
            labels.t("status_red"): missed,
        }
    )


def overall_status(townships: Report) -> pd.DataFrame:
    """Per township the worst headline status (any red → red, any amber → amber, all met →
    green) with its assessment score as the text — the map slide's colouring."""
    table = ranking.assessment(townships.result).set_index("code")
    order = {"red": 3, "amber": 2, "green": 1, "no_data": 0}
    rows = []
    for code, unit in ind.headline(townships.result).groupby("code", sort=False):
        statuses = list(unit["status"])
        worst = max(statuses, key=lambda s: order[s])
        score = table.loc[code, "score"]
        rows.append(
            {
                "code": code,
                "name": unit["name"].iloc[0],
                "value": float(score),
                "value_text": f"{labels.t('score')} {score:.1f}",
                "target_text": f"{labels.t('max_score')} {table.loc[code, 'max_score']:.0f}",
                "status": "red" if table.loc[code, "veto"] else worst,
                "small_numbers": False,
                "n_text": "、".join(
                    ind.get(r.indicator).short for r in unit.itertuples() if r.status == "red"
                ) or "—",
            }
        )
    return pd.DataFrame(rows)


def build(county: Report, county_last: Report | None, townships: Report, villages: Report) -> MeetingDeck:
    c = ind.county()
    table = ranking.assessment(townships.result)
    return MeetingDeck(
        period=county.period,
        title=f"{c.display_name} {period_words(county.period)}",
        cards=county_cards(county, county_last),
        score_chart=charts.configure(charts.score_bars(table, big=True), big=True),
        laggards=laggards(villages),
    )


def card_html(card: Card) -> str:
    """A large, high-contrast card: status by colour, symbol and word."""
    colour = style.STATUS_COLOURS[card.status]
    tint = style.STATUS_TINTS[card.status]
    lines = [
        f'<div class="meeting-card" style="background:{tint}; border-left: 1rem solid {colour}">',
        f"<h3>{html.escape(card.title)}</h3>",
        f'<div class="meeting-value">{html.escape(card.value_text)}</div>',
        f'<div class="meeting-badge" style="background:{colour}">{html.escape(card.badge)}</div>',
        f'<div class="meeting-line">{labels.t("target")} {html.escape(card.target_text)}</div>',
    ]
    if card.projection_text:
        lines.append(f'<div class="meeting-line"><b>{labels.t("projection")} {html.escape(card.projection_text)}</b></div>')
    lines.append(f'<div class="meeting-line">n = {html.escape(card.n_text)}</div>')
    lines.append("</div>")
    return "".join(lines)


def table_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f'<table class="meeting-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def deck(url: str, period: Period) -> MeetingDeck:
    """The slides' content for ``period`` from the cached reports."""
    from dashboard import cache
    from dashboard.periods import PeriodError

    county = cache.report_for(url, period, "county")
    try:
        last = cache.report_for(url, period.same_period_last_year(), "county", with_services=False)
    except PeriodError:
        last = None
    return build(county, last, cache.report_for(url, period, "township"), cache.report_for(url, period, "village"))
