"""``refresh``: build the summaries from the registry, fully or from what changed.

Full: every year of the horizon (January of the first year with data, at most ten years back,
to December of the refresh year) is computed for every village, and every data-quality check
runs over every record. Incremental: one grouped scan per table says which villages' rows
changed since the last refresh (``rowprint``); for those villages the per-year fingerprints
(``fingerprint``) say from which year on their counts moved, and the villages their changes
reach (``fingerprint.reach``) are recounted with them from that year on — every other row is
copied forward. The data-quality checks run over the records of the changed villages (and of
the villages whose records name a person whose birth date changed, whose records lie in the
future when the day has turned, whose records named a person who did not exist when persons
were added); a duplicate 身份证号 is looked for across every village each time, cheaply. A
change that may reach any village recomputes all of them. The new generation is written beside
the current one and switched to in one transaction.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa

from dashboard.domain import quality
from dashboard.domain.periods import last_complete_month_end
from data_access import config
from data_access.db import file_identity, reading, relations
from data_access.queries import quality as quality_queries
from data_access.queries import services, units
from data_access.schema import birth, person, service_event
from data_access.summaries import fingerprint, rowprint, store
from data_access.summaries.compute import SpanComputer
from data_access.summaries.rowprint import UNPLACED
from data_access.summaries.store import UNIT_COLUMNS, month_index

HORIZON_YEARS = 10
#: The checks kept per village; the population balance depends on the period and is worked
#: out from the summaries when a page asks for it.
STORED_CHECKS = tuple(c for c in quality.CHECKS if c != "population_balance")
#: The ID-number checks: persons' own fields alone (and duplicates among them).
ID_CHECKS = ("id_missing", "id_invalid", "id_duplicate", "id_sex_mismatch", "id_birth_date_mismatch")
#: The checks ``quality_queries.village_findings`` answers for the records of some villages;
#: the rest are worked out across every village each time.
VILLAGE_CHECKS = (
    "id_missing",
    "id_invalid",
    "id_sex_mismatch",
    "id_birth_date_mismatch",
    "mother_age",
    "event_future",
    "event_before_birth",
    "birth_missing_fields",
    "date_invalid",
    "date_time_part",
    "code_unreadable",
    "code_normalised",
    "reference_missing",
)


@dataclass(frozen=True)
class Refreshed:
    generation: int
    mode: str  # 'full', 'incremental' or 'unchanged'
    years: tuple[int, ...]  # the years recomputed
    seconds: float
    refreshed_at: str
    villages: int | None = None  # how many villages those years were recomputed for (None: all)
    checked: int | None = None  # how many villages' records the quality checks read (None: all)


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


def _placed(villages: pd.Series, known: set[int]) -> pd.Series:
    """Village ids as ``Int64``, unknown ones as missing (the records no village holds)."""
    village = pd.to_numeric(villages, errors="coerce")
    return village.where(village.isin(list(known))).astype("Int64")


def _counted(found: pd.DataFrame, known: set[int]) -> pd.DataFrame:
    """Findings per village and check: village_id (``Int64``, missing: none known), check_code, n."""
    if found.empty:
        return pd.DataFrame({"village_id": pd.Series(dtype="Int64"), "check_code": [], "n": pd.Series(dtype="int64")})
    found = found.assign(village_id=_placed(found["village_id"], known))
    counts = found.groupby(["village_id", "check"], dropna=False).size().rename("n").reset_index()
    return counts.rename(columns={"check": "check_code"})


@dataclass(frozen=True)
class Checked:
    """What the checks of one refresh found for the villages (and unplaced records) they read."""

    findings: pd.DataFrame  # ``village_findings`` of the records read
    last_change: pd.Series  # per village read
    coverage: pd.DataFrame  # ``units.coverage_counts`` of the records read


def _checks_job(registry: sa.Engine, today: date, scope: quality_queries.Scope) -> Checked:
    """The checks of the records of ``scope`` (None: every record), on a connection of their own."""
    with reading(registry) as conn:
        found = quality_queries.village_findings(conn, today, scope)
        latest = quality_queries.last_change(conn, today, scope)
        covered = units.coverage_counts(conn, today, scope)
    return Checked(found, latest, covered)


def _duplicates_job(registry: sa.Engine) -> pd.DataFrame:
    with reading(registry) as conn:
        return quality_queries.duplicate_findings(conn)


@dataclass(frozen=True)
class Scanned:
    """Row prints of some tables (``rowprint.COLUMNS``), and of the blocked ones per id block."""

    villages: pd.DataFrame
    blocks: pd.DataFrame


def _scan_job(
    registry: sa.Engine,
    tables: set[str],
    known: set[int],
    only: set[str],
    sizes: dict[str, int],
    tops: dict[str, int],
    old: dict[str, pd.DataFrame] | None,
) -> Scanned:
    """The row prints of the tables ``only`` names, on a connection of its own: the blocked
    ones (those of ``sizes``) per id block, from the last refresh's (``old``) when given."""
    with reading(registry) as conn:
        frames = [rowprint.scan(conn, tables, known, only=only - set(sizes))]
        blocks = []
        for table in sorted(only & set(sizes) & tables):
            if old is None:
                found = rowprint.block_prints(conn, table, sizes[table], tops[table], known)
                frames.append(rowprint.village_totals(found))
                blocks.append(found)
            else:
                now = rowprint.blocked_now(
                    conn,
                    table,
                    sizes[table],
                    tops[table],
                    known,
                    old[store.row_print.name],
                    old[store.block_print.name][old[store.block_print.name]["tbl"] == table],
                )
                frames.append(now.villages)
                blocks.append(now.blocks)
    villages = pd.concat(frames, ignore_index=True)
    return Scanned(
        villages, pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame(columns=rowprint.BLOCK_COLUMNS)
    )


def _max_ids(conn: sa.Connection, tables: set[str]) -> dict[str, int]:
    """The largest id of every table the fingerprints look at (rows above it are new)."""
    out = {}
    for table in fingerprint.TABLES.values():
        if table.name in tables:
            out[table.name] = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar() or 0)
    return out


def _referring_villages(conn: sa.Connection, villages: set[int], tables: set[str]) -> set[int]:
    """The villages of the births and service events whose mother or person lives in
    ``villages`` (their findings read her birth date)."""
    if not villages:
        return set()
    wanted: sa.BindParameter[list[int]] = sa.bindparam("born_villages", sorted(villages), expanding=True)
    found: set[int] = set()
    sources = [(birth, birth.c.mother_id)]
    if "service_event" in tables:
        sources.append((service_event, service_event.c.person_id))
    for table, column in sources:
        stmt = (
            sa.select(table.c.village_id)
            .select_from(table.join(person, column == person.c.id))
            .where(person.c.village_id.in_(wanted))
            .distinct()
        )
        found.update(int(v) for v in conn.execute(stmt).scalars() if v is not None)
    return found


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
    names = ["generation", *(str(c) for c in frame.columns)]
    # Column by column (a dict per row built from pandas' records cost ~0.6 s per 50,000 rows).
    columns = {"generation": [generation] * len(frame), **{str(c): _plain(frame[c]) for c in frame.columns}}
    if conn.dialect.name == "sqlite":  # the driver's executemany with tuples, in the statement's order
        compiled = sa.insert(table).compile(dialect=conn.dialect, column_keys=names)
        order = [columns[name] for name in compiled.positiontup or ()]
        conn.exec_driver_sql(str(compiled), list(zip(*order, strict=True)))
        return
    records = [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    for start in range(0, len(records), 20_000):
        conn.execute(sa.insert(table), records[start : start + 20_000])


def _copy(conn: sa.Connection, table: sa.Table, old: int, new: int, where: sa.ColumnElement[bool]) -> None:
    columns = [c for c in table.c if c.name != "generation"]
    select = sa.select(sa.literal(new, type_=sa.Integer), *columns).where(table.c.generation == old, where)
    conn.execute(sa.insert(table).from_select(["generation", *(c.name for c in columns)], select))


def _read_store(
    conn: sa.Connection, table: sa.Table, generation: int, where: sa.ColumnElement[bool] | None = None
) -> pd.DataFrame:
    columns = [c for c in table.c if c.name != "generation"]
    stmt = sa.select(*columns).where(table.c.generation == generation)
    return pd.read_sql(stmt if where is None else stmt.where(where), conn)


def refresh(
    registry: sa.Engine,
    store_engine: sa.Engine,
    *,
    today: date | None = None,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
    now: datetime | None = None,
) -> Refreshed:
    """Bring the summaries up to date with the registry (see the module docstring). The
    day's first refresh after ``config.full_refresh_hour()`` is a full one: what an
    incremental refresh cannot see (an edit its digests miss) lasts a day at most."""
    t0 = time.perf_counter()
    today = today or date.today()
    say = progress or (lambda _step: None)
    owner = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    if not store.acquire_lock(store_engine, owner):
        raise store.RefreshBusy("err_refresh_busy")
    try:
        with store_engine.connect() as conn:
            last_full = store.read_meta(conn).get("full_at", "")
        clock = now or datetime.now()
        full = full or _full_due(last_full, clock, config.full_refresh_hour())
        return _refresh(registry, store_engine, today, full, say, t0, clock)
    finally:
        store.release_lock(store_engine, owner)


def _full_due(last_full: str, now: datetime, hour: int | None) -> bool:
    """Whether a full refresh is due: the last one ran before the latest ``hour`` o'clock."""
    if hour is None or not last_full:
        return False
    mark = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if now < mark:
        mark -= timedelta(days=1)
    try:
        return datetime.fromisoformat(last_full) < mark
    except ValueError:
        return True


#: The tables scanned on a second connection while the first scans the others (about half the
#: work each: the events are the largest table, scanned per id block).
_SCANNED_BESIDE = frozenset({"service_event", "reward_payment", "contraception"})


def _refresh(
    registry: sa.Engine,
    store_engine: sa.Engine,
    today: date,
    full: bool,
    say: Callable[[str], None],
    t0: float,
    clock: datetime,
) -> Refreshed:
    old: dict[str, pd.DataFrame] = {}
    with store_engine.connect() as sconn:
        old_generation = store.current_generation(sconn)
        old_meta = store.read_meta(sconn)
        if old_generation is not None:
            for table in (
                store.unit,
                store.row_print,
                store.block_print,
                store.quality,
                store.coverage,
                store.last_change,
            ):
                old[table.name] = _read_store(sconn, table, old_generation)
    old_units = old.get(store.unit.name, pd.DataFrame())
    pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="summary")
    try:
        with reading(registry) as conn:
            tables = relations(conn)
            first_year, last_year = horizon(conn, today)
            say("units")
            unit_rows = units.load_units(conn)
            known = {int(v) for v in unit_rows.index}
            village_ids = [int(v) for v in unit_rows.index]
            ids = _max_ids(conn, tables)
            old_ids = {k: int(old_meta.get(f"max_id_{k}", "0") or 0) for k in fingerprint.TABLES}
            month_starts = _horizon_starts(first_year, last_year)
            year_starts = [date(y, 1, 1) for y in range(first_year, last_year + 2)]
            sizes = {t: rowprint.block_size(ids.get(t, 0)) for t in rowprint.blocked(registry.dialect.name)}
            kept_sizes = json.loads(old_meta.get("block_sizes") or "{}")
            incremental = (
                not full
                and old_generation is not None
                and set(kept_sizes) == set(sizes)  # (the blocks the last refresh kept)
                and old_meta.get("horizon") == f"{first_year}-{last_year}"
                and old_meta.get("format") == str(store.FORMAT)
                and _same_units(old_units, unit_rows)
                and old_meta.get("tables") == ",".join(sorted(tables))
            )
            say("changes")
            touched: list[int] | None = None  # the villages recomputed (None: all)
            scope: quality_queries.Scope = None  # the villages whose records are checked (None: all)
            checks_job = duplicates_job = None
            if incremental:
                kept_blocks = {t: int(kept_sizes[t]) for t in sizes}
                beside = pool.submit(_scan_job, registry, tables, known, set(_SCANNED_BESIDE), kept_blocks, ids, old)
                here = rowprint.scan(conn, tables, known, only=set(rowprint.TABLE_NAMES) - _SCANNED_BESIDE)
                added = rowprint.scan(conn, tables, known, above_ids=old_ids)
                scanned = beside.result()
                prints_now = pd.concat([here, scanned.villages], ignore_index=True)
                changes = rowprint.compare(old[store.row_print.name], prints_now, added)
                # A household moved or removed, or a person put in another household (no date
                # says when): the households lived in change in villages no print tells.
                incremental = not (changes.where("household") or "household_id" in changes.totals("person"))
                sizes = kept_blocks if incremental else sizes
            if incremental:
                # The checks first (on their own connections, beside the counting).
                if not changes.persons_gone:  # (a person gone: her records elsewhere name no one)
                    checked = _checked_villages(conn, changes, old, old_meta, today, tables)
                    scope = (tuple(v for v in village_ids if v in checked), UNPLACED in checked)
                if scope != ((), False):
                    checks_job = pool.submit(_checks_job, registry, today, scope)
                if _numbers_moved(conn, changes, old_ids.get("person", 0)):
                    duplicates_job = pool.submit(_duplicates_job, registry)
                say("fingerprints")
                # The year prints of the villages whose rows changed or came (the others' stand).
                reprinted = set(changes.villages())
                with store_engine.connect() as sconn:
                    old_prints = _read_store(
                        sconn,
                        store.fingerprint,
                        old_generation or 0,
                        store.fingerprint.c.village_id.in_(
                            sa.bindparam("reprinted", sorted(reprinted), expanding=True)
                        ),
                    )
                taken = fingerprint.take(
                    conn, year_starts, month_starts, tables, ids, old_prints, old_ids, changes.where, known
                )
                changed = taken.first_changed
                years = tuple(range(first_year + changed - 1, last_year + 1)) if changed is not None else ()
                mode = "incremental" if years else "unchanged"
                if years and taken.villages is not None:
                    reached = fingerprint.reach(conn, taken.villages, tables, taken.new_rows.get("service_event"))
                    touched = [v for v in village_ids if v in reached]
                    if len(touched) == len(village_ids):
                        touched = None
            else:
                beside = pool.submit(_scan_job, registry, tables, known, set(rowprint.TABLE_NAMES), sizes, ids, None)
                checks_job = pool.submit(_checks_job, registry, today, None)
                duplicates_job = pool.submit(_duplicates_job, registry)
                taken = fingerprint.take(conn, year_starts, month_starts, tables, ids, known=known)
                years, mode = tuple(range(first_year, last_year + 1)), "full"
                reprinted = None
            quotas = services.quotas_of_years(conn, first_year, last_year) if "task_quota" in tables else pd.DataFrame()
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
            global_findings = [
                quality.target_findings(quality_queries.target_rows(conn)),
                quality.quota_findings(quality_queries.quota_rows(conn)),
                quality.defect_findings(quality_queries.orphan_villages(conn)),
            ]
            # The targets as they stood: pages judge against them while the registry is down.
            targets_json = quality_queries.target_rows(conn).to_json(orient="records", date_format="iso")
            if not incremental:
                scanned = beside.result()
                prints_now = scanned.villages
            checked_now = checks_job.result() if checks_job is not None else None
            duplicates = duplicates_job.result() if duplicates_job is not None else None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    quality_state = _quality_state(
        old, old_meta, checked_now, scope, duplicates, global_findings, known, village_ids, today
    )
    say("writing")
    generation = (old_generation or 0) + 1
    try:
        with store_engine.begin() as sconn:
            for table in store.GENERATION_TABLES:  # leftovers of a refresh that died half-way
                sconn.execute(sa.delete(table).where(table.c.generation == generation))
            if old_generation is not None and mode != "full":
                first_recomputed = min(years) if years else last_year + 1
                boundary = month_index(first_recomputed, 1)
                # The December before the first recomputed year stays (the year before holds it
                # and did not change) — unless that is the horizon's first year: a change before
                # the horizon (a registration, a method started) moves that December too.
                stock_boundary = boundary - 1 if first_recomputed == first_year else boundary

                def kept(table: sa.Table, before: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
                    """Rows before the recomputed years, and every row of a village not recomputed."""
                    if touched is None:
                        return before
                    others = table.c.village_id.not_in(sa.bindparam("touched", touched, expanding=True))
                    return sa.or_(before, others) if touched else sa.true()

                _copy(sconn, store.flow, old_generation, generation, kept(store.flow, store.flow.c.month < boundary))
                _copy(
                    sconn,
                    store.stock,
                    old_generation,
                    generation,
                    kept(store.stock, store.stock.c.month < stock_boundary),
                )
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
                if mode != "full" and min(years) > first_year:  # its December before was copied forward
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
            _write(sconn, store.quality, quality_state.checks, generation)
            if reprinted is not None and old_generation is not None:  # the other villages' year prints stand
                others = store.fingerprint.c.village_id.not_in(
                    sa.bindparam("reprinted_villages", sorted(reprinted), expanding=True)
                )
                _copy(sconn, store.fingerprint, old_generation, generation, others)
            _write(sconn, store.fingerprint, taken.prints[fingerprint.COLUMNS], generation)
            _write(sconn, store.row_print, prints_now[rowprint.COLUMNS], generation)
            _write(sconn, store.block_print, scanned.blocks[rowprint.BLOCK_COLUMNS], generation)
            _write(sconn, store.coverage, quality_state.coverage, generation)
            _write(sconn, store.last_change, quality_state.last_change, generation)
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
            "mode": mode,
            # (by the clock the day's full refresh is judged by)
            "full_at": clock.isoformat(timespec="seconds") if mode == "full" else old_meta.get("full_at", ""),
            "format": str(store.FORMAT),
            "registry_file": file_identity(registry.url.render_as_string(hide_password=False)),
            "targets": targets_json,
            "coverage_first": quality_state.covered[0].isoformat() if quality_state.covered[0] else "",
            "coverage_last": quality_state.covered[1].isoformat() if quality_state.covered[1] else "",
            "years": ",".join(map(str, years)),
            "villages": "all" if touched is None else str(len(touched)),
            "checked": "all" if scope is None else str(len(scope[0]) + int(scope[1])),
            "unplaced_checks": json.dumps(quality_state.unplaced, sort_keys=True),
            "block_sizes": json.dumps(sizes, sort_keys=True),
            **{f"max_id_{k}": str(v) for k, v in ids.items()},
        },
    )
    return Refreshed(
        generation,
        mode,
        years,
        time.perf_counter() - t0,
        refreshed_at,
        None if touched is None else len(touched),
        None if scope is None else len(scope[0]) + int(scope[1]),
    )


def _numbers_moved(conn: sa.Connection, changes: rowprint.Changes, old_top: int) -> bool:
    """Whether duplicate ID numbers may have changed: an old person's number edited, a person
    moved to another village or gone, or a new person with a number (a newborn has none)."""
    if changes.where("person", ("id_number",)):
        return True
    if not changes.added.get("person"):
        return False
    numbered = sa.select(sa.func.count()).where(person.c.id > old_top, person.c.id_number.is_not(None))
    return bool(conn.execute(numbered).scalar())


def _village_set(frame: pd.DataFrame, check: str) -> set[int]:
    """The villages (``UNPLACED`` for none) with findings of ``check`` in a stored quality frame."""
    rows = frame[(frame["check_code"] == check) & (frame["n"] > 0)]
    return {UNPLACED if pd.isna(v) else int(v) for v in rows["village_id"]}


def _checked_villages(
    conn: sa.Connection,
    changes: rowprint.Changes,
    old: dict[str, pd.DataFrame],
    old_meta: dict[str, str],
    today: date,
    tables: set[str],
) -> set[int]:
    """The villages (``UNPLACED``: the records of none) whose findings may have moved: those
    whose records changed; those whose records name a person whose birth date changed; when
    the day has turned, those with records in the future (they may have become the present);
    when persons were added, those with records naming a person who did not exist."""
    checked = set(changes.villages())
    checked |= _referring_villages(conn, {v for v in changes.births_moved if v >= 0}, tables)
    stored = old[store.quality.name]
    unplaced = json.loads(old_meta.get("unplaced_checks") or "{}")
    if old_meta.get("today") != today.isoformat():
        checked |= _village_set(stored, "event_future") - {UNPLACED}
        if unplaced.get("event_future"):
            checked.add(UNPLACED)
    if changes.added.get("person"):
        checked |= _village_set(stored, "reference_missing") - {UNPLACED}
        if unplaced.get("reference_missing"):
            checked.add(UNPLACED)
    return checked


@dataclass(frozen=True)
class QualityState:
    """What the new generation stores of the checks."""

    checks: pd.DataFrame  # village_id (None: no known village), check_code, n
    unplaced: dict[str, int]  # the record checks' counts of records without a known village
    coverage: pd.DataFrame  # village_id (−1: none known), month, n
    last_change: pd.DataFrame  # village_id, day
    covered: tuple[date | None, date | None]


def _quality_state(
    old: dict[str, pd.DataFrame],
    old_meta: dict[str, str],
    checked: Checked | None,
    scope: quality_queries.Scope,
    duplicates: pd.DataFrame | None,
    global_findings: list[pd.DataFrame],
    known: set[int],
    village_ids: list[int],
    today: date,
) -> QualityState:
    """The findings of the villages checked now joined to the last refresh's of the others,
    with the checks that look across every village worked out again."""
    read_ids: set[int] = set(village_ids) if scope is None else set(scope[0])
    read_unplaced = scope is None or scope[1]
    # The record checks.
    if checked is not None:
        found = _counted(checked.findings, known)
    else:
        found = _counted(pd.DataFrame(columns=quality.FINDING_COLUMNS), known)
    parts = [found[found["village_id"].notna()]]
    stored = old.get(store.quality.name)
    if stored is not None and scope is not None:
        village = pd.to_numeric(stored["village_id"], errors="coerce")
        others = village.isin(list(known - read_ids)) & stored["check_code"].isin(VILLAGE_CHECKS)
        parts.append(stored[others].assign(village_id=village[others].astype("Int64")))
    if read_unplaced:
        mine = found[found["village_id"].isna()]
        unplaced = {str(k): int(v) for k, v in zip(mine["check_code"], mine["n"], strict=True)}
    else:
        unplaced = {str(k): int(v) for k, v in json.loads(old_meta.get("unplaced_checks") or "{}").items()}
    parts.append(
        pd.DataFrame(
            {"village_id": pd.Series([pd.NA] * len(unplaced), dtype="Int64"), "check_code": list(unplaced),
             "n": list(unplaced.values())}
        )
    )  # fmt: skip
    # Duplicate ID numbers: across every village (the last refresh's while no person changed).
    if duplicates is not None:
        parts.append(_counted(duplicates, known))
    elif stored is not None:
        mine = stored[stored["check_code"] == "id_duplicate"]
        parts.append(mine.assign(village_id=pd.to_numeric(mine["village_id"], errors="coerce").astype("Int64")))
    # Latest changes (stale villages) and coverage: the villages read now, the others' kept.
    latest = checked.last_change if checked is not None else pd.Series(dtype="datetime64[ns]")
    if stored is not None and scope is not None:
        kept = old[store.last_change.name]
        kept = kept[~kept["village_id"].isin(list(read_ids))]
        latest = pd.concat([latest, pd.Series(pd.to_datetime(kept["day"]).to_numpy(), index=kept["village_id"])])
    latest = latest.reindex(village_ids)
    stale = quality.stale_findings(latest, last_complete_month_end(today))
    parts.append(_counted(pd.concat([stale, *global_findings], ignore_index=True), known))
    checks = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    checks = checks.groupby(["village_id", "check_code"], dropna=False, as_index=False)["n"].sum()
    checks = checks[checks["n"] > 0]
    coverage = checked.coverage if checked is not None else pd.DataFrame(columns=units.COVERAGE_COLUMNS)
    coverage = coverage.assign(village_id=coverage["village_id"].where(coverage["village_id"].isin(list(known)), -1))
    if scope is not None and store.coverage.name in old:
        kept_cov = old[store.coverage.name]
        gone = kept_cov["village_id"].isin(list(read_ids)) | ((kept_cov["village_id"] == -1) & read_unplaced)
        coverage = pd.concat([kept_cov[~gone], coverage], ignore_index=True)
    coverage = coverage.groupby(["village_id", "month"], as_index=False)["n"].sum().astype("int64")
    covered = units.coverage_of(coverage.groupby("month")["n"].sum(), today)
    days = latest.dt.strftime("%Y-%m-%d")
    last_change = pd.DataFrame({"village_id": latest.index.astype("int64"), "day": days.where(latest.notna(), None)})
    return QualityState(checks[["village_id", "check_code", "n"]], unplaced, coverage, last_change, covered)


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
