"""The meeting deck: one idea per slide for a 1920×1080 projector — the county's status on
every target, the township × target scorecard, the township ranking, the map, the villages
furthest behind. Built from the same reports as every other page."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime

import altair as alt
import pandas as pd
from PIL import Image as PILImage

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain.periods import Period
from dashboard.domain.report import Report
from dashboard.render import charts, formats, pack, style, vega
from dashboard.render.cards import Card
from dashboard.render.maps.slide_map import SlideMap, slide_map
from dashboard.render.tables import StatusTable
from dashboard.views.cards import all_cards, sites_cell, township_sites
from dashboard.views.map import Boundaries

SLIDES: tuple[str, ...] = ("targets", "scorecard", "ranking", "map", "laggards")

#: The slides' charts in their own pixels: drawn at this size on a 1920×1080 screen (scaled
#: with the screen below it), so that their 26–28 px type is 26–28 CSS px there.
CHART_HEIGHT = 806  # 42 × 19.2 px: the height .meeting-chart gives it at 1920×1080
MAP_HEIGHT = 845  # 44 × 19.2 px
CHART_WIDTH = 1820
MAP_MAX_WIDTH = 1000
#: Type in the slides' charts (axis labels, bar values, legend): ≥ 24 px at 1920×1080.
CHART_TYPE = 26


@dataclass(frozen=True)
class MeetingMap:
    """The map slide: the chart, the townships in words beside it (rank order), the rule the
    colours follow, the swatches of the legend as (status, symbol, words), and whether the
    polygons are schematic (示意图)."""

    map: SlideMap
    side: pd.DataFrame
    rule: str
    swatches: tuple[tuple[str, str, str], ...]
    schematic: bool


@dataclass(frozen=True)
class MeetingDeck:
    """Every slide's content, in the reader's words — the one source of the slides on screen,
    the PDF and the PowerPoint. ``as_of``: the last day the data covers in the period."""

    period: Period
    title: str
    as_of: str = ""
    cards: list[Card] = field(default_factory=list)
    scorecard: StatusTable | None = None
    score_chart: alt.TopLevelMixin | None = None
    ranking: pd.DataFrame | None = None
    map: MeetingMap | None = None
    laggards: pd.DataFrame | None = None


def laggards(villages: Report, top: int = 10) -> pd.DataFrame:
    """Villages furthest behind: those with a conclusive miss first (lowest assessment score
    first), then those whose misses are all small numbers ('?'), each with the targets missed.
    """
    scored = villages.assessment
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
                names.append(formats.indicator_short(indicator.code) + formats.small_mark(bool(row["small_numbers"])))
        missed.append("、".join(names))
    return pd.DataFrame(
        {
            labels.t("township"): worst["code"].map(township).to_numpy(),
            labels.t("village"): worst["name"].to_numpy(),
            labels.t("score"): worst["score"].round(0).astype(int).to_numpy(),
            labels.t("status_red"): missed,
        }
    )


def scorecard(townships: Report) -> StatusTable:
    """The leadership group's scorecard: each township's status on every target (the judged
    value, symbol and '?'), new sites, assessment score and 一票否决, sorted by score."""
    scored = townships.assessment
    result = townships.result.set_index(["code", "indicator"])
    indicators = [i for i in ind.CATALOGUE if i.code in set(townships.result["indicator"])]
    n = len(scored)
    text: dict[str, list[object]] = {labels.t("rank"): list(scored["rank"]), labels.t("township"): list(scored["name"])}
    status: dict[str, list[str]] = {labels.t("rank"): [""] * n, labels.t("township"): [""] * n}
    small: dict[str, list[bool]] = {labels.t("rank"): [False] * n, labels.t("township"): [False] * n}
    for indicator in indicators:
        cells: list[str] = []
        states: list[str] = []
        marks: list[bool] = []
        for code in scored["code"]:
            r = result.loc[(code, indicator.code)]
            cells.append(
                formats.no_data_text()
                if r["status"] == "no_data"
                else f"{formats.fmt_number(float(r['projection']), indicator.decimals)} {style.STATUS_SYMBOLS[r['status']]}"
                f"{formats.small_mark(bool(r['small_numbers']))}"
            )
            states.append(str(r["status"]))
            marks.append(bool(r["small_numbers"]))
        column = formats.indicator_short(indicator.code)
        text[column], status[column], small[column] = list(cells), states, marks
    if townships.has_services:
        per_township = township_sites(townships).set_index("code")
        column = labels.t("sites_short")
        rows = [per_township.loc[c] for c in scored["code"]]
        text[column] = [sites_cell(r["new"], r["goal"], r["status"]) for r in rows]
        status[column] = [str(r["status"]) for r in rows]
        small[column] = [False] * n
    text[labels.t("score")] = [f"{v:.1f}" for v in scored["score"]]
    status[labels.t("score")] = ["red" if v else "" for v in scored["veto"]]
    small[labels.t("score")] = [False] * n
    text[labels.t("veto")] = [f"✖ {labels.t('veto')}" if v else "" for v in scored["veto"]]
    status[labels.t("veto")] = ["red" if v else "" for v in scored["veto"]]
    small[labels.t("veto")] = [False] * n
    return StatusTable(pd.DataFrame(text), pd.DataFrame(status), pd.DataFrame(small))


def overall_status(townships: Report) -> pd.DataFrame:
    """Per township the worst headline status (any red → red, any amber → amber, all met →
    green) with its assessment score as the text — the map slide's colouring."""
    table = townships.assessment.set_index("code")
    order = {"red": 3, "amber": 2, "green": 1, "no_data": 0}
    rows = []
    headline = townships.result[townships.result["indicator"].isin([i.code for i in ind.HEADLINE])]
    for code, unit in headline.groupby("code", sort=False):
        worst = max(unit["status"], key=lambda s: order[s])
        score = table.loc[code, "score"]
        missed = "、".join(formats.indicator_short(r.indicator) for r in unit.itertuples() if r.status == "red")
        rows.append(
            {
                "code": code,
                "name": unit["name"].iloc[0],
                "value": float(score),
                "value_text": f"{labels.t('score')} {score:.1f}",
                "target_text": f"{labels.t('max_score')} {table.loc[code, 'max_score']:.0f}",
                "status": "red" if table.loc[code, "veto"] else worst,
                "small_numbers": False,
                "n_text": missed,
            }
        )
    return pd.DataFrame(rows)


def ranking_chart(townships: Report) -> alt.TopLevelMixin:
    """The ranking slide's bars at the slide's size and type (drawn to SVG, and to PNG for the pack)."""
    bars = charts.score_bars(townships.assessment, big=True, text_size=CHART_TYPE)
    rows = len(townships.assessment)
    chart = bars.properties(width=CHART_WIDTH - 420, height=max(160, min(CHART_HEIGHT - 130, rows * 56)))
    return charts.configure(chart, big=True, size=CHART_TYPE).properties(background="#ffffff")


def ranking_table(townships: Report) -> pd.DataFrame:
    """The ranking in words (rank, township, score, 一票否决): the pack's text behind the chart."""
    scored = townships.assessment
    return pd.DataFrame(
        {
            labels.t("rank"): scored["rank"].to_numpy(),
            labels.t("township"): scored["name"].to_numpy(),
            labels.t("score"): [f"{v:.1f}" for v in scored["score"]],
            labels.t("veto"): [labels.t("veto") if v else "" for v in scored["veto"]],
        }
    )


MAP_SWATCHES: tuple[str, ...] = ("green", "amber", "red", "no_data")


def meeting_map(townships: Report, boundaries: Boundaries, *, height: int = MAP_HEIGHT) -> MeetingMap:
    """The map slide: townships coloured by their worst headline status (a veto counts as
    missed), labelled with name, the same status's symbol and the assessment score, the
    legend stating that rule in words, and the same in a table beside it (rank order)."""
    rows = overall_status(townships)
    order = townships.assessment.set_index("code")["rank"]
    veto = townships.assessment.set_index("code")["veto"].astype(bool).to_dict()
    rows = rows.assign(label_value=[f"{v:.1f}" for v in rows["value"]], _rank=rows["code"].map(order))
    rows = rows.sort_values(["_rank", "code"], kind="stable").reset_index(drop=True)
    drawn = slide_map(boundaries.geojson, rows, height=height, max_width=MAP_MAX_WIDTH)
    side = pd.DataFrame(
        {
            labels.t("township"): rows["name"].to_numpy(),
            labels.t("status"): [
                formats.status_badge(s) + (f"（{labels.t('veto')}）" if veto.get(c, False) else "")
                for s, c in zip(rows["status"], rows["code"])
            ],
            labels.t("score"): rows["label_value"].to_numpy(),
        }
    )
    max_score = float(townships.assessment["max_score"].max()) if len(townships.assessment) else 100.0
    swatches = tuple(
        (s, style.STATUS_SYMBOLS[s], labels.t(f"meeting_map_{s}")) for s in MAP_SWATCHES if s in set(rows["status"])
    )
    return MeetingMap(
        map=drawn,
        side=side,
        rule=labels.t("meeting_map_rule", max=f"{max_score:.0f}"),
        swatches=swatches or tuple((s, style.STATUS_SYMBOLS[s], labels.t(f"meeting_map_{s}")) for s in MAP_SWATCHES),
        schematic=boundaries.schematic,
    )


def as_of_text(report: Report) -> str:
    """The last day the data covers in the report's period (ISO), the period's end when it is all covered."""
    covered = report.covered
    end = covered.end if covered is not None and covered.end is not None else report.period.end
    return end.isoformat()


def build(
    county: Report,
    county_last: Report | None,
    townships: Report | None = None,
    villages: Report | None = None,
    slide: str | None = None,
    boundaries: Boundaries | None = None,
) -> MeetingDeck:
    """The deck's content: every slide (``slide`` None), or only that slide's (the page shows
    one slide at a time and re-reads it as the summaries change). The map slide needs
    ``boundaries``."""

    def wanted(kind: str) -> bool:
        return slide is None or slide == kind

    return MeetingDeck(
        period=county.period,
        title=f"{formats.county_name(county.settings.county)} {formats.period_words(county.period)}",
        as_of=as_of_text(county),
        cards=all_cards(county, townships, county_last) if wanted("targets") and townships else [],
        scorecard=scorecard(townships) if wanted("scorecard") and townships else None,
        score_chart=ranking_chart(townships) if wanted("ranking") and townships else None,
        ranking=ranking_table(townships) if wanted("ranking") and townships else None,
        map=meeting_map(townships, boundaries) if wanted("map") and townships and boundaries else None,
        laggards=laggards(villages) if wanted("laggards") and villages else None,
    )


def _png(chart: alt.TopLevelMixin) -> pack.Image:
    data = vega.to_png(chart, scale=2.0)
    width, height = PILImage.open(io.BytesIO(data)).size
    return pack.Image(data, width, height)


def pack_pages(deck: MeetingDeck) -> list[pack.Page]:
    """The deck's slides as the meeting pack's pages (``deck`` built with every slide): the
    same words and values, charts and the map drawn to PNG."""
    out: list[pack.Page] = []
    for kind in SLIDES:
        title = labels.t(f"meeting_slide_{kind}")
        if kind == "targets":
            groups = []
            for group, columns in (("headline", 5), ("service", 7)):
                members = [c for c in deck.cards if c.group == group]
                if members:
                    groups.append((labels.t(f"overview_group_{group}"), members, columns))
            out.append(pack.Page(kind, title, deck.title, cards=groups))  # the marks' legend is on every page
        elif kind == "scorecard" and deck.scorecard is not None:
            card = deck.scorecard
            n_cols = len(card.text.columns)
            table = pack.Table(
                header=[str(c) for c in card.text.columns],
                rows=[[str(v) for v in row] for row in card.text.itertuples(index=False)],
                status=[[str(v) for v in row] for row in card.status.itertuples(index=False)],
                muted=[[bool(v) for v in row] for row in card.small.itertuples(index=False)],
                widths=[0.6, 1.5] + [1.0] * (n_cols - 2),
            )
            out.append(pack.Page(kind, title, deck.title, table=table, lines=[labels.t("meeting_scorecard_note")]))
        elif kind == "ranking" and deck.score_chart is not None:
            out.append(pack.Page(kind, title, deck.title, image=_png(deck.score_chart)))
        elif kind == "map" and deck.map is not None:
            side = deck.map.side
            lines = [deck.map.rule, *(words for _s, _sym, words in deck.map.swatches)]
            if deck.map.schematic:
                lines.append(labels.t("map_schematic"))
            out.append(
                pack.Page(
                    kind,
                    title,
                    deck.title,
                    image=_png(deck.map.map.chart),
                    side_lines=lines,
                    side_table=pack.Table(
                        [str(c) for c in side.columns],
                        [[str(v) for v in r] for r in side.itertuples(index=False)],
                        widths=[1.6, 1.2, 1.0],
                    ),
                )
            )
        elif kind == "laggards" and deck.laggards is not None:
            frame = deck.laggards
            out.append(
                pack.Page(
                    kind,
                    title,
                    deck.title,
                    table=pack.Table(
                        [str(c) for c in frame.columns],
                        [[str(v) for v in r] for r in frame.itertuples(index=False)],
                        widths=[1.0, 1.2, 0.8, 4.0],
                    ),
                )
            )
    return out


def pack_file(deck: MeetingDeck, kind: str, generated: datetime | None = None) -> bytes:
    """The meeting pack's bytes (``kind`` 'pdf' or 'pptx') from a deck built with every slide:
    the page's download and the CLI's file."""
    info = pack.PackInfo(
        period=formats.period_words(deck.period),
        as_of=deck.as_of,
        generated=(generated or datetime.now()).strftime("%Y-%m-%d %H:%M"),
    )
    return pack.pack_bytes(pack_pages(deck), info, kind, title=deck.title)
