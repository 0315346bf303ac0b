"""The data-quality page's content: counts per check and township, and the records behind them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard import labels, privacy, quality
from dashboard import indicators as ind
from dashboard.exports import ExportContext
from dashboard.overview import period_words
from dashboard.periods import Period, last_complete_month_end


@dataclass(frozen=True)
class QualityPage:
    heading: str
    note: str
    matrix: pd.DataFrame  # check × township counts (+ total)
    matrix_status: pd.DataFrame
    counts_export: pd.DataFrame
    totals: dict[str, int]
    context: ExportContext
    stem: tuple[str, ...]


def check_name(code: str) -> str:
    return labels.t(f"check_{code}")


def page(url: str, period: Period, today: date) -> QualityPage:
    from dashboard import cache

    report = cache.quality(url, period.label, today)
    counts = report.counts
    townships = counts.drop_duplicates("township_code")[["township_code", "township_name"]]
    table = counts.pivot_table(index="check", columns="township_name", values="count", aggfunc="sum", sort=False)
    table = table.reindex(index=list(quality.CHECKS), columns=list(townships["township_name"])).fillna(0).astype(int)
    table.insert(0, labels.t("quality_total"), table.sum(axis=1))
    table.insert(0, labels.t("quality_check_col"), [check_name(c) for c in table.index])
    display = table.reset_index(drop=True)
    status = display.copy()
    for column in display.columns[1:]:
        status[column] = display[column].map(lambda n: "green" if n == 0 else "red")
    status[display.columns[0]] = ""
    export = counts.assign(check_name=counts["check"].map(check_name))[
        ["check", "check_name", "township_code", "township_name", "count"]
    ]
    words = period_words(period)
    as_of = last_complete_month_end(today)
    return QualityPage(
        heading=labels.t("quality_heading", period=words),
        note=labels.t("quality_note", months=quality.STALE_MONTHS, as_of=as_of.isoformat()),
        matrix=display,
        matrix_status=status,
        counts_export=export,
        totals={c: int(counts.loc[counts["check"] == c, "count"].sum()) for c in quality.CHECKS},
        context=ExportContext(title=labels.t("quality_title"), scope=ind.county().display_name, period=words,
                              as_of=as_of),
        stem=(ind.county().short_name, labels.t("quality_title"), words),
    )


def village_counts(url: str, period: Period, today: date, check: str) -> pd.DataFrame:
    """How many findings of one check each village has (villages with any), most first."""
    from dashboard import cache

    found = cache.quality(url, period.label, today).findings
    found = found[found["check"] == check]
    counts = found.groupby(["township_name", "village_name"], dropna=False).size().rename(labels.t("quality_count"))
    return counts.sort_values(ascending=False).reset_index().rename(
        columns={"township_name": labels.t("township"), "village_name": labels.t("village")}
    ).fillna("—")


def records(url: str, period: Period, today: date, check: str) -> pd.DataFrame:
    """The offending records of one check, with names and ID numbers masked."""
    from dashboard import cache

    found = cache.quality(url, period.label, today).findings
    found = found[found["check"] == check]
    ids = tuple(int(p) for p in found["person_id"].dropna().unique())
    people = cache.persons(url, ids).set_index("person_id") if ids else pd.DataFrame()
    pid = found["person_id"]
    name = pid.map(people["name"]) if not people.empty else pd.Series(None, index=found.index)
    number = pid.map(people["id_number"]) if not people.empty else pd.Series(None, index=found.index)
    detail = found["detail"].astype(str)
    if check in ("id_missing", "id_invalid"):  # problem codes → words
        detail = detail.map(lambda code: labels.t(f"id_problem_{code}") if labels.has(f"id_problem_{code}") else code)
    frame = pd.DataFrame(
        {
            labels.t("township"): found["township_name"],
            labels.t("village"): found["village_name"],
            labels.t("quality_record"): found["record"].astype(str),
            labels.t("col_name"): name.map(privacy.mask_name),
            labels.t("col_id_number"): number.map(privacy.mask_id_number),
            labels.t("quality_detail"): detail,
        }
    )
    if check == "population_balance":
        frame[labels.t("quality_difference")] = found["value"].astype("Int64")
    return frame.fillna("").reset_index(drop=True)
