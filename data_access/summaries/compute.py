"""Computing the summaries of one calendar year from the registry: grouped scans bucketed by
month (bound month starts, one nested CASE per date column), then vectorised counting.

Every number equals what the live base-count queries give for the same period (the tests hold
both side by side): the definitions are the same conditions, applied to month ends.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard.domain.periods import age_cutoff
from data_access.queries.common import LONG_ACTING_METHODS, SHORT_ACTING_METHODS, fast_frame
from data_access.queries.quality import CODES
from data_access.queries.services import QUOTA_PERSON_COLUMNS, SUPPLY_SITE_KIND, reward_paid_in_full_on_time
from data_access.queries.validity import (
    code,
    code_in,
    code_of,
    exact,
    usable_date,
    usable_person,
    usable_spell,
    valid_date,
)
from data_access.schema import birth, contraception, demo_site, household, person, reward_payment, service_event
from data_access.summaries.store import FLOW_COLUMNS, RANGE_COLUMNS, STOCK_COLUMNS, month_index

NEVER = 1_000_000  # the bucket of a missing date, or of one after the months bucketed
#: The service-event kinds the counts read (``SpanComputer._kind_is``).
EVENT_KINDS = ("operation", "pregnancy_check", "folic_acid", "publicity_visit", "supply_service")
#: Distinct values of ``service_event.kind`` worth stepping through one seek at a time.
MAX_KIND_STEPS = 64


def _leads_an_index(conn: sa.Connection, table: str, column: str) -> bool:
    """Whether an index of ``table`` (as the database reports it) starts with ``column``; False
    when it cannot say (a view, no rights to the catalogue)."""
    try:
        indexes = sa.inspect(conn).get_indexes(table)
    except sa.exc.SQLAlchemyError:
        return False
    return any(str((ix.get("column_names") or [None])[0]).lower() == column for ix in indexes)


def _bound_list_limit(conn: sa.Connection) -> int:
    """How many values one expanding IN list may bind: SQLite allows as many parameters per
    statement as it was built for (999 before 3.32, 32,766 since), less room for the others;
    elsewhere 60,000 (PostgreSQL's protocol allows 65,535)."""
    getlimit = getattr(conn.connection.driver_connection, "getlimit", None)
    if getlimit is None:
        return 60_000
    return max(100, int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)) - 200)


def _chunks(values: np.ndarray, size: int) -> list[np.ndarray]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _by_name(*labels: sa.Label[Any]) -> list[sa.ColumnElement[Any]]:
    """GROUP BY terms naming select-list columns: the nested CASE of a month bucket spelled out
    again is evaluated again per row on SQLite (the names must not be a column's)."""
    return [sa.literal_column(label.name) for label in labels]


def _person_code_in(column: str, value: str) -> sa.ColumnElement[bool]:
    """``code(person.<column>) == value``, trimming and folding only values the contract does
    not write so."""
    return code_in(person.c[column], (value,), CODES[("person", column)])


def month_starts(year: int, last_month: int = 12) -> list[date]:
    """First days of months 1..last_month of ``year`` and the day after (n + 1 bounds)."""
    return [date(year + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(1, last_month + 2)]


# One instance of each type for every bound parameter of a bucket: SQLAlchemy keeps a type's
# dialect implementation on the instance, and a new instance per parameter doubled the time
# to compile the ~50 parameters of a bucket.
_DATE, _INTEGER = sa.Date(), sa.Integer()


def month_bucket(column: sa.ColumnElement[Any], starts: list[date], prefix: str) -> sa.ColumnElement[int]:
    """0 before ``starts[0]``, k within [starts[k−1], starts[k]), NEVER at or after the last start
    or when NULL — a nested CASE of depth log₂(months), comparisons with bound dates only."""
    params = [sa.bindparam(f"{prefix}_{i}", s, type_=_DATE) for i, s in enumerate(starts)]
    n = len(starts) - 1

    def inner(lo: int, hi: int) -> sa.ColumnElement[int]:
        if hi - lo == 1:
            return sa.literal(lo + 1, type_=_INTEGER)
        mid = (lo + hi) // 2
        return sa.case((column < params[mid], inner(lo, mid)), else_=inner(mid, hi))

    return sa.case(
        (column.is_(None), sa.literal(NEVER, type_=_INTEGER)),
        (column < params[0], sa.literal(0, type_=_INTEGER)),
        (column >= params[n], sa.literal(NEVER, type_=_INTEGER)),
        else_=inner(0, n),
    )


EVENT_COLUMNS = ["kind", "household_id", "person_id", "village_id", "event_date", "id"]


def _event_rows() -> sa.Select[Any]:
    """The service-event columns the range counts read (``EVENT_COLUMNS``), kind as it reads."""
    e = service_event.c
    return sa.select(code(e.kind), e.household_id, e.person_id, e.village_id, e.event_date, e.id)


def _dated(events: pd.DataFrame) -> pd.DataFrame:
    """``event_date`` as day, year and month 1..12."""
    events["day"] = _as_days(events["event_date"])
    stamps = pd.DatetimeIndex(events["day"])
    events["year"] = stamps.year.to_numpy(dtype="int64")
    events["event_b"] = stamps.month.to_numpy(dtype="int64")
    return events.drop(columns="event_date")


def _quota_events(events: pd.DataFrame) -> pd.DataFrame:
    """Checks and folic acid with a person and a village (the others are not counted)."""
    keep = events["kind"].isin(list(QUOTA_PERSON_COLUMNS)) & events["person_id"].notna() & events["village_id"].notna()
    return events[keep]


@dataclass(frozen=True)
class RangeEvents:
    """Events the range counts read: publicity visits with a household (household_id, year,
    event_b), supply services with a person (person_id, year, event_b), and checks and folic
    acid with a person and a village (kind, person_id, village_id, id, day, year, event_b)."""

    visits: pd.DataFrame
    served: pd.DataFrame
    quota: pd.DataFrame

    def of_year(self, year: int) -> RangeEvents:
        return RangeEvents(*(f[f["year"] == year] for f in (self.visits, self.served, self.quota)))


def _spans(start: np.ndarray, end: np.ndarray, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Month-end indices 0..months where [start, end) holds, as clipped (first, stop) pairs."""
    first = np.clip(start, 0, months + 1)
    stop = np.clip(end, 0, months + 1)
    return first, np.maximum(stop, first)


def _spread(
    rows: np.ndarray, first: np.ndarray, stop: np.ndarray, weight: np.ndarray, n_rows: int, months: int
) -> np.ndarray:
    """Σ weight over the month-ends each row covers: a (n_rows × months + 1) matrix built from
    difference arrays (+w at first, −w at stop, then a running sum)."""
    diff = np.zeros((n_rows, months + 2), dtype=np.int64)
    np.add.at(diff, (rows, first), weight)
    np.add.at(diff, (rows, stop), -weight)
    return np.cumsum(diff, axis=1)[:, : months + 1]


@dataclass(frozen=True)
class YearSummary:
    """One year's rows for the store (``month`` is the store's month number)."""

    flows: pd.DataFrame  # month, village_id, FLOW_COLUMNS
    stocks: pd.DataFrame  # month, village_id, STOCK_COLUMNS (the span's first year also the December before)
    ranges: pd.DataFrame  # year, first_month, last_month, village_id, RANGE_COLUMNS


class SpanComputer:
    """Everything the calendar years ``first_year``..``last_year`` contribute, for the villages
    ``village_ids``: each table is read once for the whole span (months bucketed across it),
    then counted year by year (bounded memory at any scale). ``narrow``: the statements read
    only the rows that count in those villages (an incremental refresh of a few villages);
    otherwise every row is read and rows of other villages are left out in Python."""

    def __init__(
        self,
        conn: sa.Connection,
        first_year: int,
        last_year: int,
        village_ids: list[int],
        tables: set[str],
        *,
        narrow: bool = False,
    ):
        self.conn = conn
        self.first_year = first_year
        self.years = list(range(first_year, last_year + 1))
        self.starts = [date(y, m, 1) for y in self.years for m in range(1, 13)] + [date(last_year + 1, 1, 1)]
        self.months = len(self.starts) - 1  # month k of the span: 1..months; 0 is the December before
        self.village_ids = village_ids
        self._village_index = pd.Index(np.asarray(village_ids, dtype=np.int64))
        self.tables = tables
        self.narrow = narrow
        self._span_events: RangeEvents | None = None
        self._written_kinds: dict[str, list[str]] | None = None
        self._kinds_stepped = False

    # ------------------------------------------------------------------ helpers

    def _pos(self, villages: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Row positions of villages in ``village_ids`` and a mask of the ones that are known."""
        # A hash lookup over the column (Series.map through a dict costs ~1 ms a call).
        pos = self._village_index.get_indexer(villages).astype(np.int64)
        return pos, pos >= 0

    def _mine(self, village: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """Rows counted in the span's villages (always true unless ``narrow``)."""
        if not self.narrow:
            return sa.true()
        return village.in_(sa.bindparam("span_villages", list(self.village_ids), expanding=True))

    def _matrix(self) -> np.ndarray:
        return np.zeros((len(self.village_ids), self.months + 1), dtype=np.int64)

    def _add(self, target: np.ndarray, villages: pd.Series, month: np.ndarray, weight: np.ndarray) -> None:
        pos, known = self._pos(villages)
        ok = known & (month >= 0) & (month <= self.months)
        np.add.at(target, (pos[ok], month[ok]), weight[ok])

    def _in_year(self, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
        """Dated in the span's years (a real day: '2019-02-30' or '' is left out, and counted by
        the quality checks)."""
        # The plain comparisons first: SQLite evaluates the terms in order, the day check costs more.
        return sa.and_(column >= self.starts[0], column < self.starts[-1], valid_date(column))

    def _kind_is(self, kinds: tuple[str, ...]) -> sa.ColumnElement[bool]:
        """Events whose kind reads as one of ``kinds`` (trimmed, case-folded): when ``narrow``
        and an index leads with kind, the kind as written among the values that read so
        (``_kinds_written``), an equality the index can seek on, which ``code(kind)`` defeats.
        The values are found on the column's collation (MySQL's reads 'Operation' as
        'operation'): callers keep the rows whose ``code(kind)`` is the kind byte for byte, as
        the full scan's rows are kept in pandas. Not both tests in the WHERE: PostgreSQL takes
        them for independent and expects a handful of rows."""
        written = self._kinds_written() if self.narrow else None
        if written is None:
            return code(service_event.c.kind).in_(kinds)
        values = sorted({raw for kind in kinds for raw in written[kind]})
        return service_event.c.kind.in_(sa.bindparam("written_kinds", values, expanding=True, unique=True))

    def _kinds_written(self) -> dict[str, list[str]] | None:
        """For each of ``EVENT_KINDS``, the values of ``service_event.kind`` as written that read
        as it, found by stepping through an index that leads with kind (one seek per distinct
        value, once); None without such an index (a pass over every event would cost more than
        the reads it serves) or with more than ``MAX_KIND_STEPS`` distinct values."""
        if self._written_kinds is not None or self._kinds_stepped:
            return self._written_kinds
        self._kinds_stepped = True
        if not _leads_an_index(self.conn, service_event.name, "kind"):
            return None
        found: dict[str, list[str]] = {kind: [] for kind in EVENT_KINDS}
        previous: str | None = None
        for _ in range(MAX_KIND_STEPS):
            after = sa.select(sa.func.min(service_event.c.kind).label("kind"))
            if previous is not None:
                after = after.where(service_event.c.kind > previous)
            step = after.subquery("step")
            # Whether a value reads as a kind is asked of the database, on the column: MySQL's
            # collation makes 'Opération' one value with 'operation' (the seek skips the one
            # after the other) and reads both as 'operation'; Python's == would not.
            row = self.conn.execute(
                sa.select(step.c.kind, *(sa.case((code(step.c.kind) == kind, 1), else_=0) for kind in EVENT_KINDS))
            ).one()
            if row[0] is None:
                self._written_kinds = found
                return found
            previous = str(row[0])
            for kind, reads in zip(EVENT_KINDS, row[1:], strict=True):
                if reads:
                    found[kind].append(previous)
        return None

    # ------------------------------------------------------------------ population

    def population(self, flows: dict[str, np.ndarray], stocks: dict[str, np.ndarray]) -> None:
        """Local and floating population at each month end (month 0: the December before),
        deaths, moves in and out — one grouped scan of the person stock index."""
        reg = month_bucket(person.c.registered_on, self.starts, "r").label("reg_b")
        left = month_bucket(person.c.left_on, self.starts, "l").label("left_b")
        died = month_bucket(person.c.death_date, self.starts, "d").label("death_b")
        moved = sa.case(
            (sa.or_(person.c.birth_date.is_(None), person.c.registered_on != person.c.birth_date), 1), else_=0
        ).label("moved")
        hukou = code_of(person.c.hukou, CODES[("person", "hukou")]).label("hukou")
        stmt = (
            sa.select(person.c.village_id, hukou, reg, left, died, moved, sa.func.count().label("n"))
            .where(self._mine(person.c.village_id), person.c.village_id.is_not(None), usable_person())
            .group_by(person.c.village_id, hukou, *_by_name(reg, left, died, moved))
        )
        rows = fast_frame(self.conn, stmt, ["village_id", "hukou", "reg_b", "left_b", "death_b", "moved", "n"])
        if rows.empty:
            return
        pos, known = self._pos(rows["village_id"])
        n = rows["n"].to_numpy(dtype=np.int64)
        reg_b = rows["reg_b"].to_numpy(dtype=np.int64)
        exit_b = np.minimum(rows["left_b"].to_numpy(dtype=np.int64), rows["death_b"].to_numpy(dtype=np.int64))
        first, stop = _spans(reg_b, exit_b, self.months)
        for registration, column in (("local", "pop"), ("floating", "floating_pop")):
            keep = known & (rows["hukou"] == registration).to_numpy()
            stocks[column] += _spread(pos[keep], first[keep], stop[keep], n[keep], len(self.village_ids), self.months)
        local = rows["hukou"] == "local"
        self._add(
            flows["deaths"], rows.loc[local, "village_id"], rows.loc[local, "death_b"].to_numpy(), n[local.to_numpy()]
        )
        moved_in = local & (rows["moved"] == 1)
        self._add(
            flows["moves_in"],
            rows.loc[moved_in, "village_id"],
            rows.loc[moved_in, "reg_b"].to_numpy(),
            n[moved_in.to_numpy()],
        )
        self._add(
            flows["moves_out"], rows.loc[local, "village_id"], rows.loc[local, "left_b"].to_numpy(), n[local.to_numpy()]
        )

    def births(self, flows: dict[str, np.ndarray]) -> None:
        born = month_bucket(birth.c.birth_date, self.starts, "b").label("birth_b")
        ok = sa.case((birth.c.policy_compliant == sa.true(), 1), else_=0).label("ok")
        hukou, sex = code(birth.c.hukou).label("hukou"), code(birth.c.sex).label("sex")
        stmt = (
            sa.select(birth.c.village_id, hukou, sex, ok, born, sa.func.count().label("n"))
            .where(self._mine(birth.c.village_id), self._in_year(birth.c.birth_date), birth.c.village_id.is_not(None))
            .group_by(birth.c.village_id, hukou, sex, ok, born)
        )
        rows = fast_frame(self.conn, stmt, ["village_id", "hukou", "sex", "ok", "birth_b", "n"])
        if rows.empty:
            return
        n = rows["n"].to_numpy(dtype=np.int64)
        month = rows["birth_b"].to_numpy(dtype=np.int64)
        local = (rows["hukou"] == "local").to_numpy()
        for column, keep in (
            ("births", local),
            ("births_male", local & (rows["sex"] == "M").to_numpy()),
            ("births_female", local & (rows["sex"] == "F").to_numpy()),
            ("births_compliant", local & (rows["ok"] == 1).to_numpy()),
            ("floating_births", (rows["hukou"] == "floating").to_numpy()),
        ):
            self._add(flows[column], rows.loc[keep, "village_id"], month[keep], n[keep])

    # ------------------------------------------------------------------ married women

    def married_women(self, stocks: dict[str, np.ndarray]) -> dict[int, pd.DataFrame]:
        """Married women 15–49 at each month end, of whom long-acting and short-acting users
        (the same definition as ``married_wcba_condition`` / ``method_in_use``). Returns, per
        year, the short-acting users (person_id, village_id, a column per month end 1..12) for
        the supply-service ranges."""
        ends = [s - timedelta(days=1) for s in self.starts]  # ends[0]: the December before
        nexts = list(self.starts)  # the day after each end
        earliest, latest = nexts[0], nexts[-1]
        candidate = sa.and_(
            self._mine(person.c.village_id),
            _person_code_in("hukou", "local"),
            _person_code_in("sex", "F"),
            _person_code_in("marital_status", "married"),
            person.c.married_on < latest,
            person.c.registered_on < latest,
            person.c.birth_date < age_cutoff(ends[-1], 15) + timedelta(days=1),
            person.c.birth_date >= age_cutoff(ends[0], 50) + timedelta(days=1),
            sa.or_(person.c.left_on.is_(None), person.c.left_on >= earliest),
            sa.or_(person.c.death_date.is_(None), person.c.death_date >= earliest),
            person.c.village_id.is_not(None),
            usable_person(),
        )
        woman_columns = ["id", "village_id", "birth_date", "married_on", "registered_on", "left_on", "death_date"]
        women = fast_frame(self.conn, sa.select(*(person.c[c] for c in woman_columns)).where(candidate), woman_columns)
        if women.empty:
            return {}
        spell = [
            code(contraception.c.method).in_(LONG_ACTING_METHODS + SHORT_ACTING_METHODS),
            usable_spell(),
            contraception.c.start_date < latest,
            sa.or_(contraception.c.end_date.is_(None), contraception.c.end_date >= earliest),
        ]
        spell_rows = sa.select(
            contraception.c.woman_id, code(contraception.c.method), contraception.c.start_date, contraception.c.end_date
        )
        spell_columns = ["woman_id", "method", "start_date", "end_date"]
        if self.narrow:
            # A few villages' women: their spells by id, one probe of the woman index each (a
            # join is free to scan every spell of the county, and PostgreSQL does at scale 10).
            ids = np.sort(women["id"].to_numpy(dtype=np.int64))
            parts = [
                fast_frame(
                    self.conn,
                    spell_rows.where(
                        contraception.c.woman_id.in_(sa.bindparam("women", chunk.tolist(), expanding=True)), *spell
                    ),
                    spell_columns,
                )
                for chunk in _chunks(ids, _bound_list_limit(self.conn))
            ]
            spells = pd.concat(parts, ignore_index=True)
        else:
            spells = fast_frame(
                self.conn,
                spell_rows.select_from(contraception.join(person, contraception.c.woman_id == person.c.id)).where(
                    candidate, *spell
                ),
                spell_columns,
            )
        w = {c: _as_days(women[c]) for c in ("birth_date", "married_on", "registered_on", "left_on", "death_date")}
        index = pd.Index(women["id"].to_numpy())
        sp_row = index.get_indexer(spells["woman_id"].to_numpy())
        sp_start, sp_end = _as_days(spells["start_date"]), _as_days(spells["end_date"])
        long_spell = spells["method"].isin(LONG_ACTING_METHODS).to_numpy()
        pos, known = self._pos(women["village_id"])
        short_at = np.zeros((len(women), 13), dtype=bool)  # one year at a time: the December before, then 1..12
        users_by_year: dict[int, pd.DataFrame] = {}
        for k, (end, end_next) in enumerate(zip(ends, nexts, strict=True)):
            cut15 = np.datetime64(age_cutoff(end, 15) + timedelta(days=1))
            cut50 = np.datetime64(age_cutoff(end, 50) + timedelta(days=1))
            nxt = np.datetime64(end_next)
            wcba = (
                (w["married_on"] < nxt)
                & (w["registered_on"] < nxt)
                & (np.isnat(w["left_on"]) | (w["left_on"] >= nxt))
                & (np.isnat(w["death_date"]) | (w["death_date"] >= nxt))
                & (w["birth_date"] < cut15)
                & (w["birth_date"] >= cut50)
            )
            in_use = (sp_start < nxt) & (np.isnat(sp_end) | (sp_end >= nxt)) & (sp_row >= 0)
            uses_long = np.zeros(len(women), dtype=bool)
            uses_long[sp_row[in_use & long_spell]] = True
            uses_short = np.zeros(len(women), dtype=bool)
            uses_short[sp_row[in_use & ~long_spell]] = True
            # Supply service is judged only where service events are recorded at all (as the
            # live ``service_counts``): without them its denominator stays 0, i.e. no data.
            short_users = wcba & uses_short & ("service_event" in self.tables)
            for column, flag in (
                ("married_wcba", wcba),
                ("long_acting", wcba & uses_long),
                ("short_acting_users", short_users),
            ):
                np.add.at(stocks[column][:, k], pos[known & flag], 1)
            month_of_year = (k - 1) % 12 + 1 if k else 0
            short_at[:, month_of_year] = wcba & uses_short & known
            if k and month_of_year == 12:
                year = self.years[(k - 1) // 12]
                users = short_at[:, 1:].any(axis=1)
                frame = pd.DataFrame(short_at[users, 1:], columns=list(range(1, 13)))
                frame.insert(0, "village_id", women.loc[users, "village_id"].to_numpy())
                frame.insert(0, "person_id", women.loc[users, "id"].to_numpy())
                users_by_year[year] = frame
        return users_by_year

    # ------------------------------------------------------------------ households

    def households(self, stocks: dict[str, np.ndarray]) -> dict[int, pd.DataFrame]:
        """Households with a local member present at each month end, in the household's
        village. Returns, per year, the lived-in households (household_id, village_id, a column
        per month end 1..12) for the publicity ranges."""
        if "household" not in self.tables:
            return {}
        reg = month_bucket(person.c.registered_on, self.starts, "hr").label("reg_b")
        left = month_bucket(person.c.left_on, self.starts, "hl").label("left_b")
        died = month_bucket(person.c.death_date, self.starts, "hd").label("death_b")
        stmt = (
            sa.select(person.c.household_id, household.c.village_id, reg, left, died)
            .select_from(person.join(household, person.c.household_id == household.c.id))
            .where(
                self._mine(household.c.village_id),
                _person_code_in("hukou", "local"),
                household.c.village_id.is_not(None),
                usable_person(),
            )
            .group_by(person.c.household_id, household.c.village_id, *_by_name(reg, left, died))
        )
        rows = fast_frame(self.conn, stmt, ["household_id", "village_id", "reg_b", "left_b", "death_b"])
        if rows.empty:
            return {}
        homes, home_row = np.unique(rows["household_id"].to_numpy(dtype=np.int64), return_inverse=True)
        village = pd.Series(rows["village_id"].to_numpy()).groupby(home_row).first().to_numpy()
        pos, known = self._pos(pd.Series(village))
        reg_b = rows["reg_b"].to_numpy(dtype=np.int64)
        exit_b = np.minimum(rows["left_b"].to_numpy(dtype=np.int64), rows["death_b"].to_numpy(dtype=np.int64))
        out: dict[int, pd.DataFrame] = {}
        for i, year in enumerate(self.years):
            base = 12 * i  # month 0 of this year in span months (the December before)
            # Presence within the year's 13 month ends: shift the span buckets to the year.
            first, stop = _spans(reg_b - base, exit_b - base, 12)
            present = _spread(home_row, first, stop, np.ones(len(rows), dtype=np.int64), len(homes), 12) > 0
            for k in range(0 if i == 0 else 1, 13):
                np.add.at(stocks["households"][:, base + k], pos[known & present[:, k]], 1)
            lived = present[:, 1:].any(axis=1) & known
            frame = pd.DataFrame(present[lived, 1:], columns=list(range(1, 13)))
            frame.insert(0, "village_id", village[lived])
            frame.insert(0, "household_id", homes[lived])
            out[year] = frame
        return out

    # ------------------------------------------------------------------ service work

    def events(self, flows: dict[str, np.ndarray]) -> None:
        """Operations (and informed choice), pregnancy checks and folic acid per event village."""
        if "service_event" not in self.tables:
            return
        kind = code(service_event.c.kind)
        when = month_bucket(service_event.c.event_date, self.starts, "e").label("event_b")
        informed = sa.case((service_event.c.informed_choice == sa.true(), 1), else_=0).label("informed")
        stmt = (
            sa.select(service_event.c.village_id, kind, informed, when, sa.func.count().label("n"))
            .where(
                self._kind_is(("operation", "pregnancy_check", "folic_acid")),
                self._mine(service_event.c.village_id),
                self._in_year(service_event.c.event_date),
                service_event.c.village_id.is_not(None),
            )
            .group_by(service_event.c.village_id, kind, informed, when)
        )
        rows = fast_frame(self.conn, stmt, ["village_id", "kind", "informed", "event_b", "n"])
        n = rows["n"].to_numpy(dtype=np.int64)
        month = rows["event_b"].to_numpy(dtype=np.int64)
        for column, keep in (
            ("operations", (rows["kind"] == "operation").to_numpy()),
            ("operations_informed", ((rows["kind"] == "operation") & (rows["informed"] == 1)).to_numpy()),
            ("pregnancy_checks", (rows["kind"] == "pregnancy_check").to_numpy()),
            ("folic_acid", (rows["kind"] == "folic_acid").to_numpy()),
        ):
            self._add(flows[column], rows.loc[keep, "village_id"], month[keep], n[keep])

    def rewards(self, flows: dict[str, np.ndarray]) -> None:
        if "reward_payment" not in self.tables:
            return
        due = month_bucket(reward_payment.c.due_date, self.starts, "rw").label("due_b")
        ok = sa.case((reward_paid_in_full_on_time(), 1), else_=0).label("ok")
        stmt = (
            sa.select(person.c.village_id, due, ok, sa.func.count().label("n"))
            .select_from(reward_payment.join(person, reward_payment.c.person_id == person.c.id))
            .where(
                self._in_year(reward_payment.c.due_date),
                self._mine(person.c.village_id),
                usable_date(reward_payment.c.paid_on),
                person.c.village_id.is_not(None),
            )
            .group_by(person.c.village_id, due, ok)
        )
        rows = fast_frame(self.conn, stmt, ["village_id", "due_b", "ok", "n"])
        n = rows["n"].to_numpy(dtype=np.int64)
        month = rows["due_b"].to_numpy(dtype=np.int64)
        self._add(flows["rewards_due"], rows["village_id"], month, n)
        ok_rows = (rows["ok"] == 1).to_numpy()
        self._add(flows["rewards_ok"], rows.loc[ok_rows, "village_id"], month[ok_rows], n[ok_rows])

    def sites(self, flows: dict[str, np.ndarray]) -> None:
        if "demo_site" not in self.tables:
            return
        when = month_bucket(demo_site.c.established_on, self.starts, "s").label("site_b")
        supply = sa.case((code(demo_site.c.kind) == SUPPLY_SITE_KIND, 1), else_=0).label("supply")
        level = code(demo_site.c.level).label("level")
        stmt = (
            sa.select(demo_site.c.village_id, level, supply, when, sa.func.count().label("n"))
            .where(
                self._mine(demo_site.c.village_id),
                self._in_year(demo_site.c.established_on),
                demo_site.c.village_id.is_not(None),
            )
            .group_by(demo_site.c.village_id, level, supply, when)
        )
        rows = fast_frame(self.conn, stmt, ["village_id", "level", "supply", "site_b", "n"])
        n = rows["n"].to_numpy(dtype=np.int64)
        month = rows["site_b"].to_numpy(dtype=np.int64)
        for column, keep in (
            ("new_sites_county", (rows["level"] == "county").to_numpy()),
            ("new_sites_township", (rows["level"] == "township").to_numpy()),
            ("new_supply_sites", (rows["supply"] == 1).to_numpy()),
        ):
            self._add(flows[column], rows.loc[keep, "village_id"], month[keep], n[keep])

    # ------------------------------------------------------------------ distinct counts over ranges

    def _range_counts(self, who: pd.DataFrame, last_event: np.ndarray) -> np.ndarray:
        """Per village, (a, b) → how many of ``who`` (rows with village_id and a boolean per month
        end 1..n: counted at b) have their latest event month at or before b no earlier than a.
        ``last_event[i, b−1]`` is that latest month (0: none). Returns (villages × n × n)."""
        n = 12
        out = np.zeros((len(self.village_ids), n + 1, n + 1), dtype=np.int64)
        if who.empty:
            return out
        pos, known = self._pos(who["village_id"])
        member = who[list(range(1, n + 1))].to_numpy(dtype=bool)
        for b in range(1, n + 1):
            keep = known & member[:, b - 1] & (last_event[:, b - 1] > 0)
            hist = np.zeros((len(self.village_ids), n + 2), dtype=np.int64)
            np.add.at(hist, (pos[keep], last_event[keep, b - 1]), 1)
            # count(a, b) = Σ_{m ≥ a} hist[m]  (m ≤ b by construction)
            out[:, 1 : b + 1, b] = np.cumsum(hist[:, b:0:-1], axis=1)[:, ::-1]
        return out

    def _latest_month(self, ids: np.ndarray, events: pd.DataFrame, id_column: str) -> np.ndarray:
        """For each id and each month end b, the latest month ≤ b with an event (0: none)."""
        n = 12
        visited = np.zeros((len(ids), n + 1), dtype=bool)
        index = pd.Index(ids)
        rows = index.get_indexer(events[id_column].to_numpy())
        month = events["event_b"].to_numpy(dtype=np.int64)
        ok = (rows >= 0) & (month >= 1) & (month <= n)
        visited[rows[ok], month[ok]] = True
        marked = np.where(visited, np.arange(n + 1), 0)
        return np.maximum.accumulate(marked, axis=1)[:, 1:]

    def _events(self, first: date, end: date) -> RangeEvents:
        """Publicity visits, supply services, checks and folic acid dated in [first, end), split
        as the range counts read them. Every such event in one scan; when ``narrow``, only
        those that can count in the span's villages (``_narrow_events``)."""
        if self.narrow:
            return self._narrow_events(first, end)
        column = service_event.c.event_date
        kinds = ("publicity_visit", "supply_service", *QUOTA_PERSON_COLUMNS)
        # The plain comparisons first: SQLite evaluates the terms in order, and the code and
        # day checks cost more per row than the whole scan.
        dated = [column >= first, column < end, code(service_event.c.kind).in_(kinds), valid_date(column)]
        events = _dated(fast_frame(self.conn, _event_rows().where(*dated), EVENT_COLUMNS))
        visits = events[(events["kind"] == "publicity_visit") & events["household_id"].notna()]
        served = events[(events["kind"] == "supply_service") & events["person_id"].notna()]
        return RangeEvents(
            visits.assign(household_id=visits["household_id"].astype("int64")),
            served.assign(person_id=served["person_id"].astype("int64")),
            _quota_events(events),
        )

    def _narrow_events(self, first: date, end: date) -> RangeEvents:
        """The events of [first, end) that can count in the span's villages, wherever they were
        recorded: visits to their households (a household is reached where it is), supply
        services to their persons (a short-acting user is served where she lives), and every
        check and folic-acid event of a person with one in these villages (she counts where
        her first one in a range is). A statement per kind through the index on kind and date:
        visits and services as semi-joins on the households' and persons' primary keys, which
        the planner may hash or probe (an OR of such subqueries is run as a subplan per row on
        PostgreSQL: minutes at scale 10); checks by a bound list of the persons."""
        column = service_event.c.event_date
        visits = pd.DataFrame(columns=["household_id", "year", "event_b"])
        if "household" in self.tables:  # else no household is counted as lived in
            homes = sa.select(household.c.id).where(self._mine(household.c.village_id))
            visits = self._event_months("publicity_visit", "household_id", first, end, homes)
        persons = sa.select(person.c.id).where(self._mine(person.c.village_id))
        served = self._event_months("supply_service", "person_id", first, end, persons)
        # Who was checked or given folic acid here, then every such event of hers by a bound
        # list, not a semi-join: service_event has no index on person_id, and joined to itself
        # PostgreSQL misjudged the rows at scale 10 and ran a nested loop over 213,520 ×
        # 24,507 of them (5.6 minutes).
        of_kind = [column >= first, column < end, self._kind_is(tuple(QUOTA_PERSON_COLUMNS))]
        here = sa.select(service_event.c.person_id).where(
            *of_kind, self._mine(service_event.c.village_id), valid_date(column), service_event.c.person_id.is_not(None)
        )
        checked = fast_frame(self.conn, here.distinct(), ["person_id"])["person_id"].to_numpy(dtype=np.int64)
        parts = [
            fast_frame(
                self.conn,
                _event_rows().where(
                    *of_kind,
                    service_event.c.person_id.in_(sa.bindparam("their_persons", chunk.tolist(), expanding=True)),
                    valid_date(column),
                ),
                EVENT_COLUMNS,
            )
            for chunk in _chunks(np.sort(checked), _bound_list_limit(self.conn))
        ]
        quota = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=EVENT_COLUMNS)
        return RangeEvents(visits, served, _quota_events(_dated(quota)))

    def _event_months(self, kind: str, who: str, first: date, end: date, theirs: sa.Select[Any]) -> pd.DataFrame:
        """(``who``, year, month 1..12) of the events of ``kind`` dated in [first, end) whose
        ``who`` is among ``theirs``."""
        column = service_event.c.event_date
        # The code and day checks as a column: SQLite runs an IN-subquery after every other
        # term of a WHERE, so there they would run on every event of the kind in the span. The
        # code byte for byte, as the full scan's frame is filtered by it in pandas.
        month = sa.case(
            (
                sa.and_(exact(code(service_event.c.kind)) == kind, valid_date(column)),
                month_bucket(column, self.starts, "em"),
            ),
            else_=sa.literal(NEVER, type_=_INTEGER),
        )
        rows = fast_frame(
            self.conn,
            sa.select(service_event.c[who], month).where(
                column >= first,
                column < end,
                self._kind_is((kind,)),
                service_event.c[who].in_(theirs),
            ),
            [who, "span_b"],
        )
        span_b = rows["span_b"].to_numpy(dtype=np.int64)
        keep = (span_b >= 1) & (span_b <= self.months)
        span_b = span_b[keep]
        return pd.DataFrame(
            {
                who: rows[who].to_numpy()[keep].astype(np.int64),
                "year": self.first_year + (span_b - 1) // 12,
                "event_b": (span_b - 1) % 12 + 1,
            }
        )

    def _year_events(self, year: int) -> RangeEvents:
        """The year's events for ``ranges``: read for the whole span at once when ``narrow`` (a
        few years of an incremental refresh), else year by year (bounded memory)."""
        if not self.narrow:
            return self._events(date(year, 1, 1), date(year + 1, 1, 1))
        if self._span_events is None:
            self._span_events = self._events(self.starts[0], self.starts[-1])
        return self._span_events.of_year(year)

    def ranges(self, year: int, lived_in: pd.DataFrame, short_users: pd.DataFrame) -> pd.DataFrame:
        """The year's distinct counts for every month range a..b (1 ≤ a ≤ b ≤ 12)."""
        n = 12
        cube = {c: np.zeros((len(self.village_ids), n + 1, n + 1), dtype=np.int64) for c in RANGE_COLUMNS}
        if "service_event" in self.tables:
            events = self._year_events(year)
            if not lived_in.empty:
                ids = lived_in["household_id"].to_numpy(dtype=np.int64)
                cube["households_reached"] = self._range_counts(
                    lived_in, self._latest_month(ids, events.visits, "household_id")
                )
            if not short_users.empty:
                ids = short_users["person_id"].to_numpy(dtype=np.int64)
                cube["supply_served"] = self._range_counts(
                    short_users, self._latest_month(ids, events.served, "person_id")
                )
            self._quota_persons(cube, events.quota)
        # Rows (a, b, village) for a ≤ b, a-major then b then village, in one go (a frame per
        # range cost ~0.2 s a year).
        a_of, b_of = np.triu_indices(n)
        a_of, b_of = a_of + 1, b_of + 1
        villages = len(self.village_ids)
        out = pd.DataFrame(
            {
                "year": np.full(len(a_of) * villages, year, dtype=np.int64),
                "first_month": np.repeat(a_of, villages),
                "last_month": np.repeat(b_of, villages),
                "village_id": np.tile(np.asarray(self.village_ids, dtype=np.int64), len(a_of)),
            }
        )
        for c in RANGE_COLUMNS:
            out[c] = cube[c][:, a_of, b_of].T.reshape(-1)
        return out

    def _quota_persons(self, cube: dict[str, np.ndarray], events: pd.DataFrame) -> None:
        """Distinct persons with a check / folic acid in [a, b]: each counted once, in the
        village of her first such event in the range (ties: the lower event id)."""
        n = 12
        for kind, column in QUOTA_PERSON_COLUMNS.items():
            own = events[events["kind"] == kind]
            if own.empty:
                continue
            who = own["person_id"].to_numpy(dtype=np.int64)
            day = own["day"].to_numpy(dtype="datetime64[D]")
            order = np.lexsort((own["id"].to_numpy(dtype=np.int64), day, who))  # a person's events in order
            who, month = who[order], own["event_b"].to_numpy(dtype=np.int64)[order]
            pos, known = self._pos(own["village_id"].iloc[order])
            # Her event is her first from month a on for every a after the month of her event
            # before it (0: none) up to its own month; a second event in a month is first for none.
            same = np.concatenate(([False], who[1:] == who[:-1]))
            before = np.where(same, np.concatenate(([0], month[:-1])), 0)
            keep = known & (month >= 1) & (month <= n) & (month > before)
            width = (month - before)[keep]
            at = np.repeat(month[keep], width)
            a = at - (np.arange(len(at)) - np.repeat(np.cumsum(width) - width, width))
            hist = np.zeros((len(self.village_ids), n + 2, n + 2), dtype=np.int64)
            np.add.at(hist, (np.repeat(pos[keep], width), a, at), 1)
            running = np.cumsum(hist, axis=2)  # [village, a, b]: first from a on, in a..b
            for first in range(1, n + 1):
                cube[column][:, first, first : n + 1] = running[:, first, first : n + 1]

    # ------------------------------------------------------------------ the year

    def compute(self) -> list[YearSummary]:
        flows = {c: self._matrix() for c in FLOW_COLUMNS}
        stocks = {c: self._matrix() for c in STOCK_COLUMNS}
        self.population(flows, stocks)
        self.births(flows)
        short_users = self.married_women(stocks)
        lived_in = self.households(stocks)
        self.events(flows)
        self.rewards(flows)
        self.sites(flows)
        out = []
        empty_homes = pd.DataFrame(columns=["household_id", "village_id", *range(1, 13)])
        empty_users = pd.DataFrame(columns=["person_id", "village_id", *range(1, 13)])
        for i, year in enumerate(self.years):
            months = range(12 * i + 1, 12 * i + 13)
            base = month_index(self.first_year, 1) - 1  # span month 0: the December before the span
            flow_frame = _long({c: m for c, m in flows.items()}, self.village_ids, base, months)
            stock_months = range(12 * i if i == 0 else 12 * i + 1, 12 * i + 13)
            stock_frame = _long({c: m for c, m in stocks.items()}, self.village_ids, base, stock_months)
            ranges = self.ranges(year, lived_in.get(year, empty_homes), short_users.get(year, empty_users))
            out.append(YearSummary(flow_frame, stock_frame, ranges))
        return out


def _long(values: dict[str, np.ndarray], village_ids: list[int], base: int, months: range) -> pd.DataFrame:
    """(village × month) matrices → rows month, village_id, one column per count."""
    k = np.array(list(months), dtype=np.int64)
    frame = pd.DataFrame(
        {
            "month": np.repeat(base + k, len(village_ids)),
            "village_id": np.tile(np.asarray(village_ids, dtype=np.int64), len(k)),
        }
    )
    for column, matrix in values.items():
        frame[column] = matrix[:, k].T.reshape(-1)
    return frame


def _as_days(values: pd.Series) -> np.ndarray:
    """Dates (date objects, or SQLite's date text, possibly with a time) as datetime64[D];
    missing as NaT. numpy converts dates and ISO text in C; anything else is parsed by pandas."""
    present = values.dropna()
    if not present.empty and isinstance(present.iloc[0], date):
        try:
            return np.array(values.to_numpy(dtype=object), dtype="datetime64[D]")
        except (ValueError, TypeError):
            pass
    elif not present.empty and isinstance(present.iloc[0], str):
        # The day of ISO text, read by numpy in C (pandas' parser costs twice as much): only
        # when every value has a whole day in its first ten characters, else as below.
        text = values.to_numpy(dtype=object, na_value="NaT").astype("U10")
        if bool(((np.char.str_len(text) == 10) | (text == "NaT")).all()):
            try:
                return text.astype("datetime64[D]")
            except ValueError:
                pass
    parsed = pd.to_datetime(values.astype("string").str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    return parsed.to_numpy(dtype="datetime64[D]") if isinstance(parsed, pd.Series) else np.asarray(parsed)
