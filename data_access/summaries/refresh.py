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
from data_access.queries.common import Scope, Scopes, rows_frame, scope_of
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
    """Findings per village, check and table: village_id (``Int64``, missing: none known),
    check_code, tbl, n."""
    if found.empty:
        return pd.DataFrame(
            {"village_id": pd.Series(dtype="Int64"), "check_code": [], "tbl": [], "n": pd.Series(dtype="int64")}
        )
    found = found.assign(village_id=_placed(found["village_id"], known), tbl=quality_queries.finding_tables(found))
    counts = found.groupby(["village_id", "check", "tbl"], dropna=False).size().rename("n").reset_index()
    return counts.rename(columns={"check": "check_code"})


@dataclass(frozen=True)
class Checked:
    """What the checks of one refresh found for the villages (and unplaced records) they read."""

    findings: pd.DataFrame  # ``village_findings`` of the records read
    last_change: pd.Series  # per village read
    coverage: pd.DataFrame  # ``units.coverage_counts`` of the records read


def _checks_job(registry: sa.Engine, today: date, scopes: Scopes) -> Checked:
    """The checks of the records in ``scopes`` (per table; None: every record), on a
    connection of their own; a village's latest change where its persons or births were read."""
    with reading(registry) as conn:
        found = quality_queries.village_findings(conn, today, scopes)
        latest = quality_queries.last_change(conn, today, _union(scopes, ("person", "birth")))
        covered = units.coverage_counts(conn, today, scopes)
    return Checked(found, latest, covered)


def _union(scopes: Scopes, tables: tuple[str, ...]) -> Scope:
    """One scope holding the scopes of ``tables``."""
    if scopes is None:
        return None
    ids: set[int] = set()
    unplaced = False
    for table in tables:
        scope = scope_of(scopes, table)
        if scope is not None:
            ids |= set(scope[0])
            unplaced = unplaced or scope[1]
    return tuple(sorted(ids)), unplaced


def _duplicates_job(registry: sa.Engine) -> pd.DataFrame:
    with reading(registry) as conn:
        return quality_queries.duplicate_findings(conn)


@dataclass(frozen=True)
class Scanned:
    """Row prints of some tables (``rowprint.COLUMNS``); of the blocked ones, the block prints
    written anew (all of them in a full refresh) and per table the blocks they replace."""

    villages: pd.DataFrame
    blocks: pd.DataFrame
    moved: dict[str, list[int]]


def _scan_job(
    registry: sa.Engine,
    tables: set[str],
    known: set[int],
    only: set[str],
    sizes: dict[str, int],
    tops: dict[str, int],
    old: dict[str, pd.DataFrame] | None,
    old_store: tuple[sa.Engine, int] | None = None,
) -> Scanned:
    """The row prints of the tables ``only`` names (on a connection of its own when run in a
    pool): the blocked ones (those of ``sizes``) per id block, from the last refresh's
    (``old``, and its block prints read from ``old_store``: the store and generation) when
    given."""
    blocked = sorted(only & set(sizes) & tables)
    old_blocks = pd.DataFrame(columns=rowprint.BLOCK_COLUMNS)
    if old_store is not None and blocked:
        with old_store[0].connect() as sconn:
            old_blocks = _read_store(
                sconn,
                store.block_print,
                old_store[1],
                store.block_print.c.tbl.in_(sa.bindparam("tbls", blocked, expanding=True)),
            )
    frames: list[pd.DataFrame] = []
    blocks: list[pd.DataFrame] = []
    moved: dict[str, list[int]] = {}
    with reading(registry) as conn:
        frames.append(rowprint.scan(conn, tables, known, only=only - set(sizes)))
        for table in blocked:
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
                    old_blocks[old_blocks["tbl"] == table],
                )
                frames.append(now.villages)
                blocks.append(now.fresh)
                moved[table] = now.moved
    empty = pd.DataFrame(columns=rowprint.BLOCK_COLUMNS)
    return Scanned(
        pd.concat(frames, ignore_index=True), pd.concat(blocks, ignore_index=True) if blocks else empty, moved
    )


def _blocks_kept(moved: dict[str, list[int]]) -> sa.ColumnElement[bool]:
    """The stored block prints of the blocked tables that stand (their blocks not grouped again)."""
    b = store.block_print
    kept = [
        sa.and_(b.c.tbl == table, b.c.block.not_in(sa.bindparam(f"moved_{table}", blocks, expanding=True)))
        for table, blocks in moved.items()
    ]
    return sa.or_(*kept) if kept else sa.false()


def _merged(a: Scanned, b: Scanned) -> Scanned:
    """Two scans' prints as one (a table scanned in parts: its prints summed)."""
    villages = pd.concat([a.villages, b.villages], ignore_index=True)
    return Scanned(
        villages.groupby(["tbl", "village_id", "part"], as_index=False)["s"].sum()[rowprint.COLUMNS],
        pd.concat([f for f in (a.blocks, b.blocks) if not f.empty] or [a.blocks], ignore_index=True),
        {**a.moved, **b.moved},
    )


def _max_ids(conn: sa.Connection, tables: set[str]) -> dict[str, int]:
    """The largest id of every table the fingerprints look at (rows above it are new)."""
    out = {}
    for table in fingerprint.TABLES.values():
        if table.name in tables:
            out[table.name] = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar() or 0)
    return out


def _referring_villages(conn: sa.Connection, villages: set[int], tables: set[str]) -> dict[str, set[int]]:
    """Per table, the villages of the births and service events whose mother or person lives
    in ``villages`` (their findings read her birth date)."""
    found: dict[str, set[int]] = {}
    if not villages:
        return found
    wanted: sa.BindParameter[list[int]] = sa.bindparam("born_villages", sorted(villages), expanding=True)
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
        found[table.name] = {int(v) for v in conn.execute(stmt).scalars() if v is not None}
    return found


@dataclass(frozen=True)
class _Kept:
    """What of the last generation stands: the rows before the recomputed ``years`` and those
    of villages not recomputed (``touched``; None: all were), the year prints of villages not
    ``reprinted`` (None: none stand)."""

    years: tuple[int, ...]
    touched: list[int] | None
    first_year: int
    last_year: int
    reprinted: set[int] | None


def _copy_forward(store_engine: sa.Engine, old: int | None, new: int, what: _Kept) -> None:
    """In a transaction of its own: clear generation ``new`` (the leftovers of a refresh that
    died half-way) and every generation before the current one's predecessor (readers mid-way
    keep it), and copy into ``new`` what of generation ``old`` stands (None: nothing)."""
    store.prune_before(store_engine, new - 2)
    with store_engine.begin() as sconn:
        for table in store.GENERATION_TABLES:
            sconn.execute(sa.delete(table).where(table.c.generation == new))
        if old is None:
            return
        first_recomputed = min(what.years) if what.years else what.last_year + 1
        boundary = month_index(first_recomputed, 1)
        # The December before the first recomputed year stays (the year before holds it and did
        # not change) — unless that is the horizon's first year: a change before the horizon (a
        # registration, a method started) moves that December too.
        stock_boundary = boundary - 1 if first_recomputed == what.first_year else boundary

        def kept(table: sa.Table, before: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
            """Rows before the recomputed years, and every row of a village not recomputed."""
            if what.touched is None:
                return before
            others = table.c.village_id.not_in(sa.bindparam("touched", what.touched, expanding=True))
            return sa.or_(before, others) if what.touched else sa.true()

        _copy(sconn, store.flow, old, new, kept(store.flow, store.flow.c.month < boundary))
        _copy(sconn, store.stock, old, new, kept(store.stock, store.stock.c.month < stock_boundary))
        _copy(sconn, store.month_range, old, new, kept(store.month_range, store.month_range.c.year < first_recomputed))
        if what.reprinted is not None:  # the other villages' year prints stand
            others = store.fingerprint.c.village_id.not_in(
                sa.bindparam("reprinted_villages", sorted(what.reprinted), expanding=True)
            )
            _copy(sconn, store.fingerprint, old, new, others)


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
    frame = rows_frame(conn.execute(stmt if where is None else stmt.where(where)), [c.name for c in columns])
    for c in columns:  # (typed as pandas would read them: whole numbers as int64 unless missing)
        if isinstance(c.type, sa.Integer) and not frame[c.name].isna().any():
            frame[c.name] = frame[c.name].astype("int64")
    return frame


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
#: work each: the events are the largest table, the persons the next).
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
                store.quality,
                store.coverage,
                store.last_change,
            ):
                old[table.name] = _read_store(sconn, table, old_generation)
    old_units = old.get(store.unit.name, pd.DataFrame())
    generation = (old_generation or 0) + 1
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
            kept_sizes = {t: int(v) for t, v in json.loads(old_meta.get("block_sizes") or "{}").items()}
            incremental = (
                not full
                and old_generation is not None
                and set(kept_sizes) <= set(sizes)  # (the blocks the last refresh kept)
                and old_meta.get("horizon") == f"{first_year}-{last_year}"
                and old_meta.get("format") == str(store.FORMAT)
                and _same_units(old_units, unit_rows)
                and old_meta.get("tables") == ",".join(sorted(tables))
            )
            say("changes")
            touched: list[int] | None = None  # the villages recomputed (None: all)
            scopes: Scopes = None  # per table, the villages whose records are checked (None: all)
            checks_job = duplicates_job = None
            if incremental:
                kept_blocks = kept_sizes
                where = (store_engine, old_generation or 0)
                beside = pool.submit(
                    _scan_job, registry, tables, known, set(_SCANNED_BESIDE), kept_blocks, ids, old, where
                )
                others = set(rowprint.TABLE_NAMES) - _SCANNED_BESIDE
                here = _scan_job(registry, tables, known, others, kept_blocks, ids, old, where)
                added = rowprint.scan(conn, tables, known, above_ids=old_ids)
                scanned = _merged(here, beside.result())
                prints_now = scanned.villages
                changes = rowprint.compare(old[store.row_print.name], prints_now, added)
                # A household moved or removed, or a person put in another household (no date
                # says when): the households lived in change in villages no print tells.
                incremental = not (changes.where("household") or "household_id" in changes.totals("person"))
                sizes = kept_blocks if incremental else sizes
            if incremental:
                # The checks first (on their own connections, beside the counting).
                if not changes.persons_gone:  # (a person gone: her records elsewhere name no one)
                    checked = _checked_villages(conn, changes, old, old_meta, today, tables)
                    scopes = {
                        t: (tuple(v for v in village_ids if v in found), UNPLACED in found)
                        for t, found in checked.items()
                        if found
                    }
                if scopes is None or scopes:
                    checks_job = pool.submit(_checks_job, registry, today, scopes)
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
            # What stands is copied into the new generation meanwhile (the store's work, not the
            # registry's: it runs beside the counting).
            copied = pool.submit(
                _copy_forward,
                store_engine,
                old_generation if mode != "full" else None,
                generation,
                _Kept(years, touched, first_year, last_year, reprinted),
            )
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
                # Blocks kept only where they are few (ids in registration order spread each
                # block over every village).
                rows = scanned.blocks.groupby("tbl").size()
                sizes = {t: b for t, b in sizes.items() if rows.get(t, 0) <= rowprint.BLOCK_ROWS_LIMIT}
                scanned = Scanned(scanned.villages, scanned.blocks[scanned.blocks["tbl"].isin(list(sizes))], {})
        # (The registry's connection is closed: a store error is not the registry's.)
        say("writing")
        # The counts are written while the checks finish on their connections; then theirs.
        try:
            copied.result()
            with store_engine.begin() as sconn:
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
                _write(sconn, store.fingerprint, taken.prints[fingerprint.COLUMNS], generation)
                _write(sconn, store.row_print, prints_now[rowprint.COLUMNS], generation)
                if incremental and old_generation is not None:  # the blocks not grouped again stand
                    _copy(sconn, store.block_print, old_generation, generation, _blocks_kept(scanned.moved))
                _write(sconn, store.block_print, scanned.blocks[rowprint.BLOCK_COLUMNS], generation)
                checked_now = checks_job.result() if checks_job is not None else None
                duplicates = duplicates_job.result() if duplicates_job is not None else None
                quality_state = _quality_state(
                    old, old_meta, checked_now, scopes, duplicates, global_findings, known, village_ids, today
                )
                _write(sconn, store.quality, quality_state.checks, generation)
                if quality_state.coverage_kept is not None and old_generation is not None:
                    _copy(sconn, store.coverage, old_generation, generation, quality_state.coverage_kept)
                _write(sconn, store.coverage, quality_state.coverage[units.COVERAGE_COLUMNS], generation)
                _write(sconn, store.last_change, quality_state.last_change, generation)
        except BaseException:
            store.discard(store_engine, generation)
            raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    refreshed_at = datetime.now().isoformat(timespec="seconds")
    store.switch_to(
        store_engine,
        generation,
        prune=False,  # (the next refresh's copy prunes, beside its counting)
        values={
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
            "checked": "all" if scopes is None else str(_checked_count(scopes)),
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
        None if scopes is None else _checked_count(scopes),
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


#: The tables whose records the record checks read, each kept apart in the store.
RECORD_TABLES = ("person", "birth", "contraception", "service_event", "reward_payment", "demo_site", "household")


def _checked_count(scopes: Scopes) -> int:
    """How many villages (the unplaced records as one) any table's records were read in."""
    joined = _union(scopes, RECORD_TABLES)
    return 0 if joined is None else len(joined[0]) + int(joined[1])


def _village_set(frame: pd.DataFrame, check: str, table: str) -> set[int]:
    """The villages (``UNPLACED`` for none) with findings of ``check`` among ``table``'s
    records in a stored quality frame."""
    rows = frame[(frame["check_code"] == check) & (frame["tbl"] == table) & (frame["n"] > 0)]
    return {UNPLACED if pd.isna(v) else int(v) for v in rows["village_id"]}


def _checked_villages(
    conn: sa.Connection,
    changes: rowprint.Changes,
    old: dict[str, pd.DataFrame],
    old_meta: dict[str, str],
    today: date,
    tables: set[str],
) -> dict[str, set[int]]:
    """Per table, the villages (``UNPLACED``: the records of none) whose findings among its
    records may have moved: those where its records changed; those whose records name a
    person whose birth date changed (births, events; methods are placed in the woman's own
    village); when the day has turned, those with records in the future (they may have become
    the present); when persons were added, those with records naming a person who did not
    exist."""
    checked = {t: set(changes.villages(t)) for t in RECORD_TABLES}
    born = {v for v in changes.births_moved if v >= 0}
    for table, found in _referring_villages(conn, born, tables).items():
        checked[table] |= found
    checked["contraception"] |= born
    # Methods and payments are placed in their person's village: where persons came or went,
    # theirs moved with them (their own prints may not say so: ``rowprint.blocked_now``).
    moved = changes.where("person", ())
    checked["contraception"] |= moved
    checked["reward_payment"] |= moved
    stored = old[store.quality.name]
    unplaced = json.loads(old_meta.get("unplaced_checks") or "{}")
    turned = old_meta.get("today") != today.isoformat()
    for table in RECORD_TABLES:
        for check, due in (("event_future", turned), ("reference_missing", bool(changes.added.get("person")))):
            if due:
                checked[table] |= _village_set(stored, check, table)
                if unplaced.get(f"{table}|{check}"):
                    checked[table].add(UNPLACED)
    return checked


@dataclass(frozen=True)
class QualityState:
    """What the new generation stores of the checks."""

    checks: pd.DataFrame  # village_id (None: no known village), check_code, tbl, n
    unplaced: dict[str, int]  # "table|check": the record checks' counts of records of no known village
    coverage: pd.DataFrame  # tbl, village_id (−1: none known), month, n: of the records read now
    coverage_kept: sa.ColumnElement[bool] | None  # the last refresh's coverage rows that stand (None: none)
    last_change: pd.DataFrame  # village_id, day
    covered: tuple[date | None, date | None]


def _kept(frame: pd.DataFrame, scopes: Scopes, known: set[int], *, unplaced: bool = True) -> pd.Series:
    """Which rows of a stored frame (village_id, tbl) were not read again: their village
    (−1 or missing: the unplaced) is outside their table's scope."""
    village = pd.to_numeric(frame["village_id"], errors="coerce").fillna(UNPLACED).astype("int64")
    keep = pd.Series(True, index=frame.index)
    for table, rows in frame.groupby("tbl").groups.items():
        scope = scope_of(scopes, str(table))
        if scope is None:
            keep[rows] = False
            continue
        ids, read_unplaced = scope
        mine = village[rows]
        keep[rows] = ~(mine.isin(list(ids)) | ((mine == UNPLACED) & read_unplaced))
    return keep & (village.isin(list(known)) | ((village == UNPLACED) & unplaced))


def _quality_state(
    old: dict[str, pd.DataFrame],
    old_meta: dict[str, str],
    checked: Checked | None,
    scopes: Scopes,
    duplicates: pd.DataFrame | None,
    global_findings: list[pd.DataFrame],
    known: set[int],
    village_ids: list[int],
    today: date,
) -> QualityState:
    """The findings of the records read now joined to the last refresh's of the others, with
    the checks that look across every village worked out again."""
    # The record checks, per table.
    new = checked.findings if checked is not None else pd.DataFrame(columns=quality.FINDING_COLUMNS)
    found = _counted(new, known)
    parts = [found[found["village_id"].notna()]]
    stored = old.get(store.quality.name)
    incremental = stored is not None and scopes is not None
    if incremental:
        assert stored is not None
        village = pd.to_numeric(stored["village_id"], errors="coerce")
        others = _kept(stored, scopes, known, unplaced=False) & stored["check_code"].isin(VILLAGE_CHECKS)
        parts.append(stored[others].assign(village_id=village[others].astype("Int64")))
    unplaced = {}
    if incremental:  # the tables whose unplaced records were not read: as they were
        for key, n in json.loads(old_meta.get("unplaced_checks") or "{}").items():
            scope = scope_of(scopes, key.partition("|")[0])
            if not (scope is not None and scope[1]):
                unplaced[key] = int(n)
    mine = found[found["village_id"].isna()]
    unplaced.update({f"{t}|{c}": int(n) for t, c, n in zip(mine["tbl"], mine["check_code"], mine["n"], strict=True)})
    table_check = [k.partition("|") for k in unplaced]
    parts.append(
        pd.DataFrame(
            {"village_id": pd.Series([pd.NA] * len(unplaced), dtype="Int64"), "check_code": [c for _, _, c in table_check],
             "tbl": [t for t, _, _ in table_check], "n": list(unplaced.values())}
        )
    )  # fmt: skip
    # Duplicate ID numbers: across every village (the last refresh's while no number changed).
    if duplicates is not None:
        parts.append(_counted(duplicates, known))
    elif stored is not None:
        mine = stored[stored["check_code"] == "id_duplicate"]
        parts.append(mine.assign(village_id=pd.to_numeric(mine["village_id"], errors="coerce").astype("Int64")))
    # Latest changes (stale villages) and coverage: the villages read now, the others' kept.
    latest = checked.last_change if checked is not None else pd.Series(dtype="datetime64[ns]")
    if incremental:
        read_ids = _union(scopes, ("person", "birth"))
        kept = old[store.last_change.name]
        kept = kept[~kept["village_id"].isin(list(read_ids[0] if read_ids else ()))]
        latest = pd.concat([latest, pd.Series(pd.to_datetime(kept["day"]).to_numpy(), index=kept["village_id"])])
    latest = latest.reindex(village_ids)
    stale = quality.stale_findings(latest, last_complete_month_end(today))
    parts.append(_counted(pd.concat([stale, *global_findings], ignore_index=True), known))
    checks = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    checks = checks.groupby(["village_id", "check_code", "tbl"], dropna=False, as_index=False)["n"].sum()
    checks = checks[checks["n"] > 0]
    coverage = checked.coverage if checked is not None else pd.DataFrame(columns=units.COVERAGE_COLUMNS)
    coverage = coverage.assign(village_id=coverage["village_id"].where(coverage["village_id"].isin(list(known)), -1))
    coverage = coverage.groupby(["tbl", "village_id", "month"], as_index=False)["n"].sum()
    coverage = coverage.astype({"village_id": "int64", "month": "int64", "n": "int64"})
    every = coverage
    kept_rows: sa.ColumnElement[bool] | None = None
    if incremental and store.coverage.name in old:
        kept_cov = old[store.coverage.name]
        every = pd.concat([kept_cov[_kept(kept_cov, scopes, known)], coverage], ignore_index=True)
        kept_rows = _kept_rows(store.coverage, scopes)
    covered = units.coverage_of(every.groupby("month")["n"].sum(), today)
    days = latest.dt.strftime("%Y-%m-%d")
    last_change = pd.DataFrame({"village_id": latest.index.astype("int64"), "day": days.where(latest.notna(), None)})
    return QualityState(
        checks[["village_id", "check_code", "tbl", "n"]], unplaced, coverage, kept_rows, last_change, covered
    )


def _kept_rows(table: sa.Table, scopes: Scopes) -> sa.ColumnElement[bool]:
    """The rows of a stored table (tbl, village_id; −1: unplaced) that were not read again, as
    a condition (``_kept`` in SQL)."""
    read: list[sa.ColumnElement[bool]] = []
    for name in RECORD_TABLES:
        scope = scope_of(scopes, name)
        if scope is None:
            read.append(table.c.tbl == name)
            continue
        ids, unplaced = scope
        villages: list[sa.ColumnElement[bool]] = []
        if ids:
            villages.append(table.c.village_id.in_(sa.bindparam(f"read_{name}", list(ids), expanding=True)))
        if unplaced:
            villages.append(table.c.village_id == UNPLACED)
        if villages:
            read.append(sa.and_(table.c.tbl == name, sa.or_(*villages)))
    return sa.not_(sa.or_(*read)) if read else sa.true()


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
