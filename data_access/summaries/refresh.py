"""``refresh``: build the summaries from the registry, fully or from what changed.

Full: every year of the horizon (January of the first year with data, at most ten years back,
to December of the refresh year) is computed. Incremental: the registry's fingerprints (per
village and year, see ``fingerprint``) are compared with the last refresh's; for the villages
whose rows changed (and those their changes reach, ``fingerprint.reach``) the years from the
first changed year on are recomputed, reading only those villages' rows; every other row is
copied forward. A change that may reach any village recomputes all of them for those years. The
new generation is written beside the current one and switched to in one transaction.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from dashboard.domain import quality
from data_access.db import file_identity, reading, relations
from data_access.queries import quality as quality_queries
from data_access.queries import services, units
from data_access.schema import birth
from data_access.summaries import fingerprint, store
from data_access.summaries.compute import SpanComputer
from data_access.summaries.store import UNIT_COLUMNS, month_index

HORIZON_YEARS = 10
#: The checks kept per village; the population balance depends on the period and is worked
#: out from the summaries when a page asks for it.
STORED_CHECKS = tuple(c for c in quality.CHECKS if c != "population_balance")
#: The ID-number checks: persons' own fields alone (and duplicates among them).
ID_CHECKS = ("id_missing", "id_invalid", "id_duplicate", "id_sex_mismatch", "id_birth_date_mismatch")


@dataclass(frozen=True)
class Refreshed:
    generation: int
    mode: str  # 'full', 'incremental' or 'unchanged'
    years: tuple[int, ...]  # the years recomputed
    seconds: float
    refreshed_at: str
    villages: int | None = None  # how many villages those years were recomputed for (None: all)


def horizon(conn: sa.Connection, today: date) -> tuple[int, int]:
    """(first year, last year): from the first year with a birth (at most ``HORIZON_YEARS``
    back) to the refresh year."""
    first = conn.execute(sa.select(sa.func.min(birth.c.birth_date))).scalar()
    start = _year_of(first) if first is not None else today.year
    return max(start, today.year - HORIZON_YEARS + 1), today.year


def _year_of(value: object) -> int:
    return value.year if hasattr(value, "year") else int(str(value)[:4])


def _horizon_starts(first: int, last: int) -> list[date]:
    return [date(y, m, 1) for y in range(first, last + 1) for m in range(1, 13)] + [date(last + 1, 1, 1)]


def _quality_counts(found: pd.DataFrame, unit_rows: pd.DataFrame) -> pd.DataFrame:
    """Findings per village and check (those that do not depend on the period)."""
    village = pd.to_numeric(found["village_id"], errors="coerce")
    known = village.isin(unit_rows.index)
    found = found.assign(village_id=village.where(known).astype("Int64"))
    counts = found.groupby(["village_id", "check"], dropna=False).size().rename("n").reset_index()
    return counts.rename(columns={"check": "check_code"})


def _quality_job(registry: sa.Engine, today: date, defects: bool) -> pd.DataFrame:
    """The findings of the checks (``defects``: the contract defects alone, else the rest but
    the ID-number checks, ``_id_job``'s)."""
    with reading(registry) as conn:
        if defects:
            return quality.defect_findings(quality_queries.contract_defects(conn))
        return quality_queries.findings(conn, today, defects=False, id_checks=False)


@dataclass(frozen=True)
class IdChecked:
    findings: pd.DataFrame  # of the persons checked
    inputs: tuple[int, ...]  # ``fingerprint.id_inputs`` of every person up to the refresh's largest id
    kept: bool  # the last refresh's counts stand for the persons it saw (only new persons were checked)


def _id_job(registry: sa.Engine, before: int, top: int, last: tuple[int, ...] | None) -> IdChecked:
    """The ID-number checks of persons with ids up to ``top``. When what they read of the
    persons up to ``before`` (the last refresh's largest id) sums to ``last``, those persons'
    findings stand and only the new ones are checked — unless a new person has an ID number
    (it may duplicate an old one): then, as without ``last``, every person is checked. Where
    the database has no digest built in (SQLite), every person is checked every time."""
    with reading(registry) as conn:
        if not fingerprint.has_digest(conn):  # SQLite: every person, every time
            persons = quality_queries.persons_for_id_checks(conn, id_range=(0, top))
            return IdChecked(quality.id_findings(persons), (), kept=False)
        if last is not None and before <= top:
            old = fingerprint.id_inputs(conn, 0, before)
            if old == last:
                new = quality_queries.persons_for_id_checks(conn, id_range=(before, top))
                numbers = new["id_number"].astype("string").str.strip()
                if not (numbers.notna() & (numbers != "")).any():
                    inputs = fingerprint.add_inputs(old, fingerprint.id_inputs(conn, before, top))
                    return IdChecked(quality.id_findings(new), inputs, kept=True)
        persons = quality_queries.persons_for_id_checks(conn, id_range=(0, top))
        return IdChecked(quality.id_findings(persons), fingerprint.id_inputs(conn, 0, top), kept=False)


def _coverage_job(registry: sa.Engine, today: date) -> tuple[date | None, date | None]:
    with reading(registry) as conn:
        return units.coverage(conn, today)


def _households_print(conn: sa.Connection, tables: set[str], ids: dict[str, int]) -> str:
    """What says that households stayed where they were and persons in their households: the
    households of the last refresh (count, Σ id, Σ village) and the persons' Σ household."""
    parts: list[int] = []
    if "household" in tables:
        parts += fingerprint.households(conn, ids.get("household", 0))
    parts.append(fingerprint.person_households(conn, ids.get("person", 0)))
    return ",".join(map(str, parts))


def _max_ids(conn: sa.Connection, tables: set[str]) -> dict[str, int]:
    """The largest id of every table the fingerprints look at (rows above it are new)."""
    out = {}
    for table in fingerprint.TABLES.values():
        if table.name in tables:
            out[table.name] = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar() or 0)
    return out


def _plain(column: pd.Series) -> list[object]:
    """A column as Python values, missing as None (what every driver binds)."""
    values = column.tolist()
    missing = column.isna()
    if missing.any():
        values = [None if m else v for v, m in zip(values, missing.tolist(), strict=True)]
    return values


def _write(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame, generation: int) -> None:
    if frame.empty:
        return
    names = [str(c) for c in frame.columns]
    # Column by column (a dict per row built from pandas' records cost ~0.6 s per 50,000 rows).
    columns = [_plain(frame[c]) for c in frame.columns]
    records = [{"generation": generation, **dict(zip(names, row, strict=True))} for row in zip(*columns, strict=True)]
    for start in range(0, len(records), 20_000):
        conn.execute(sa.insert(table), records[start : start + 20_000])


def _copy(conn: sa.Connection, table: sa.Table, old: int, new: int, where: sa.ColumnElement[bool]) -> None:
    columns = [c for c in table.c if c.name != "generation"]
    select = sa.select(sa.literal(new, type_=sa.Integer), *columns).where(table.c.generation == old, where)
    conn.execute(sa.insert(table).from_select(["generation", *(c.name for c in columns)], select))


def refresh(
    registry: sa.Engine,
    store_engine: sa.Engine,
    *,
    today: date | None = None,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Refreshed:
    """Bring the summaries up to date with the registry (see the module docstring)."""
    t0 = time.perf_counter()
    today = today or date.today()
    say = progress or (lambda _step: None)
    owner = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    if not store.acquire_lock(store_engine, owner):
        raise store.RefreshBusy("err_refresh_busy")
    try:
        return _refresh(registry, store_engine, today, full, say, t0)
    finally:
        store.release_lock(store_engine, owner)


def _refresh(
    registry: sa.Engine, store_engine: sa.Engine, today: date, full: bool, say: Callable[[str], None], t0: float
) -> Refreshed:
    with store_engine.connect() as sconn:
        old_generation = store.current_generation(sconn)
        old_meta = store.read_meta(sconn)
        old_units = pd.DataFrame()
        old_prints = pd.DataFrame(columns=fingerprint.COLUMNS)
        old_id_counts = pd.DataFrame(columns=["village_id", "check_code", "n"])
        if old_generation is not None:
            old_units = pd.read_sql(sa.select(store.unit).where(store.unit.c.generation == old_generation), sconn)
            old_prints = pd.read_sql(
                sa.select(*(store.fingerprint.c[c] for c in fingerprint.COLUMNS)).where(
                    store.fingerprint.c.generation == old_generation
                ),
                sconn,
            )
            old_id_counts = pd.read_sql(
                sa.select(store.quality.c.village_id, store.quality.c.check_code, store.quality.c.n).where(
                    store.quality.c.generation == old_generation,
                    store.quality.c.check_code.in_(ID_CHECKS),
                ),
                sconn,
            )
    with reading(registry) as conn:
        tables = relations(conn)
        first_year, last_year = horizon(conn, today)
        say("units")
        unit_rows = units.load_units(conn)
        # The quality checks need nothing else: they run on their own connections meanwhile,
        # in two halves (the contract defects and the rest take about as long; a SQLite query
        # lets go of the GIL, so both cores work).
        ids = _max_ids(conn, tables)
        old_ids = {k: int(old_meta.get(f"max_id_{k}", "0") or 0) for k in fingerprint.TABLES}
        last_id_inputs = old_meta.get("id_inputs", "")
        pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="summary-quality")
        checks_jobs = [pool.submit(_quality_job, registry, today, part) for part in (False, True)]
        id_job = pool.submit(
            _id_job,
            registry,
            old_ids["person"],
            ids.get("person", 0),
            # Only when the last refresh's counts are of this format and these villages.
            tuple(int(v) for v in last_id_inputs.split(","))
            if last_id_inputs
            and not full
            and old_meta.get("format") == str(store.FORMAT)
            and _same_units(old_units, unit_rows)
            else None,
        )
        coverage_job = pool.submit(_coverage_job, registry, today)  # it too reads every event
        pool.shutdown(wait=False)
        quotas = (
            pd.concat(
                [services.load_quotas(conn, y).assign(year=y) for y in range(first_year, last_year + 1)],
                ignore_index=True,
            )
            if "task_quota" in tables
            else pd.DataFrame()
        )
        say("fingerprints")
        month_starts = _horizon_starts(first_year, last_year)
        year_starts = [date(y, 1, 1) for y in range(first_year, last_year + 2)]
        incremental = (
            not full
            and old_generation is not None
            and old_meta.get("horizon") == f"{first_year}-{last_year}"
            and old_meta.get("format") == str(store.FORMAT)
            and _same_units(old_units, unit_rows)
            and old_meta.get("tables") == ",".join(sorted(tables))
            and old_meta.get("households") == _households_print(conn, tables, old_ids)
        )
        village_ids = [int(v) for v in unit_rows.index]
        touched: list[int] | None = None  # the villages recomputed (None: all)
        if incremental:
            taken = fingerprint.take(conn, year_starts, month_starts, tables, ids, old_prints, old_ids)
            changed = taken.first_changed
            years = tuple(range(first_year + changed - 1, last_year + 1)) if changed is not None else ()
            mode = "incremental" if years else "unchanged"
            if years and taken.villages is not None:
                reached = fingerprint.reach(conn, taken.villages, tables, taken.new_rows.get("service_event"))
                touched = [v for v in village_ids if v in reached]
                if len(touched) == len(village_ids):
                    touched = None
        else:
            taken = fingerprint.take(conn, year_starts, month_starts, tables, ids)
            years, mode = tuple(range(first_year, last_year + 1)), "full"
        prints = taken.prints  # kept for the next refresh
        computed = []
        if years and touched != []:
            say(f"years {years[0]}–{years[-1]}")
            if touched is not None:
                say(f"villages {len(touched)}")
            computed = SpanComputer(
                conn,
                years[0],
                years[-1],
                village_ids if touched is None else touched,
                tables,
                narrow=touched is not None,
            ).compute()
        say("quality")
        id_checked = id_job.result()
        found = [f for f in [*(job.result() for job in checks_jobs), id_checked.findings] if not f.empty]
        checks = _quality_counts(
            pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=quality.FINDING_COLUMNS), unit_rows
        )
        if id_checked.kept and not old_id_counts.empty:
            kept = old_id_counts.assign(village_id=old_id_counts["village_id"].astype("Int64"))
            checks = (
                pd.concat([checks, kept], ignore_index=True)
                .groupby(["village_id", "check_code"], dropna=False, as_index=False)["n"]
                .sum()
            )
        household_print = _households_print(conn, tables, ids)
        covered_from, covered_to = coverage_job.result()
        # The targets as they stood: pages judge against them while the registry is down.
        targets_json = quality_queries.target_rows(conn).to_json(orient="records", date_format="iso")
    say("writing")
    generation = (old_generation or 0) + 1
    try:
        with store_engine.begin() as sconn:
            for table in store.GENERATION_TABLES:  # leftovers of a refresh that died half-way
                sconn.execute(sa.delete(table).where(table.c.generation == generation))
            if old_generation is not None and mode != "full":
                first_recomputed = min(years) if years else last_year + 1
                boundary = month_index(first_recomputed, 1)

                def kept(table: sa.Table, before: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
                    """Rows before the recomputed years, and every row of a village not recomputed."""
                    if touched is None:
                        return before
                    others = table.c.village_id.not_in(sa.bindparam("touched", touched, expanding=True))
                    return sa.or_(before, others) if touched else sa.true()

                _copy(sconn, store.flow, old_generation, generation, kept(store.flow, store.flow.c.month < boundary))
                # The December before the first recomputed year stays (it is that year's start).
                _copy(sconn, store.stock, old_generation, generation, kept(store.stock, store.stock.c.month < boundary))
                _copy(
                    sconn,
                    store.month_range,
                    old_generation,
                    generation,
                    kept(store.month_range, store.month_range.c.year < first_recomputed),
                )
            for part in computed:
                _write(sconn, store.flow, part.flows, generation)
                stocks = part.stocks
                if mode != "full":  # the December before the recomputed years was copied forward
                    stocks = stocks[stocks["month"] >= month_index(min(years), 1)]
                _write(sconn, store.stock, stocks, generation)
                _write(sconn, store.month_range, part.ranges, generation)
            _write(
                sconn,
                store.unit,
                unit_rows.reset_index().rename(columns={"index": "village_id"})[["village_id", *UNIT_COLUMNS]],
                generation,
            )
            if not quotas.empty:
                _write(sconn, store.quota, quotas[["year", "township_id", "kind", "quota"]], generation)
            _write(sconn, store.quality, checks[["village_id", "check_code", "n"]], generation)
            _write(sconn, store.fingerprint, prints, generation)
    except BaseException:
        store.discard(store_engine, generation)
        raise
    refreshed_at = datetime.now().isoformat(timespec="seconds")
    store.switch_to(
        store_engine,
        generation,
        {
            "refreshed_at": refreshed_at,
            "today": today.isoformat(),
            "horizon": f"{first_year}-{last_year}",
            "tables": ",".join(sorted(tables)),
            "households": household_print,
            "mode": mode,
            "format": str(store.FORMAT),
            "registry_file": file_identity(registry.url.render_as_string(hide_password=False)),
            "targets": targets_json,
            "coverage_first": covered_from.isoformat() if covered_from else "",
            "coverage_last": covered_to.isoformat() if covered_to else "",
            "years": ",".join(map(str, years)),
            "villages": "all" if touched is None else str(len(touched)),
            "id_inputs": ",".join(map(str, id_checked.inputs)),
            "id_checks": "new persons" if id_checked.kept else "all",
            **{f"max_id_{k}": str(v) for k, v in ids.items()},
        },
    )
    return Refreshed(
        generation, mode, years, time.perf_counter() - t0, refreshed_at, None if touched is None else len(touched)
    )


def _same_units(old: pd.DataFrame, new: pd.DataFrame) -> bool:
    if old.empty:
        return False
    a = old.set_index("village_id")[list(UNIT_COLUMNS)].sort_index()
    b = new[list(UNIT_COLUMNS)].sort_index()
    a.index = a.index.astype("int64")
    b.index = b.index.astype("int64")
    if len(a) != len(b) or not a.index.equals(b.index):
        return False
    for column in UNIT_COLUMNS:
        left, right = a[column].astype(str), b[column].astype(str)
        if not left.equals(right):
            return False
    return True
