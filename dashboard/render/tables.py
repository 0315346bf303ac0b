"""Every table a page shows or exports, built in one place.

* status tables: unit × indicator cells ('10.52 ✔', '93.40 ✖ ?') with a status frame of the
  same shape (cells tinted by it), and an optional small-numbers frame (drawn muted);
* the one export frame of an indicator result (real numbers, unit per row, status words);
* the person-level lists behind a number (masked).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import privacy
from dashboard.domain.county import County
from dashboard.domain.periods import Period, age_on
from dashboard.render import formats
from dashboard.render.exports import ExportContext


@dataclass(frozen=True)
class Table:
    """A table as shown, the numbers behind it for export, and how to name the file."""

    display: pd.DataFrame
    status: pd.DataFrame | None
    export: pd.DataFrame
    context: ExportContext
    stem: tuple[str, ...]
    #: A matrix's other shape: a row per unit × indicator (frame, context, file-name stem).
    long: tuple[pd.DataFrame, ExportContext, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class StatusTable:
    """Display text with, cell for cell, its status code ('' for plain cells) and whether the
    value is small numbers (drawn muted)."""

    text: pd.DataFrame
    status: pd.DataFrame
    small: pd.DataFrame


def status_cells(
    result: pd.DataFrame,
    county: County,
    indicators: Sequence[ind.Indicator],
    *,
    partial: bool,
    name_header: str,
    with_code: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Unit × indicator display cells (``formats.cell_text``) and their statuses, units in the
    result's order, indicators in ``indicators``' order."""
    codes = [i.code for i in indicators]
    rows = result[result["indicator"].isin(codes)]
    names = formats.unit_names(rows, county)
    text: dict[str, dict[str, str]] = {}
    status: dict[str, dict[str, str]] = {}
    for (_, r), name in zip(rows.iterrows(), names):
        indicator = ind.get(r["indicator"])
        key = r["code"]
        first = {labels.t("code"): r["code"], name_header: name} if with_code else {name_header: name}
        text.setdefault(key, dict(first))[formats.column_title(indicator)] = formats.cell_text(
            r["value"], r["projection"], r["status"], bool(r["small_numbers"]), indicator, partial
        )
        status.setdefault(key, {k: "" for k in first})[formats.column_title(indicator)] = r["status"]
    columns = [
        *([labels.t("code")] if with_code else []),
        name_header,
        *[formats.column_title(i) for i in indicators if i.code in set(rows["indicator"])],
    ]
    frame = pd.DataFrame(list(text.values()))
    states = pd.DataFrame(list(status.values()))
    if frame.empty:
        return pd.DataFrame(columns=columns), pd.DataFrame(columns=columns)
    return frame[columns], states[columns]


def indicator_export(
    result: pd.DataFrame, county: County, *, level: bool = False, township: bool = False
) -> pd.DataFrame:
    """The export shape of an indicator result, the same for every page: code, name, (level,
    township), indicator, unit, numerator, denominator, value, projection, 95 % interval,
    target, status word, small numbers (是). Real numbers: the file formats them."""
    d = formats.decorate(result, county)
    frame = pd.DataFrame(index=d.index)
    if level:
        frame[labels.t("level")] = d["level"].map(lambda v: labels.t(f"level_{v}"))
    frame[labels.t("code")] = d["code"]
    frame[labels.t("name")] = d["display_name"]
    if township:
        frame[labels.t("township")] = d["township_name"]
    frame[labels.t("indicator")] = d["indicator_name"]
    frame[labels.t("unit")] = d["indicator"].map(lambda c: formats.unit_label(ind.get(c).unit))
    frame[labels.t("numerator")] = d["numerator"]
    frame[labels.t("denominator")] = d["denominator"]
    frame[labels.t("value")] = d["value"]
    frame[labels.t("projection")] = d["projection"]
    frame[labels.t("ci_low")] = d["ci_low"]
    frame[labels.t("ci_high")] = d["ci_high"]
    frame[labels.t("target")] = d["target"]
    frame[labels.t("status")] = d["status_word"]
    frame[labels.t("small_numbers")] = d["small_numbers"].map(formats.yes)
    return frame.reset_index(drop=True)


def value_format(indicator: ind.Indicator) -> str:
    """The Excel format of an indicator's values, at its display precision: '0.00"‰"', '0.0'."""
    decimals = f".{'0' * indicator.decimals}" if indicator.decimals > 0 else ""
    sign = formats.unit_sign(indicator.unit)
    return f'0{decimals}"{sign}"' if sign else f"0{decimals}"


@dataclass(frozen=True)
class Matrix:
    """A unit × indicator table as the page shows it, with numbers in the cells: per indicator
    its value (and, over part of a year, the judged projection), its status word (with '?' for
    small numbers) and its n (the denominator). ``formats`` are the value columns' Excel
    formats, ``status_columns`` the columns whose cells are filled by status."""

    frame: pd.DataFrame
    formats: dict[str, str]
    status_columns: tuple[str, ...]


def indicator_matrix(
    result: pd.DataFrame,
    county: County,
    indicators: Sequence[ind.Indicator],
    *,
    partial: bool,
    name_header: str,
    township: bool = False,
) -> Matrix:
    """The matrix of ``result`` (units in its order, indicators in ``indicators``' order)."""
    present = set(result["indicator"])
    chosen = [i for i in indicators if i.code in present]
    units = result.drop_duplicates("code")
    names = formats.unit_names(units, county)
    frame = pd.DataFrame({labels.t("code"): units["code"].to_numpy(), name_header: names.to_numpy()})
    if township:
        frame[labels.t("township")] = units["township_name"].to_numpy()
    by_unit = result.set_index(["code", "indicator"])
    number_formats: dict[str, str] = {}
    status_columns: list[str] = []
    for indicator in chosen:
        rows = by_unit.xs(indicator.code, level="indicator").reindex(units["code"])
        value = formats.column_title(indicator)
        frame[value] = rows["value"].astype(float).to_numpy()
        number_formats[value] = value_format(indicator)
        if partial and indicator.projected:
            projected = labels.t("matrix_projection", name=formats.indicator_short(indicator.code))
            frame[projected] = rows["projection"].astype(float).to_numpy()
            number_formats[projected] = value_format(indicator)
        status = labels.t("matrix_status", name=formats.indicator_short(indicator.code))
        frame[status] = [
            formats.status_badge(str(st), bool(sm))
            for st, sm in zip(rows["status"].fillna("no_data"), rows["small_numbers"].fillna(False))
        ]
        status_columns.append(status)
        n = labels.t("matrix_n", name=formats.indicator_short(indicator.code))
        frame[n] = pd.to_numeric(rows["denominator"], errors="coerce").round().astype("Int64").to_numpy()
        number_formats[n] = "#,##0"
    return Matrix(frame.reset_index(drop=True), number_formats, tuple(status_columns))


def matrix_table(
    display: pd.DataFrame,
    status: pd.DataFrame,
    result: pd.DataFrame,
    county: County,
    indicators: Sequence[ind.Indicator],
    *,
    period: Period,
    title: str,
    scope: str,
    stem: tuple[str, ...],
    name_header: str,
) -> Table:
    """A status matrix as shown and its files: the matrix (value, status, n per indicator)
    and, beside it, the long layout."""
    codes = [i.code for i in indicators]
    rows = result[result["indicator"].isin(codes)]
    matrix = indicator_matrix(rows, county, indicators, partial=not period.is_full_year, name_header=name_header)
    notes = formats.indicator_notes(indicators, rows)
    context = ExportContext(
        title=title,
        scope=scope,
        period=formats.period_words(period),
        notes=notes,
        number_formats=matrix.formats,
        status_columns=matrix.status_columns,
    )
    long_stem = (*stem[:-1], labels.t("export_long_stem"), stem[-1])
    long = (indicator_export(rows, county), indicator_context(title, scope, period, notes=notes), long_stem)
    return Table(display, status, matrix.frame, context, stem, long)


def indicator_context(
    title: str, scope: str, period: Period, notes: tuple[tuple[str, str], ...] = (), **extra: object
) -> ExportContext:
    """The export context of an :func:`indicator_export` frame: status fills, per-row unit
    formats on the value columns, whole counts."""
    return ExportContext(
        title=title,
        scope=scope,
        period=formats.period_words(period),
        status_columns=(labels.t("status"),),
        unit_column=labels.t("unit"),
        unit_value_columns=(labels.t("value"), labels.t("projection"), labels.t("ci_low"), labels.t("ci_high")),
        number_formats={labels.t("numerator"): "#,##0", labels.t("denominator"): "#,##0"},
        notes=notes,
        **extra,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- person-level lists


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


def _dates(values: pd.Series) -> pd.Series:
    """Dates (or date text) as datetime.date objects; None where there is none."""
    parsed = pd.to_datetime(values.astype("string").str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    return parsed.dt.date.astype(object).where(parsed.notna(), None)


def births_records(raw: pd.DataFrame, village_names: dict[int, str]) -> pd.DataFrame:
    """Masked rows for births: date, village, sex, parity, compliance, mother, her age."""
    masked = privacy.mask_frame(raw, names=("mother_name",), id_numbers=("mother_id_number",))
    ages = [
        age_on(pd.Timestamp(m).date(), pd.Timestamp(b).date()) if m is not None and not pd.isna(m) else None
        for m, b in zip(raw["mother_birth_date"], raw["birth_date"])
    ]
    return pd.DataFrame(
        {
            labels.t("col_birth_date"): _dates(raw["birth_date"]),
            labels.t("col_village"): raw["village_id"].map(village_names),
            labels.t("col_sex"): raw["sex"].map(_sex),
            labels.t("col_parity"): raw["parity"],
            labels.t("col_compliant"): raw["policy_compliant"].map(_yes_no),
            labels.t("col_mother"): masked["mother_name"],
            labels.t("col_mother_id"): masked["mother_id_number"],
            labels.t("col_mother_age"): pd.array(ages, dtype="Int64"),
        }
    )


def wcba_records(raw: pd.DataFrame, village_names: dict[int, str], at: Period) -> pd.DataFrame:
    """Masked rows for married women 15–49 (with the method they use at the period's end)."""
    masked = privacy.mask_frame(raw, names=("name",), id_numbers=("id_number",))
    return pd.DataFrame(
        {
            labels.t("col_village"): raw["village_id"].map(village_names),
            labels.t("col_name"): masked["name"],
            labels.t("col_id_number"): masked["id_number"],
            labels.t("col_age"): [age_on(pd.Timestamp(b).date(), at.end) for b in raw["birth_date"]],
            labels.t("col_married_on"): _dates(raw["married_on"]),
            labels.t("col_method"): raw["method"].map(_method),
        }
    )


def rewards_records(raw: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Masked list of reward payments to act on, with what is wrong (late, short, unpaid)."""
    masked = privacy.mask_frame(raw, names=("name",), id_numbers=("id_number",))
    due = pd.to_numeric(raw["amount_due"], errors="coerce")
    paid = pd.to_numeric(raw["amount_paid"], errors="coerce")
    paid_on = _dates(raw["paid_on"])
    problem = np.where(
        paid.isna() | paid_on.isna(),
        labels.t("reward_unpaid"),
        np.where(paid < due, labels.t("reward_short"), labels.t("reward_late")),
    )
    return pd.DataFrame(
        {
            labels.t("township"): raw["village_id"].map(units["township_name"]),
            labels.t("village"): raw["village_id"].map(units["village_name"]),
            labels.t("col_name"): masked["name"],
            labels.t("col_id_number"): masked["id_number"],
            labels.t("reward_scheme"): raw["scheme"],
            labels.t("reward_due"): due,
            labels.t("reward_paid"): paid,
            # One type per column: dates, and None (an empty cell) where nothing was paid.
            labels.t("reward_due_date"): _dates(raw["due_date"]),
            labels.t("reward_paid_on"): paid_on,
            labels.t("reward_problem"): problem,
        }
    )
