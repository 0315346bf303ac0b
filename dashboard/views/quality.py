"""The data-quality page: findings per check and township, per village, and the (masked)
records behind one check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard import labels
from dashboard.domain import privacy, quality
from dashboard.domain.county import County
from dashboard.domain.periods import Period, last_complete_month_end
from dashboard.render import formats
from dashboard.render.exports import ExportContext


@dataclass(frozen=True)
class QualityPage:
    heading: str
    note: str
    matrix: pd.DataFrame  # check × township counts (+ total)
    matrix_status: pd.DataFrame
    counts_export: pd.DataFrame  # the matrix as shown: a row per check, a column per township
    counts_long: pd.DataFrame  # a row per check and township
    totals: dict[str, int]
    context: ExportContext
    stem: tuple[str, ...]
    long_stem: tuple[str, ...]


def check_name(code: str) -> str:
    return labels.t(f"check_{code}")


def build(report: quality.QualityReport, period: Period, today: date, county: County) -> QualityPage:
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
    # The long file: a row per check and township, in words (the codes beside the names).
    export = pd.DataFrame(
        {
            labels.t("quality_check_col"): counts["check"].map(check_name).to_numpy(),
            labels.t("code"): counts["township_code"].to_numpy(),
            labels.t("township"): counts["township_name"].to_numpy(),
            labels.t("quality_count"): counts["count"].astype(int).to_numpy(),
        }
    )
    words = formats.period_words(period)
    as_of = last_complete_month_end(today)
    return QualityPage(
        heading=labels.t("quality_heading", period=words),
        note=labels.t("quality_note", months=quality.STALE_MONTHS, as_of=as_of.isoformat()),
        matrix=display,
        matrix_status=status,
        counts_export=display,
        counts_long=export,
        totals={c: int(counts.loc[counts["check"] == c, "count"].sum()) for c in quality.CHECKS},
        context=ExportContext(
            title=labels.t("quality_title"), scope=formats.county_name(county), period=words, as_of=as_of
        ),
        stem=(county.short_name, labels.t("quality_title"), words),
        long_stem=(county.short_name, labels.t("quality_title"), labels.t("export_long_stem"), words),
    )


def village_counts(report: quality.QualityReport, check: str) -> pd.DataFrame:
    """How many findings of one check each village has (villages with any), most first."""
    found = report.findings[report.findings["check"] == check]
    counts = found.groupby(["township_name", "village_name"], dropna=False).size().rename(labels.t("quality_count"))
    frame = counts.sort_values(ascending=False).reset_index()
    frame = frame.rename(columns={"township_name": labels.t("township"), "village_name": labels.t("village")})
    return frame.fillna("")


def person_ids(report: quality.QualityReport, check: str) -> tuple[int, ...]:
    """The persons behind one check's findings (whose identity the records list shows)."""
    found = report.findings[report.findings["check"] == check]
    return tuple(int(p) for p in found["person_id"].dropna().unique())


def records(report: quality.QualityReport, check: str, people: pd.DataFrame) -> pd.DataFrame:
    """The offending records of one check, with names and ID numbers masked; ``people`` is the
    identity of :func:`person_ids` (``data_access.queries.records.persons_by_id``)."""
    found = report.findings[report.findings["check"] == check]
    people = people.set_index("person_id") if not people.empty else people
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
