"""Registry data-quality checks: pure functions over query results (DESIGN.md §5).

Each check returns findings — one row per offending record (or village) with the check code,
the village, the record and a one-line detail — and :func:`summarise` counts them per
township. Check codes (also the CLI's ``check`` column):

``id_missing``              no 身份证号 recorded (NULL or blank)
``id_invalid``              a 身份证号 of the wrong length or characters, an impossible date
                            part, or a wrong GB 11643 check digit
``id_duplicate``            a 身份证号 carried by more than one person (every such person)
``id_sex_mismatch``         sex disagrees with the 17th digit (odd = male)
``id_birth_date_mismatch``  birth date disagrees with the number's date part
``mother_age``              a local birth whose mother is younger than 15 or older than 49
``event_future``            a record dated after the reference day
``event_before_birth``      a record dated before the person's own birth
``birth_missing_fields``    a local birth without sex or without the compliance flag
``stale_village``           a village with no registry change for more than N months
``population_balance``      start + births + moves in − deaths − moves out ≠ end
``date_invalid``            a date that is no real day ('', '2026/11/28', '2019-02-30'): the
                            row is left out of the counts
``date_time_part``          a date with a time of day: read as its day
``code_unreadable``         a coded value the contract does not know (sex 'X', method
                            'patch'): the row is left out where that code matters
``code_normalised``         a coded value read after trimming or case-folding ('LOCAL')
``reference_missing``       a village, township, mother, woman or person that does not exist:
                            the row cannot be placed and is left out
``target_invalid``          a target row with an unknown comparison or a value that is no
                            number: the default target applies instead
``quota_invalid``           a task quota that is no whole number ≥ 0: not used
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dashboard.domain import idnumber, privacy
from dashboard.domain import targets as target_rules

CHECKS: tuple[str, ...] = (
    "id_missing",
    "id_invalid",
    "id_duplicate",
    "id_sex_mismatch",
    "id_birth_date_mismatch",
    "mother_age",
    "event_future",
    "event_before_birth",
    "birth_missing_fields",
    "stale_village",
    "population_balance",
    "date_invalid",
    "date_time_part",
    "code_unreadable",
    "code_normalised",
    "reference_missing",
    "target_invalid",
    "quota_invalid",
)
#: Checks whose rows are left out of the counts (the pages say how many, beside the numbers).
EXCLUDING: tuple[str, ...] = ("date_invalid", "code_unreadable", "reference_missing")
FINDING_COLUMNS = ["check", "village_id", "record", "person_id", "detail", "value"]
STALE_MONTHS = 6


def _findings(
    check: str, village_id: object, record: object, person_id: object, detail: object, value: object = np.nan
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"village_id": village_id, "record": record, "person_id": person_id, "detail": detail, "value": value}
    )
    frame.insert(0, "check", check)
    frame["person_id"] = pd.to_numeric(frame["person_id"], errors="coerce").astype("Int64")
    return frame[FINDING_COLUMNS]


def id_findings(persons: pd.DataFrame) -> pd.DataFrame:
    """Missing, invalid, duplicate, and sex- or birth-date-inconsistent 身份证号 (``persons_for_id_checks``)."""
    numbers = idnumber.read(persons["id_number"])
    problems = numbers.problem
    parts = []
    bad = problems.notna()
    missing = problems == "missing"
    parts.append(
        _findings(
            "id_missing",
            persons.loc[missing, "village_id"],
            persons.loc[missing, "person_id"],
            persons.loc[missing, "person_id"],
            problems[missing],
        )
    )
    invalid = bad & ~missing
    parts.append(
        _findings(
            "id_invalid",
            persons.loc[invalid, "village_id"],
            persons.loc[invalid, "person_id"],
            persons.loc[invalid, "person_id"],
            problems[invalid],
        )
    )
    text = numbers.text
    present = ~missing
    dup = present & text.duplicated(keep=False).to_numpy(dtype=bool)
    parts.append(
        _findings(
            "id_duplicate",
            persons.loc[dup, "village_id"],
            persons.loc[dup, "person_id"],
            persons.loc[dup, "person_id"],
            text[dup].astype(object).map(privacy.mask_id_number),
        )
    )
    # Only valid numbers are compared; others (15-digit old numbers, blanks) give no digit.
    valid = ~bad
    sex = persons["sex"]
    recorded_male, recorded_female = (sex == "M").fillna(False), (sex == "F").fillna(False)
    sex_bad = valid & ((recorded_male & ~numbers.male) | (recorded_female & numbers.male))
    parts.append(
        _findings(
            "id_sex_mismatch",
            persons.loc[sex_bad, "village_id"],
            persons.loc[sex_bad, "person_id"],
            persons.loc[sex_bad, "person_id"],
            "sex " + persons.loc[sex_bad, "sex"].astype(str),
        )
    )
    id_birth = numbers.birth
    recorded = _as_datetime(persons["birth_date"])
    date_bad = valid & recorded.notna() & id_birth.notna() & (recorded != id_birth)
    parts.append(
        _findings(
            "id_birth_date_mismatch",
            persons.loc[date_bad, "village_id"],
            persons.loc[date_bad, "person_id"],
            persons.loc[date_bad, "person_id"],
            recorded[date_bad].dt.strftime("%Y-%m-%d") + " ≠ " + id_birth[date_bad].dt.strftime("%Y-%m-%d"),
        )
    )
    return pd.concat(parts, ignore_index=True)


def mother_age_findings(births: pd.DataFrame, low: int = 15, high: int = 49) -> pd.DataFrame:
    """Local births whose mother's age at the birth is below ``low`` or above ``high``."""
    born = _as_datetime(births["birth_date"])
    mother = _as_datetime(births["mother_birth_date"])
    age = (
        born.dt.year - mother.dt.year - ((born.dt.month * 100 + born.dt.day) < (mother.dt.month * 100 + mother.dt.day))
    )
    bad = (age < low) | (age > high)
    return _findings(
        "mother_age",
        births.loc[bad, "village_id"],
        births.loc[bad, "birth_id"],
        births.loc[bad, "mother_id"],
        "age " + age[bad].astype("Int64").astype(str),
        age[bad],
    )


def dated_findings(records: pd.DataFrame, check: str) -> pd.DataFrame:
    """Findings from ``dated_records`` rows (future, or before birth)."""
    when = _as_datetime(records["date"]).dt.strftime("%Y-%m-%d")
    detail = records["table"].astype(str) + "." + records["field"].astype(str) + " " + when
    record = records["table"].astype(str) + ":" + records["record_id"].astype(str)
    return _findings(check, records["village_id"], record, records["person_id"], detail)


def defect_findings(defects: pd.DataFrame) -> pd.DataFrame:
    """Findings from ``contract_defects`` rows (each carries its own check code)."""
    if defects.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    record = defects["table"].astype(str) + ":" + defects["record_id"].astype(str)
    frame = pd.DataFrame(
        {
            "check": defects["check"],
            "village_id": defects["village_id"],
            "record": record,
            "person_id": pd.to_numeric(defects["person_id"], errors="coerce").astype("Int64"),
            "detail": defects["detail"].astype(str),
            "value": np.nan,
        }
    )
    return frame[FINDING_COLUMNS]


def target_findings(rows: pd.DataFrame) -> pd.DataFrame:
    """Target rows that cannot be used as they are (unknown op, a value that is no number, a
    band without its ends): the default target applies instead."""
    if rows.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    number = {c: pd.to_numeric(rows[c], errors="coerce") for c in ("value", "low", "high", "amber")}
    op = rows["op"].astype("string").str.strip()
    reasons = [
        target_rules.validate_rule(
            str(o) if not pd.isna(o) else "",
            None if pd.isna(v) else float(v),
            None if pd.isna(lo) else float(lo),
            None if pd.isna(hi) else float(hi),
            0.0 if pd.isna(am) else float(am),
        )
        for o, v, lo, hi, am in zip(op, number["value"], number["low"], number["high"], number["amber"], strict=True)
    ]
    bad = pd.Series([r is not None for r in reasons], index=rows.index)
    record = "target:" + rows["year"].astype(str) + "/" + rows["indicator"].astype(str)
    detail = rows["op"].astype(str) + " " + rows["value"].astype(str)
    return _findings("target_invalid", np.nan, record[bad], np.nan, detail[bad])


def quota_findings(rows: pd.DataFrame) -> pd.DataFrame:
    """Task quotas that are no whole number ≥ 0."""
    if rows.empty:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    quota = pd.to_numeric(rows["quota"], errors="coerce")
    bad = quota.isna() | (quota < 0) | (quota != quota.round())
    record = (
        "task_quota:"
        + rows["year"].astype(str)
        + "/"
        + rows["township_id"].astype(str)
        + "/"
        + rows["kind"].astype(str)
    )
    return _findings("quota_invalid", np.nan, record[bad], np.nan, rows.loc[bad, "quota"].astype(str))


def missing_field_findings(births: pd.DataFrame) -> pd.DataFrame:
    """Local births without sex or the compliance flag."""
    what = np.where(births["sex"].isna(), "sex", "") + np.where(
        births["policy_compliant"].isna(), " policy_compliant", ""
    )
    return _findings(
        "birth_missing_fields",
        births["village_id"],
        births["birth_id"],
        np.nan,
        pd.Series(what, index=births.index).str.strip(),
    )


def stale_findings(last_change: pd.Series, reference: date, months: int = STALE_MONTHS) -> pd.DataFrame:
    """Villages whose latest registry change is more than ``months`` months before ``reference``."""
    cutoff = pd.Timestamp(reference) - pd.DateOffset(months=months)
    bad = last_change.isna() | (last_change < cutoff)
    latest = last_change[bad]
    detail = latest.dt.strftime("%Y-%m-%d").fillna("—")
    return _findings("stale_village", latest.index, latest.index, np.nan, detail)


def balance_findings(counts: pd.DataFrame, moves: pd.DataFrame) -> pd.DataFrame:
    """Villages where start + births + in − deaths − out ≠ end; ``value`` is end − expected."""
    joined = counts[["pop_start", "pop_end", "births", "deaths"]].join(moves, how="left").fillna(0)
    expected = joined["pop_start"] + joined["births"] + joined["moves_in"] - joined["deaths"] - joined["moves_out"]
    diff = (joined["pop_end"] - expected).astype("int64")
    bad = diff != 0
    detail = (
        joined["pop_start"].astype("int64").astype(str)
        + " + "
        + joined["births"].astype("int64").astype(str)
        + " + "
        + joined["moves_in"].astype("int64").astype(str)
        + " − "
        + joined["deaths"].astype("int64").astype(str)
        + " − "
        + joined["moves_out"].astype("int64").astype(str)
        + " ≠ "
        + joined["pop_end"].astype("int64").astype(str)
    )
    return _findings("population_balance", diff[bad].index, diff[bad].index, np.nan, detail[bad], diff[bad])


@dataclass(frozen=True)
class QualityReport:
    findings: pd.DataFrame  # FINDING_COLUMNS + township_code, township_name, village_code, village_name
    counts: pd.DataFrame  # check, township_code, township_name, count (every check × township)


def summarise(findings: pd.DataFrame, units: pd.DataFrame) -> QualityReport:
    """Attach townships and villages to findings and count them per check and township."""
    ids = pd.to_numeric(findings["village_id"], errors="coerce")
    found = findings.assign(
        village_code=ids.map(units["village_code"]),
        village_name=ids.map(units["village_name"]),
        township_code=ids.map(units["township_code"]),
        township_name=ids.map(units["township_name"]),
    )
    townships = units.drop_duplicates("township_code")[["township_code", "township_name"]]
    grid = pd.MultiIndex.from_product([CHECKS, townships["township_code"]], names=["check", "township_code"])
    counted = found.groupby(["check", "township_code"]).size().reindex(grid, fill_value=0).rename("count").reset_index()
    counted["township_name"] = counted["township_code"].map(dict(townships.to_numpy()))
    counted = counted[["check", "township_code", "township_name", "count"]]
    unplaced = found[found["township_code"].isna()]
    if not unplaced.empty:  # records whose village is missing or unknown
        extra = unplaced.groupby("check").size().rename("count").reset_index()
        extra["township_code"] = ""
        extra["township_name"] = "—"
        counted = pd.concat([counted, extra[counted.columns]], ignore_index=True)
    return QualityReport(found, counted)


def _as_datetime(values: pd.Series) -> pd.Series:
    """The day each value names (its first ten characters as YYYY-MM-DD), NaT where none."""
    if pd.api.types.infer_dtype(values, skipna=True) == "date":
        # date objects (the typed dialects): the days themselves, not each written out as text
        # and read back (0.02 s, not 0.4 s, for 460,000)
        return pd.to_datetime(values).astype("datetime64[us]")
    return pd.to_datetime(values.astype("string").str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
