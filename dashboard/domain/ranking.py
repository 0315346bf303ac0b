"""Township rankings: the assessment score (考核得分) with 一票否决, and per-indicator ranks.

Assessment score (DESIGN.md §2): each indicator carries points (``config/targets.toml``);
green earns the full points, amber half, red and no data none. A township whose veto
indicator (planned-birth rate) is below the veto line is marked 一票否决 and ranks below every
township without a veto, whatever its points. Equal scores share a rank (1, 2, 2, 4).

Per-indicator ranking: conclusive values first, best first (lowest for ≤ targets, highest for
≥, closest for = and bands — judged on the projection like the status), then the values whose
interval cannot tell green from red (数量少，仅供参考), then no data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.domain import indicators as ind
from dashboard.domain import targets as tr

STATUS_SHARE = {tr.GREEN: 1.0, tr.AMBER: 0.5, tr.RED: 0.0, tr.NO_DATA: 0.0}
SERVICE_CODES = frozenset(i.code for i in ind.SERVICE)


def _competition_rank(keys: pd.DataFrame) -> pd.Series:
    """1, 2, 2, 4 ranking over already sorted rows with identical keys tied."""
    ranks: list[int] = []
    previous: tuple[object, ...] | None = None
    for position, row in enumerate(keys.itertuples(index=False, name=None), start=1):
        if previous is not None and row == previous:
            ranks.append(ranks[-1])
        else:
            ranks.append(position)
        previous = row
    return pd.Series(ranks, index=keys.index, dtype="int64")


def _mean(shares: list[float]) -> float:
    """The mean of the known shares (0 when there are none)."""
    known = [x for x in shares if not np.isnan(x)]
    return sum(known) / len(known) if known else 0.0


def assessment(result: pd.DataFrame, settings: tr.Assessment) -> pd.DataFrame:
    """Score and rank each unit of a long indicator result (one level, e.g. townships).

    Returns one row per unit in rank order with: code, name, score, max_score, veto,
    veto_value, rank, and per indicator ``points:<code>``, ``status:<code>`` and
    ``small:<code>`` (the value's interval cannot tell green from red).
    """
    # Plain dicts over the result's rows (13 townships × 22 indicators), one frame at the end:
    # pivots and per-column assignments cost more than the scoring.
    indicator = result["indicator"].tolist()
    unit_code = result["code"].tolist()
    names: dict[object, object] = {}
    for code, name in zip(unit_code, result["name"].tolist(), strict=True):
        names.setdefault(code, name)
    if not names:
        return pd.DataFrame()
    status_of: dict[tuple[object, object], str] = {}
    small_of: dict[tuple[object, object], bool] = {}
    value_of: dict[object, float] = {}
    service_shares: dict[object, list[float]] = {}
    rows = zip(
        unit_code,
        indicator,
        result["status"].tolist(),
        result["small_numbers"].tolist(),
        result["value"].tolist(),
        strict=True,
    )
    for code, ind_code, status, small, value in rows:
        status_of[code, ind_code] = status
        small_of[code, ind_code] = bool(small)
        if ind_code == settings.veto_indicator:
            value_of[code] = value
        if ind_code in SERVICE_CODES:
            service_shares.setdefault(code, []).append(STATUS_SHARE.get(status, np.nan))
    units = list(names)
    codes = [c for c in dict.fromkeys(indicator) if c in settings.points]
    table: dict[str, object] = {"code": units, "name": [names[u] for u in units]}
    score = np.zeros(len(units))
    for code in codes:
        statuses = [status_of.get((u, code), tr.NO_DATA) for u in units]
        points = np.array([STATUS_SHARE[s] for s in statuses], dtype="float64") * settings.points[code]
        table[f"status:{code}"] = statuses
        table[f"small:{code}"] = np.array([small_of.get((u, code), False) for u in units], dtype=bool)
        table[f"points:{code}"] = points
        score += points
    max_score = float(sum(settings.points[c] for c in codes))
    if service_shares and settings.points.get("service_work"):
        # Service work: its points shared equally by the service indicators, each earning its
        # share by the same green/amber/red rule.
        share = np.array([_mean(service_shares.get(u, [])) for u in units], dtype="float64")
        points = settings.points["service_work"] * share
        table["points:service_work"] = points
        table["status:service_work"] = np.where(share >= 1, tr.GREEN, np.where(share >= 0.5, tr.AMBER, tr.RED))
        score += points
        max_score += settings.points["service_work"]
    veto_value = np.array([value_of.get(u, np.nan) for u in units], dtype="float64")
    table["score"] = score
    table["max_score"] = max_score
    table["veto_value"] = veto_value
    with np.errstate(invalid="ignore"):
        table["veto"] = veto_value < settings.veto_below  # no value: no veto
    frame = pd.DataFrame(table)
    frame = frame.sort_values(["veto", "score", "code"], ascending=[True, False, True], kind="stable")
    frame["rank"] = _competition_rank(frame[["veto", "score"]])
    return frame.reset_index(drop=True)


def _badness(sub: pd.DataFrame) -> pd.Series:
    """Distance from the target in the direction that matters (0 or less is on target)."""
    v = sub["projection"].astype("float64")
    op = sub["target_op"]
    value = sub["target_value"].astype("float64")
    low = sub["target_low"].astype("float64")
    high = sub["target_high"].astype("float64")
    out = np.select(
        [op == "<=", op == ">=", op == "=", op == "band"],
        [
            v - value,
            value - v,
            (v - value).abs(),
            # inside the band: closeness to the ideal value breaks ties
            np.where(v < low, low - v, np.where(v > high, v - high, 0)) + (v - value).abs() * 1e-6,
        ],
        default=np.nan,
    )
    return pd.Series(out, index=sub.index)


def indicator_ranking(result: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """The units ranked on one indicator: conclusive best-first, then small numbers, then no data.

    Adds ``rank`` (1…n over the rows that have a value, in that order; NaN for no data) and
    ``group`` ('conclusive', 'small_numbers' or 'no_data').
    """
    sub = result[result["indicator"] == indicator].copy()
    sub["badness"] = _badness(sub)
    sub["group"] = np.where(
        sub["status"] == tr.NO_DATA, "no_data", np.where(sub["small_numbers"], "small_numbers", "conclusive")
    )
    order = {"conclusive": 0, "small_numbers": 1, "no_data": 2}
    sub["_g"] = sub["group"].map(order)
    sub = sub.sort_values(["_g", "badness", "code"], kind="stable").drop(columns="_g")
    has_value = sub["group"] != "no_data"
    sub["rank"] = np.nan
    sub.loc[has_value, "rank"] = np.arange(1, int(has_value.sum()) + 1)
    return sub.reset_index(drop=True)


def rank_change(now: pd.DataFrame, before: pd.DataFrame | None) -> pd.Series:
    """Places gained since ``before`` (positive = moved up), aligned to ``now``; NaN if unknown."""
    if before is None or before.empty:
        return pd.Series(np.nan, index=now.index)
    earlier = before.set_index("code")["rank"]
    return now["code"].map(earlier).astype("float64") - now["rank"].astype("float64")


def gaps(result: pd.DataFrame, projection_factor: float) -> pd.DataFrame:
    """How far each unit's numerator is from what would meet its target (positive = behind).

    Per-mille rates with ≤ targets: events beyond target × denominator ÷ 1000 ÷ projection
    factor (excess births). ≥ proportions: the compliant births or long-acting users missing
    to reach the target share. Sex-ratio band: boys beyond the band's upper end (or below its
    lower end) for the girls born. = targets: the distance either way.
    """
    out = result.copy()
    op = out["target_op"]
    t = out["target_value"].astype("float64")
    num = out["numerator"].astype("float64")
    den = out["denominator"].astype("float64")
    codes = out["indicator"]
    scale = codes.map(lambda c: ind.get(c).scale).astype("float64")
    factor = codes.map(lambda c: projection_factor if ind.get(c).projected else 1.0).astype("float64")
    allowed = t * den / scale / factor
    gap = np.select(
        [op == "<=", op == ">=", op == "=", op == "band"],
        [
            num - allowed,
            allowed - num,
            (num - allowed).abs(),
            np.maximum(
                num - out["target_high"].astype("float64") * den / scale,
                out["target_low"].astype("float64") * den / scale - num,
            ),
        ],
        default=np.nan,
    )
    out["gap"] = np.where(den > 0, gap, np.nan)
    return out
