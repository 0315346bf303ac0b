"""Meeting mode: one idea per slide for a 1920×1080 projector.

Slides: the county's status on every target, the township × target scorecard, the township
ranking, the map, and the villages furthest behind. Content comes from the same reports as
every other page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import altair as alt
import pandas as pd

from dashboard import charts, labels, ranking, sites, style
from dashboard import indicators as ind
from dashboard.overview import Card, all_cards, period_words
from dashboard.overview import sites_cell as overview_sites_cell
from dashboard.periods import Period
from dashboard.report import Report

SLIDES: tuple[str, ...] = ("targets", "scorecard", "ranking", "map", "laggards")

CSS = """
<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
header[data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 1.2rem !important; padding-bottom: 0 !important; max-width: 100% !important; }
.meeting-title { font-size: 3.2rem; font-weight: 800; color: #102a43; margin: 0 0 0.4rem 0; line-height: 1.2; }
.meeting-sub { font-size: 1.6rem; color: #334e68; margin-bottom: 0.8rem; }
.meeting-group { font-size: 1.7rem; font-weight: 800; color: #334e68; margin: 0.6rem 0 0.3rem 0; }
.meeting-grid { display: grid; gap: 0.8rem; }
.meeting-card { border-radius: 0.8rem; padding: 0.8rem 1rem; color: #111; min-width: 0; overflow-wrap: anywhere; }
.meeting-card h3 { font-size: clamp(1.2rem, 1.3vw, 1.6rem); margin: 0 0 0.2rem 0; color: #111; line-height: 1.2; white-space: nowrap; }
.meeting-value { font-size: clamp(1.8rem, 2.4vw, 2.9rem); font-weight: 800; line-height: 1.1; white-space: nowrap; }
.meeting-badge { font-size: 1.6rem; font-weight: 800; color: #fff; padding: 0.05rem 0.6rem; border-radius: 0.4rem; display: inline-block; margin: 0.25rem 0; }
.meeting-line { font-size: 1.5rem; margin: 0.1rem 0; line-height: 1.25; }
.meeting-muted { opacity: 0.6; }
.meeting-table { width: 100%; border-collapse: collapse; font-size: 1.7rem; }
.meeting-table th { text-align: left; background: #102a43; color: #fff; padding: 0.5rem 0.8rem; }
.meeting-table td { padding: 0.45rem 0.8rem; border-bottom: 2px solid #d9e2ec; }
.meeting-scorecard { width: 100%; border-collapse: collapse; font-size: 1.5rem; table-layout: auto; }
.meeting-scorecard th { background: #102a43; color: #fff; padding: 0.35rem 0.3rem; font-size: 1.5rem; line-height: 1.15; }
.meeting-scorecard td { padding: 0.2rem 0.3rem; border: 2px solid #fff; text-align: center; white-space: nowrap; }
.meeting-scorecard td.name { text-align: left; font-weight: 700; }
.meeting-legend { font-size: 1.5rem; color: #243b53; margin-top: 0.5rem; }
.meeting-footer { font-size: 1.3rem; color: #486581; margin-top: 0.6rem; }
[data-testid="stButton"] button p { font-size: 1.4rem; }
</style>
"""


@dataclass(frozen=True)
class Scorecard:
    """Townships as rows (rank order, vetoed last), every target as a column."""

    table: pd.DataFrame  # display text
    status: pd.DataFrame  # same shape: status codes ('' for plain cells)
    small: pd.DataFrame  # same shape: True where the value is small numbers (drawn muted)


@dataclass(frozen=True)
class MeetingDeck:
    period: Period
    title: str
    cards: list[Card]
    scorecard: Scorecard
    score_chart: alt.TopLevelMixin
    laggards: pd.DataFrame


def laggards(villages: Report, top: int = 10) -> pd.DataFrame:
    """Villages furthest behind: those with a conclusive miss first (lowest assessment score
    first), then those whose misses are all small numbers ('?'), each with the targets missed.
    """
    scored = ranking.assessment(villages.result)
    headline = villages.result[villages.result["indicator"].isin([i.code for i in ind.HEADLINE])]
    red = headline[headline["status"] == "red"]
    conclusive = set(red.loc[~red["small_numbers"].astype(bool), "code"])
    behind = scored[scored["code"].isin(set(red["code"]))].copy()
    behind["_uncertain"] = ~behind["code"].isin(conclusive)
    worst = behind.sort_values(["_uncertain", "score", "code"], kind="stable").head(top)
    lookup = villages.result.set_index(["code", "indicator"])
    township = villages.result.drop_duplicates("code").set_index("code")["township_name"]
    missed: list[str] = []
    for code in worst["code"]:
        names = []
        for indicator in ind.HEADLINE:
            row = lookup.loc[(code, indicator.code)]
            if row["status"] == "red":
                names.append(indicator.short + style.small_mark(bool(row["small_numbers"])))
        missed.append("、".join(names))
    return pd.DataFrame(
        {
            labels.t("township"): worst["code"].map(township).to_numpy(),
            labels.t("village"): worst["name"].to_numpy(),
            labels.t("score"): worst["score"].round(0).astype(int).to_numpy(),
            labels.t("status_red"): missed,
        }
    )


def scorecard(county: Report, townships: Report) -> Scorecard:
    """The leadership group's scorecard: each township's status on every target (the judged
    value, symbol and '?'), new sites, assessment score and 一票否决, sorted by score."""
    scored = ranking.assessment(townships.result)
    result = townships.result.set_index(["code", "indicator"])
    indicators = [i for i in ind.CATALOGUE if i.code in set(townships.result["indicator"])]
    per_township = (
        sites.township_sites(townships.rolled, county.period, recorded=sites.recorded(townships.tables)).set_index("code")
        if "new_sites_township" in townships.rolled.columns else None
    )
    text: dict[str, list[object]] = {labels.t("rank"): list(scored["rank"]), labels.t("township"): list(scored["name"])}
    status: dict[str, list[str]] = {labels.t("rank"): [""] * len(scored), labels.t("township"): [""] * len(scored)}
    small: dict[str, list[bool]] = {labels.t("rank"): [False] * len(scored), labels.t("township"): [False] * len(scored)}
    for indicator in indicators:
        cells, states, marks = [], [], []
        for code in scored["code"]:
            r = result.loc[(code, indicator.code)]
            judged = float(r["projection"])
            cells.append(style.no_data_text() if r["status"] == "no_data" else
                         f"{style.fmt_number(judged, indicator.decimals)} {style.STATUS_SYMBOLS[r['status']]}"
                         f"{style.small_mark(bool(r['small_numbers']))}")
            states.append(str(r["status"]))
            marks.append(bool(r["small_numbers"]))
        text[indicator.short], status[indicator.short], small[indicator.short] = cells, states, marks
    if per_township is not None:
        column = labels.t("sites_short")
        rows = [per_township.loc[c] for c in scored["code"]]
        text[column] = [overview_sites_cell(r) for r in rows]
        status[column] = [str(r["status"]) for r in rows]
        small[column] = [False] * len(rows)
    text[labels.t("score")] = [f"{v:.1f}" for v in scored["score"]]
    status[labels.t("score")] = ["red" if v else "" for v in scored["veto"]]
    small[labels.t("score")] = [False] * len(scored)
    text[labels.t("veto")] = [f"✖ {labels.t('veto')}" if v else "" for v in scored["veto"]]
    status[labels.t("veto")] = ["red" if v else "" for v in scored["veto"]]
    small[labels.t("veto")] = [False] * len(scored)
    return Scorecard(pd.DataFrame(text), pd.DataFrame(status), pd.DataFrame(small))


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
        cards=all_cards(county, townships, county_last),
        scorecard=scorecard(county, townships),
        score_chart=charts.configure(charts.score_bars(table, big=True), big=True),
        laggards=laggards(villages),
    )


def card_html(card: Card) -> str:
    """A large, high-contrast card: status by colour, symbol and word; small numbers muted."""
    colour = style.STATUS_COLOURS[card.status]
    tint = style.STATUS_TINTS[card.status]
    muted = " meeting-muted" if card.small_numbers else ""
    lines = [
        f'<div class="meeting-card" style="background:{tint}; border-left: 0.8rem solid {colour}">',
        f"<h3>{html.escape(card.title)}</h3>",
        f'<div class="meeting-value{muted}">{html.escape(card.value_text)}</div>',
        f'<div class="meeting-badge" style="background:{colour}">{html.escape(card.badge)}</div>',
        f'<div class="meeting-line">{labels.t("target")} {html.escape(card.target_text)}</div>',
    ]
    if card.projection_text:
        lines.append(f'<div class="meeting-line"><b>{labels.t("projection")} {html.escape(card.projection_text)}</b></div>')
    for status, text in card.lines:
        lines.append(f'<div class="meeting-line">{style.STATUS_SYMBOLS[status]} {html.escape(text)}</div>')
    if card.n_text:
        lines.append(f'<div class="meeting-line">n = {html.escape(card.n_text)}</div>')
    lines.append("</div>")
    return "".join(lines)


def cards_html(cards: list[Card]) -> str:
    """Every target's card on one slide: the headline row, then the service work."""
    parts = []
    for group, columns in (("headline", 5), ("service", 7)):
        members = [c for c in cards if c.group == group]
        if not members:
            continue
        parts.append(f'<div class="meeting-group">{html.escape(labels.t(f"overview_group_{group}"))}</div>')
        parts.append(f'<div class="meeting-grid" style="grid-template-columns: repeat({columns}, minmax(0, 1fr))">'
                     + "".join(card_html(c) for c in members) + "</div>")
    return "".join(parts)


def scorecard_html(card: Scorecard) -> str:
    """The scorecard as an HTML table: cells tinted by status, symbols and '?' in the text."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in card.table.columns)
    rows = []
    for i in range(len(card.table)):
        cells = []
        for j, column in enumerate(card.table.columns):
            state = str(card.status.iloc[i, j])
            style_attr = f' style="background:{style.STATUS_TINTS[state]}"' if state in style.STATUS_TINTS else ""
            cls = ' class="name"' if j == 1 else (' class="meeting-muted"' if bool(card.small.iloc[i, j]) else "")
            cells.append(f"<td{cls}{style_attr}>{html.escape(str(card.table.iloc[i, j]))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="meeting-scorecard"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def legend_html(note: str = "") -> str:
    """The marks' legend (after ``note``, e.g. how the scorecard is sorted) in one line."""
    text = f"{note}　{labels.t('legend_marks')}" if note else labels.t("legend_marks")
    return f'<div class="meeting-legend">{html.escape(text)}</div>'


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
