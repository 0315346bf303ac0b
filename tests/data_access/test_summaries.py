"""The summaries against the live queries, on SQLite, PostgreSQL and MariaDB: every period
kind gives the same counts and the same indicator values; an incremental refresh after
inserts, date updates and deletions equals a full rebuild, also when it recomputes only the
villages a change touched (and those it reaches); a reader never sees a half-built
generation; the store holds counts, not people."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.app import sources
from dashboard.domain import quality, trends
from dashboard.domain import report as reports
from dashboard.domain import targets as tr
from dashboard.domain.periods import Period, parse_period
from data_access import config, demo
from data_access.db import reading, relations
from data_access.demo import day
from data_access.queries import counts, services
from data_access.schema import birth, contraception, household, person, service_event, village
from data_access.summaries import read, refresh, store
from data_access.summaries.compute import RangeEvents, SpanComputer, YearSummary
from data_access.summaries.store import RANGE_COLUMNS
from tests import boundary_registry
from tests.conftest import DIALECTS, fresh_database
from tests.data_access import test_services_quality as hand

TODAY = date(2024, 12, 20)


def periods_of(year: int, *, every: bool) -> list[Period]:
    """Every period kind the app offers for a year: the year, its quarters, months, year to
    date through each month and a range inside the year (``every=False``: a sample)."""
    labels = [str(year), *(f"{year}-Q{q}" for q in range(1, 5)), f"{year}-03..{year}-08"]
    months = range(1, 13) if every else (1, 2, 6, 12)
    labels += [f"{year}-{m:02d}" for m in months]
    labels += [f"{year}-01..{year}-{m:02d}" for m in months if m > 1]
    return [parse_period(label) for label in labels]


def live_counts(registry: sa.Engine, period: Period) -> pd.DataFrame:
    with reading(registry) as conn:
        return counts.base_counts(conn, period).join(services.service_counts(conn, period))


def _build_boundary(url: str) -> None:
    engine = sa.create_engine(url)
    boundary_registry.create(engine)
    engine.dispose()


def _build_demo(url: str) -> None:
    engine = sa.create_engine(url)
    rows = tr.seed_rows(config.settings().default_targets, TODAY.year)
    demo.build_demo(engine, scale=0.01, seed=11, today=TODAY, target_rows=rows)
    engine.dispose()


BUILDERS = {"boundary": _build_boundary, "services": hand.load, "demo": _build_demo}


@pytest.fixture(scope="module", params=[(d, k) for d in DIALECTS for k in BUILDERS], ids=lambda p: f"{p[0]}-{p[1]}")
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """(registry URL, summary store URL, kind) with the summaries built — the store on the
    same kind of database as the registry (SQLite file; a schema or database of the server)."""
    dialect, kind = request.param
    tmp = tmp_path_factory.mktemp(f"{dialect}-{kind}")
    with fresh_database(dialect, tmp) as url, fresh_database(dialect, tmp) as store_url:
        BUILDERS[kind](url)
        refresh.refresh(sources.open_registry(url), store.make_store(store_url), today=TODAY, full=True)
        yield url, store_url, kind


def test_every_period_kind_gives_the_live_counts(built: tuple[str, str, str]) -> None:
    url, store_url, kind = built
    registry, summaries = sources.open_registry(url), store.make_store(store_url)
    snap = sources.current_snapshot(summaries)
    assert snap is not None
    periods = [p for y in range(snap.first_year, snap.last_year + 1) for p in periods_of(y, every=y == 2024)]
    with reading(summaries) as conn:
        got = read.periods_counts(conn, snap.generation, periods, read.load_units(conn, snap.generation).index)
    for period in periods:
        live = live_counts(registry, period)
        mine = got[period.label][live.columns].loc[live.index]
        pd.testing.assert_frame_equal(mine, live.astype("int64"), check_names=False, obj=f"{kind} {period.label}")
    # The same frame one period at a time (the overview's path).
    with reading(summaries) as conn:
        one = read.period_counts(conn, snap.generation, parse_period("2024-Q2"), live.index)
    pd.testing.assert_frame_equal(one[live.columns], got["2024-Q2"][live.columns])


def test_a_units_sums_from_the_store_equal_the_live_counts_of_its_villages(built: tuple[str, str, str]) -> None:
    # What the trends page reads: one unit's counts, summed by the database over its villages.
    url, store_url, kind = built
    registry, summaries = sources.open_registry(url), store.make_store(store_url)
    snap = sources.current_snapshot(summaries)
    assert snap is not None
    periods = [p for y in range(snap.first_year, snap.last_year + 1) for p in periods_of(y, every=False)]
    with reading(summaries) as conn:
        units = read.load_units(conn, snap.generation)
    township = str(units["township_code"].iloc[-1])
    village = str(units["village_code"].iloc[0])
    for level, code in (("county", None), ("township", township), ("village", village)):
        chosen = trends.chosen_villages(units, level, code)
        with reading(summaries) as conn:
            ids = None if level == "county" else [int(v) for v in chosen]
            got = read.unit_periods_counts(conn, snap.generation, periods, ids)
        for period in periods:
            live = live_counts(registry, period).reindex(chosen, fill_value=0).sum()
            mine = got[period.label][live.index]
            assert mine.tolist() == live.astype("int64").tolist(), f"{kind} {level} {period.label}"


@pytest.mark.parametrize("label", ["2024", "2024-01..2024-07", "2024-Q3", "2024-02"])
def test_indicator_values_equal_the_live_report(built: tuple[str, str, str], label: str) -> None:
    url, store_url, _ = built
    registry, summaries = sources.open_registry(url), store.make_store(store_url)
    snap = sources.current_snapshot(summaries)
    assert snap is not None
    period = parse_period(label)
    for level in ("county", "township", "village"):
        live = reports.build(sources.load_inputs(registry, period, today=TODAY), level).result
        mine = reports.build(sources.summary_inputs(registry, summaries, snap, period), level).result
        pd.testing.assert_frame_equal(mine, live, obj=f"{label} {level}")


def test_quality_counts_equal_the_live_checks(built: tuple[str, str, str]) -> None:
    url, store_url, kind = built
    registry, summaries = sources.open_registry(url), store.make_store(store_url)
    snap = sources.current_snapshot(summaries)
    assert snap is not None
    period = parse_period("2024-01..2024-11")
    live = sources.quality_report(registry, period, TODAY).counts
    mine = sources.summary_quality(summaries, snap, period).counts
    key = ["check", "township_code"]
    pd.testing.assert_frame_equal(
        mine.sort_values(key).reset_index(drop=True), live.sort_values(key).reset_index(drop=True)
    )
    if kind == "demo":  # the planted defects are all there
        assert mine.groupby("check")["count"].sum().to_dict() == demo.defects.PLANTED_DEFECTS
    # The records behind one check, live on the villages the summaries name, are all of them.
    found = sources.summary_quality(summaries, snap, period).findings
    for check in ("id_invalid", "id_missing", "id_duplicate"):
        in_check = found[found["check"] == check]
        villages = (
            tuple(int(v) for v in in_check["village_id"].dropna().unique()),
            bool(in_check["village_id"].isna().any()),
        )
        narrowed = sources.quality_report(registry, period, TODAY, check=check, villages=villages).findings
        everything = sources.quality_report(registry, period, TODAY, check=check).findings
        assert len(narrowed) == len(everything) == len(in_check)


def test_the_store_holds_counts_not_people(built: tuple[str, str, str]) -> None:
    url, store_url, _ = built
    summaries = store.make_store(store_url)
    registry = sources.open_registry(url)
    with reading(registry) as conn:
        numbers = {n for n in conn.execute(sa.text("SELECT id_number FROM person")).scalars() if n}
        names = {n for n in conn.execute(sa.text("SELECT name FROM person")).scalars() if n}
    with reading(summaries) as conn:
        for table in store.metadata.sorted_tables:
            assert not {"name", "id_number", "birth_date", "person_id"} & set(table.c.keys())
            for row in conn.execute(sa.select(table)).all():
                texts = {str(v) for v in row}
                assert not texts & numbers and not texts & names, table.name


# ----------------------------------------------------------------------------- incremental


def _dump(engine: sa.Engine) -> dict[str, pd.DataFrame]:
    with engine.connect() as conn:
        generation = store.current_generation(conn)
        out = {}
        for table in (
            store.flow,
            store.stock,
            store.month_range,
            store.unit,
            store.quota,
            store.quality,
            store.coverage,
            store.last_change,
        ):
            frame = pd.read_sql(sa.select(table).where(table.c.generation == generation), conn)
            frame = frame.drop(columns="generation")
            out[table.name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out


@contextmanager
def _demo_and_two_stores(dialect: str, tmp_path: Path) -> Iterator[tuple[sa.Engine, sa.Engine, sa.Engine]]:
    """A small demo registry and two empty summary stores (one refreshed step by step, one
    rebuilt in full), each its own database on ``dialect``."""
    with (
        fresh_database(dialect, tmp_path) as url,
        fresh_database(dialect, tmp_path) as inc_url,
        fresh_database(dialect, tmp_path) as full_url,
    ):
        _build_demo(url)
        yield sources.open_registry(url), store.make_store(inc_url), store.make_store(full_url)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_incremental_refresh_equals_a_full_rebuild(dialect: str, tmp_path: Path) -> None:
    with _demo_and_two_stores(dialect, tmp_path) as (registry, inc, full):
        first = refresh.refresh(registry, inc, today=TODAY)
        assert first.mode == "full"
        before = _dump(inc)
        again = refresh.refresh(registry, inc, today=TODAY)
        assert (again.mode, again.years) == ("unchanged", ())
        assert all(_dump(inc)[name].equals(frame) for name, frame in before.items())  # copied forward whole
        earliest = day.apply_a_day(registry, TODAY)
        step = refresh.refresh(registry, inc, today=TODAY)
        assert step.mode == "incremental" and step.years[0] == earliest, step  # from the earliest change on
        refresh.refresh(registry, full, today=TODAY, full=True)
        after, rebuilt = _dump(inc), _dump(full)
        for name in rebuilt:
            pd.testing.assert_frame_equal(after[name], rebuilt[name], obj=name)
        assert not before["summary_flow"].equals(after["summary_flow"])  # the day's changes arrived
        # And the pages' counts agree with the live queries after the change.
        snap = sources.current_snapshot(inc)
        assert snap is not None
        for label in ("2024", "2024-12", "2022", "2023-Q1"):
            period = parse_period(label)
            live = live_counts(registry, period)
            with reading(inc) as conn:
                mine = read.period_counts(conn, snap.generation, period, live.index)[live.columns]
            pd.testing.assert_frame_equal(mine, live.astype("int64"), obj=label)


def test_a_changed_village_list_rebuilds_in_full(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    hand.load(url)
    registry, summaries = sources.open_registry(url), store.make_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    refresh.refresh(registry, summaries, today=TODAY)
    with registry.begin() as conn:
        conn.execute(sa.text("UPDATE village SET name = '新名村' WHERE id = (SELECT MIN(id) FROM village)"))
    done = refresh.refresh(registry, summaries, today=TODAY)
    assert done.mode == "full"
    with reading(summaries) as conn:
        assert "新名村" in set(read.load_units(conn, done.generation)["village_name"])


# ----------------------------------------------------------------------------- the swap


def test_a_reader_never_sees_a_half_built_generation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    hand.load(url)
    registry, summaries = sources.open_registry(url), store.make_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    refresh.refresh(registry, summaries, today=TODAY)
    old = sources.current_snapshot(summaries)
    assert old is not None
    period = parse_period("2024")
    with reading(summaries) as conn:
        before = read.period_counts(conn, old.generation, period, read.load_units(conn, old.generation).index)
    with registry.begin() as conn:  # a 2024 birth deleted: the new generation differs
        conn.execute(
            sa.text(
                "DELETE FROM birth WHERE id = (SELECT MIN(id) FROM birth WHERE birth_date >= :a AND birth_date < :b)"
            ),
            {"a": date(2024, 1, 1), "b": date(2025, 1, 1)},
        )

    written, release = threading.Event(), threading.Event()
    switch = store.switch_to

    def paused_switch(*args: object, **kwargs: object) -> None:
        written.set()  # the new generation is fully written, not yet current
        release.wait(30)
        switch(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "switch_to", paused_switch)
    worker = threading.Thread(target=refresh.refresh, args=(registry, summaries), kwargs={"today": TODAY, "full": True})
    worker.start()
    assert written.wait(60)
    mid = sources.current_snapshot(summaries)
    assert mid is not None and mid.generation == old.generation
    with reading(summaries) as conn:
        during = read.period_counts(conn, mid.generation, period, before.index)
    pd.testing.assert_frame_equal(during, before)
    with pytest.raises(store.RefreshBusy):  # one refresh at a time
        refresh.refresh(registry, summaries, today=TODAY)
    release.set()
    worker.join(60)
    new = sources.current_snapshot(summaries)
    assert new is not None and new.generation == old.generation + 1
    with reading(summaries) as conn:
        after = read.period_counts(conn, new.generation, period, before.index)
    assert after.equals(live_counts(registry, period)[after.columns].astype("int64").loc[after.index])
    assert not after.equals(before)


def test_a_failed_refresh_leaves_the_current_generation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    hand.load(url)
    registry, summaries = sources.open_registry(url), store.make_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    refresh.refresh(registry, summaries, today=TODAY)
    old = sources.current_snapshot(summaries)
    write = refresh._write

    def failing(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame, generation: int) -> None:
        if table is store.quality:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))
        write(conn, table, frame, generation)

    monkeypatch.setattr(refresh, "_write", failing)
    with pytest.raises(sa.exc.OperationalError):
        refresh.refresh(registry, summaries, today=TODAY, full=True)
    assert sources.current_snapshot(summaries) == old
    with reading(summaries) as conn:
        for table in store.GENERATION_TABLES:
            assert not conn.execute(sa.select(table).where(table.c.generation > old.generation)).first()  # type: ignore[union-attr]
    monkeypatch.setattr(refresh, "_write", write)
    assert refresh.refresh(registry, summaries, today=TODAY).generation == old.generation + 1  # type: ignore[union-attr]  # lock released


def test_the_quality_checks_in_the_store_are_the_checks() -> None:
    assert set(refresh.STORED_CHECKS) | {"population_balance"} == set(quality.CHECKS)


UPDATES_ONLY = {
    # A date moved by a day (SQLite's date()): only Σ day may tell.
    "method start by a day": (
        "UPDATE contraception SET start_date = date(start_date, '+1 day') WHERE id = (SELECT MIN(id)"
        " FROM contraception)",
        {},
    ),
    "event kind changed": (
        "UPDATE service_event SET kind = 'folic_acid' WHERE id = (SELECT MIN(id) FROM service_event"
        " WHERE kind = 'pregnancy_check')",
        {},
    ),
    "informed choice recorded": (
        "UPDATE service_event SET informed_choice = NOT informed_choice WHERE id = (SELECT MIN(id)"
        " FROM service_event WHERE kind = 'operation')",
        {},
    ),
}


@pytest.mark.parametrize("change", list(UPDATES_ONLY))
def test_an_update_of_old_rows_alone_is_found(change: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    hand.load(url)
    registry = sources.open_registry(url)
    inc, full = (
        store.make_store(f"sqlite:///{tmp_path / 'i.sqlite'}"),
        store.make_store(f"sqlite:///{tmp_path / 'f.sqlite'}"),
    )
    refresh.refresh(registry, inc, today=TODAY)
    sql, values = UPDATES_ONLY[change]
    with registry.begin() as conn:
        assert conn.execute(sa.text(sql), values).rowcount == 1
    step = refresh.refresh(registry, inc, today=TODAY)
    assert step.mode == "incremental", step
    refresh.refresh(registry, full, today=TODAY, full=True)
    after, rebuilt = _dump(inc), _dump(full)
    for name in rebuilt:
        pd.testing.assert_frame_equal(after[name], rebuilt[name], obj=name)


# ----------------------------------------------------------------------------- the villages a change touches


def _one(conn: sa.Connection, stmt: sa.Select[tuple[int]]) -> int:
    value = conn.execute(stmt.limit(1)).scalar()
    assert value is not None
    return int(value)


def _alive_local(conn: sa.Connection) -> int:
    return _one(
        conn,
        sa.select(person.c.id)
        .where(person.c.hukou == "local", person.c.death_date.is_(None), person.c.left_on.is_(None))
        .order_by(person.c.id),
    )


def _a_death(conn: sa.Connection) -> None:
    conn.execute(sa.update(person).where(person.c.id == _alive_local(conn)).values(death_date=date(2024, 6, 1)))


def _another_village(conn: sa.Connection, village_id: int) -> int:
    return _one(
        conn, sa.select(household.c.village_id).where(household.c.village_id != village_id).order_by(household.c.id)
    )


def _new_event(conn: sa.Connection, **values: object) -> None:
    top = int(conn.execute(sa.select(sa.func.max(service_event.c.id))).scalar() or 0)
    row = {"id": top + 1, "person_id": None, "household_id": None, "operation": None, "informed_choice": None}
    conn.execute(sa.insert(service_event).values({**row, **values}))


def _visit_elsewhere(conn: sa.Connection) -> None:
    """A publicity visit recorded in one village to a household of another: the household's
    village is reached."""
    home, village = conn.execute(sa.select(household.c.id, household.c.village_id).order_by(household.c.id)).first()  # type: ignore[misc]
    _new_event(
        conn,
        kind="publicity_visit",
        event_date=date(2024, 5, 10),
        village_id=_another_village(conn, village),
        household_id=home,
    )


def _first_check(conn: sa.Connection) -> tuple[int, int, int]:
    row = conn.execute(
        sa.select(service_event.c.id, service_event.c.person_id, service_event.c.village_id)
        .where(
            service_event.c.kind == "pregnancy_check",
            service_event.c.person_id.is_not(None),
            service_event.c.event_date >= date(2024, 3, 1),
            service_event.c.event_date < date(2025, 1, 1),
        )
        .order_by(service_event.c.id)
        .limit(1)
    ).first()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def _earlier_check_elsewhere(conn: sa.Connection) -> None:
    """A check recorded for a woman before her first of the year, in another village: she now
    counts there and no longer where she did."""
    _, woman, village = _first_check(conn)
    _new_event(
        conn,
        kind="pregnancy_check",
        event_date=date(2024, 1, 2),
        village_id=_another_village(conn, village),
        person_id=woman,
    )


def _check_redated(conn: sa.Connection) -> None:
    """An old check re-dated: whose first check it is may move between any villages."""
    event, _, _ = _first_check(conn)
    conn.execute(sa.update(service_event).where(service_event.c.id == event).values(event_date=date(2024, 1, 3)))


def _method_ended(conn: sa.Connection) -> None:
    spell = _one(
        conn,
        sa.select(contraception.c.id)
        .where(contraception.c.end_date.is_(None), contraception.c.start_date < date(2023, 1, 1))
        .order_by(contraception.c.id),
    )
    conn.execute(sa.update(contraception).where(contraception.c.id == spell).values(end_date=date(2024, 3, 1)))


def _household_moved(conn: sa.Connection) -> None:
    """(Before the first refresh) a living local person alone in a household of another
    village than hers: her death empties it there."""
    who = _alive_local(conn)
    village = conn.execute(sa.select(person.c.village_id).where(person.c.id == who)).scalar_one()
    home = int(conn.execute(sa.select(sa.func.max(household.c.id))).scalar() or 0) + 1
    conn.execute(sa.insert(household).values(id=home, village_id=_another_village(conn, village), code=f"H{home}"))
    conn.execute(sa.update(person).where(person.c.id == who).values(household_id=home))


def _birth_date_corrected(conn: sa.Connection) -> None:
    """A child registered at birth whose birth date is corrected by a day: the registration
    becomes a move in."""
    child = _one(
        conn,
        sa.select(person.c.id)
        .where(person.c.registered_on == person.c.birth_date, person.c.birth_date >= date(2024, 3, 1))
        .order_by(person.c.id),
    )
    born = conn.execute(sa.select(person.c.birth_date).where(person.c.id == child)).scalar_one()
    day_before = date.fromisoformat(str(born)[:10]) - timedelta(days=1)
    conn.execute(sa.update(person).where(person.c.id == child).values(birth_date=day_before))


#: change → (what the registry held before the first refresh, the change, whether the refresh
#: may narrow to the villages touched)
VILLAGE_CHANGES = {
    "a death": (None, _a_death, True),
    "a visit to a household of another village": (None, _visit_elsewhere, True),
    "an earlier check in another village": (None, _earlier_check_elsewhere, True),
    "a method ended": (None, _method_ended, True),
    "a death in a household of another village": (_household_moved, _a_death, True),
    "an old check re-dated": (None, _check_redated, False),
    "a birth date corrected": (None, _birth_date_corrected, True),
}


@pytest.mark.parametrize("change", list(VILLAGE_CHANGES))
@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_change_recomputes_the_villages_it_reaches(dialect: str, change: str, tmp_path: Path) -> None:
    before, apply, narrow = VILLAGE_CHANGES[change]
    with _demo_and_two_stores(dialect, tmp_path) as (registry, inc, full):
        if before is not None:
            with registry.begin() as conn:
                before(conn)
        refresh.refresh(registry, inc, today=TODAY)
        with registry.begin() as conn:
            apply(conn)
        step = refresh.refresh(registry, inc, today=TODAY)
        assert step.mode == "incremental", step
        with reading(inc) as conn:
            villages = len(read.load_units(conn, step.generation))
        if narrow:  # a few villages, not all of them
            assert step.villages is not None and 0 < step.villages < villages, step
        else:
            assert step.villages is None, step
        refresh.refresh(registry, full, today=TODAY, full=True)
        after, rebuilt = _dump(inc), _dump(full)
        for name in rebuilt:
            pd.testing.assert_frame_equal(after[name], rebuilt[name], obj=f"{change}: {name}")


# ----------------------------------------------------------------------------- the ID-number checks


def _numbered(conn: sa.Connection, offset: int = 0) -> tuple[int, str]:
    """A person with an 18-character ID number: (id, number)."""
    row = conn.execute(
        sa.select(person.c.id, person.c.id_number)
        .where(sa.func.length(person.c.id_number) == 18)
        .order_by(person.c.id)
        .offset(offset)
        .limit(1)
    ).one()
    return int(row[0]), str(row[1])


def _change_id_digit(conn: sa.Connection) -> None:
    pid, number = _numbered(conn)
    digit = "0" if number[10] != "0" else "1"
    conn.execute(sa.update(person).where(person.c.id == pid).values(id_number=number[:10] + digit + number[11:]))


def _swap_two_numbers(conn: sa.Connection) -> None:
    (a, first), (b, second) = _numbered(conn), _numbered(conn, 1)
    conn.execute(sa.update(person).where(person.c.id == a).values(id_number=second))
    conn.execute(sa.update(person).where(person.c.id == b).values(id_number=first))


def _blank_a_number(conn: sa.Connection) -> None:
    pid, _ = _numbered(conn, 2)
    conn.execute(sa.update(person).where(person.c.id == pid).values(id_number=""))


def _flip_sex(conn: sa.Connection) -> None:
    pid, _ = _numbered(conn, 3)
    sex = conn.execute(sa.select(person.c.sex).where(person.c.id == pid)).scalar()
    conn.execute(sa.update(person).where(person.c.id == pid).values(sex="M" if sex == "F" else "F"))


def _new_person_with_an_old_number(conn: sa.Connection) -> None:
    pid, number = _numbered(conn, 4)
    old = conn.execute(sa.select(person).where(person.c.id == pid)).mappings().one()
    top = int(conn.execute(sa.select(sa.func.max(person.c.id))).scalar() or 0)
    conn.execute(sa.insert(person).values({**old, "id": top + 1, "name": "重复"}))


ID_CHANGES = {
    "a digit of an ID number": _change_id_digit,
    "two persons' numbers swapped": _swap_two_numbers,
    "a number blanked": _blank_a_number,
    "sex corrected": _flip_sex,
    "a new person with an old person's number": _new_person_with_an_old_number,
}


def _id_counts(engine: sa.Engine) -> pd.DataFrame:
    frame = _dump(engine)["summary_quality"]
    return frame[frame["check_code"].isin(refresh.ID_CHECKS)].reset_index(drop=True)


def _checked(engine: sa.Engine) -> int:
    """How many villages' records the last refresh's quality checks read (−1: all)."""
    with engine.connect() as conn:
        value = store.read_meta(conn)["checked"]
    return -1 if value == "all" else int(value)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("change", list(ID_CHANGES))
def test_the_id_checks_see_every_change_to_what_they_read(dialect: str, change: str, tmp_path: Path) -> None:
    """An ID number, a sex or a birth date edited, two numbers swapped, a new person carrying
    an old person's number: the incremental refresh checks the records of the villages whose
    persons changed (not every village) and finds what a full rebuild finds — a duplicate
    across villages included."""
    with _demo_and_two_stores(dialect, tmp_path) as (registry, inc, full):
        refresh.refresh(registry, inc, today=TODAY)
        before = _id_counts(inc)
        with registry.begin() as conn:
            ID_CHANGES[change](conn)
        refresh.refresh(registry, inc, today=TODAY)
        with reading(inc) as conn:
            villages = len(read.load_units(conn, store.current_generation(conn) or 0))
        assert 0 < _checked(inc) < villages
        refresh.refresh(registry, full, today=TODAY, full=True)
        pd.testing.assert_frame_equal(_id_counts(inc), _id_counts(full))
        assert not _id_counts(inc).equals(before), "the change moved no count: the test shows nothing"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_day_of_registry_work_checks_the_villages_it_touched(dialect: str, tmp_path: Path) -> None:
    """A day's births (newborns without ID numbers), deaths, moves, methods ended and visits:
    only the villages whose records changed are checked again, and every stored check equals
    a full rebuild's (id_missing grows by the newborns)."""
    with _demo_and_two_stores(dialect, tmp_path) as (registry, inc, full):
        refresh.refresh(registry, inc, today=TODAY)
        before = _id_counts(inc)
        day.apply_a_day(registry, TODAY)
        refresh.refresh(registry, inc, today=TODAY)
        with reading(inc) as conn:
            villages = len(read.load_units(conn, store.current_generation(conn) or 0))
        assert 0 < _checked(inc) < villages
        refresh.refresh(registry, full, today=TODAY, full=True)
        pd.testing.assert_frame_equal(_dump(inc)["summary_quality"], _dump(full)["summary_quality"])
        after = _id_counts(inc)
        missing = after.loc[after["check_code"] == "id_missing", "n"].sum()
        assert missing > before.loc[before["check_code"] == "id_missing", "n"].sum()


# ----------------------------------------------------------------------------- findings that cross villages


def _mother_elsewhere(conn: sa.Connection) -> int:
    """(Before the first refresh) a local birth whose mother lives in another village: returns
    the mother."""
    row = conn.execute(
        sa.select(birth.c.id, birth.c.mother_id, birth.c.village_id)
        .where(birth.c.mother_id.is_not(None), birth.c.hukou == "local")
        .order_by(birth.c.id)
        .limit(1)
    ).one()
    mother_village = conn.execute(sa.select(person.c.village_id).where(person.c.id == row[1])).scalar_one()
    conn.execute(sa.update(person).where(person.c.id == row[1]).values(village_id=_another_village(conn, row[2])))
    assert mother_village is not None
    return int(row[1])


def _mother_made_twelve(conn: sa.Connection) -> None:
    """The mother's birth date corrected: at the birth (recorded in another village than
    hers) she was twelve — a mother_age finding of the birth's village."""
    mother = conn.execute(
        sa.select(birth.c.mother_id)
        .where(birth.c.mother_id.is_not(None), birth.c.hukou == "local")
        .order_by(birth.c.id)
    ).scalar()
    born = conn.execute(
        sa.select(birth.c.birth_date).where(birth.c.mother_id == mother).order_by(birth.c.id)
    ).scalar_one()
    day_of = date.fromisoformat(str(born)[:10])
    conn.execute(
        sa.update(person).where(person.c.id == mother).values(birth_date=day_of.replace(year=day_of.year - 12))
    )


def _person_deleted(conn: sa.Connection) -> None:
    """A person with service events deleted: the events, wherever recorded, name nobody."""
    who = _one(
        conn,
        sa.select(service_event.c.person_id).where(service_event.c.person_id.is_not(None)).order_by(service_event.c.id),
    )
    conn.execute(sa.delete(person).where(person.c.id == who))


def _nobody_referred(conn: sa.Connection) -> None:
    """(Before the first refresh) a check names a person id that does not exist yet."""
    top = int(conn.execute(sa.select(sa.func.max(person.c.id))).scalar() or 0)
    event, _, _ = _first_check(conn)
    conn.execute(sa.update(service_event).where(service_event.c.id == event).values(person_id=top + 1))


def _that_person_registered(conn: sa.Connection) -> None:
    """The person the check named is registered (in another village): no longer missing."""
    top = int(conn.execute(sa.select(sa.func.max(person.c.id))).scalar() or 0)
    old = conn.execute(sa.select(person).where(person.c.id == _alive_local(conn))).mappings().one()
    event, _, village = _first_check(conn)
    conn.execute(
        sa.insert(person).values(
            {**old, "id": top + 1, "name": "补录", "id_number": None, "village_id": _another_village(conn, village)}
        )
    )


def _number_shared_elsewhere(conn: sa.Connection) -> None:
    """(Before the first refresh) a person in another village carries the first numbered
    person's ID number: both are duplicates."""
    pid, number = _numbered(conn)
    village = conn.execute(sa.select(person.c.village_id).where(person.c.id == pid)).scalar_one()
    other = _one(
        conn,
        sa.select(person.c.id)
        .where(person.c.village_id != village, person.c.id_number.is_not(None))
        .order_by(person.c.id),
    )
    conn.execute(sa.update(person).where(person.c.id == other).values(id_number=number))


def _shared_number_corrected(conn: sa.Connection) -> None:
    """The second carrier's number corrected: neither is a duplicate any more — the first in
    a village whose records did not change."""
    pid, number = _numbered(conn)
    other = _one(conn, sa.select(person.c.id).where(person.c.id_number == number, person.c.id != pid))
    conn.execute(sa.update(person).where(person.c.id == other).values(id_number="530823199001010000"))


def _dated_next_week(conn: sa.Connection) -> None:
    """(Before the first refresh) a visit dated a week after the refresh day: in the future."""
    home, village = conn.execute(sa.select(household.c.id, household.c.village_id).order_by(household.c.id)).first()  # type: ignore[misc]
    _new_event(
        conn, kind="publicity_visit", event_date=TODAY + timedelta(days=7), village_id=village, household_id=home
    )


#: change → (what the registry held before the first refresh, the change, the day of the
#: incremental refresh, the databases: a reference to nobody needs a registry without foreign
#: keys, as the demo's SQLite file and view-mapped registries are)
FINDING_CHANGES = {
    "a mother's birth date, her birth elsewhere": (_mother_elsewhere, _mother_made_twelve, TODAY, DIALECTS),
    "a person deleted whose records lie elsewhere": (None, _person_deleted, TODAY, ("sqlite",)),
    "a person named before registered": (_nobody_referred, _that_person_registered, TODAY, ("sqlite",)),
    "a duplicate number corrected in one village": (
        _number_shared_elsewhere,
        _shared_number_corrected,
        TODAY,
        DIALECTS,
    ),
    "the day a future visit became the past": (_dated_next_week, None, TODAY + timedelta(days=10), DIALECTS),
}


@pytest.mark.parametrize(
    ("change", "dialect"), [(c, d) for c, (*_, dialects) in FINDING_CHANGES.items() for d in dialects]
)
def test_a_change_moves_the_findings_of_the_villages_it_reaches(dialect: str, change: str, tmp_path: Path) -> None:
    """Findings that read records of another village (a mother, an event's person, a duplicate
    number) or the day: the incremental refresh equals a full rebuild on the same day, and
    the change moved a finding (else the test shows nothing)."""
    before, apply, when, _ = FINDING_CHANGES[change]
    with _demo_and_two_stores(dialect, tmp_path) as (registry, inc, full):
        if before is not None:
            with registry.begin() as conn:
                before(conn)
        refresh.refresh(registry, inc, today=TODAY)
        found = _dump(inc)["summary_quality"]
        if apply is not None:
            with registry.begin() as conn:
                apply(conn)
        refresh.refresh(registry, inc, today=when)
        refresh.refresh(registry, full, today=when, full=True)
        after, rebuilt = _dump(inc), _dump(full)
        for name in rebuilt:
            pd.testing.assert_frame_equal(after[name], rebuilt[name], obj=f"{change}: {name}")
        assert not after["summary_quality"].equals(found), "no finding moved: the test shows nothing"
        with reading(inc) as conn, reading(full) as fconn:
            assert store.read_meta(conn)["coverage_last"] == store.read_meta(fconn)["coverage_last"]


@pytest.mark.parametrize(
    ("last_full", "now", "hour", "due"),
    [
        ("2024-12-20T01:59:00", datetime(2024, 12, 20, 2, 0), 2, True),  # the hour has struck since
        ("2024-12-20T02:00:00", datetime(2024, 12, 20, 23, 0), 2, False),  # after today's hour
        ("2024-12-19T23:00:00", datetime(2024, 12, 20, 1, 0), 2, False),  # before today's hour: yesterday's counts
        ("2024-12-19T01:00:00", datetime(2024, 12, 20, 1, 0), 2, True),  # before yesterday's hour
        ("2024-12-01T00:00:00", datetime(2024, 12, 20, 12, 0), None, False),  # never by the clock
        ("", datetime(2024, 12, 20, 12, 0), 2, False),  # no summaries yet: the first refresh is full anyway
        ("garbled", datetime(2024, 12, 20, 12, 0), 2, True),
    ],
)
def test_the_first_refresh_after_the_hour_is_full(last_full: str, now: datetime, hour: int | None, due: bool) -> None:
    assert refresh._full_due(last_full, now, hour) is due


def test_the_days_first_refresh_after_the_hour_rebuilds_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHBOARD_FULL_REFRESH_HOUR", "2")
    url = f"sqlite:///{tmp_path / 'r.sqlite'}"
    hand.load(url)
    registry, summaries = sources.open_registry(url), store.make_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    assert refresh.refresh(registry, summaries, today=TODAY).mode == "full"
    assert refresh.refresh(registry, summaries, today=TODAY).mode == "unchanged"
    tomorrow = datetime.now() + timedelta(days=1)
    assert refresh.refresh(registry, summaries, today=TODAY, now=tomorrow).mode == "full"
    assert refresh.refresh(registry, summaries, today=TODAY, now=tomorrow).mode == "unchanged"


# ----------------------------------------------------------------------------- a defect arrives


def _defect_cases() -> list[tuple[str, str]]:
    from tests.app.test_defects import CATALOGUE

    return [(name, d) for name, defect in CATALOGUE.items() if defect.finding for d in defect.dialects]


@pytest.mark.parametrize(("name", "dialect"), _defect_cases())
def test_a_defect_entered_after_a_refresh_is_found_incrementally(name: str, dialect: str, tmp_path: Path) -> None:
    """Every defect of the broken-registry catalogue, entered into a clean registry after a
    refresh: the next (incremental) refresh counts it where a full rebuild does, and leaves
    the numbers as a full rebuild does."""
    from tests.app.test_defects import CATALOGUE

    defect = CATALOGUE[name]
    with (
        fresh_database(dialect, tmp_path) as url,
        fresh_database(dialect, tmp_path) as inc_url,
        fresh_database(dialect, tmp_path) as full_url,
    ):
        hand.load(url)
        registry, inc, full = sources.open_registry(url), store.make_store(inc_url), store.make_store(full_url)
        refresh.refresh(registry, inc, today=TODAY)
        with registry.begin() as conn:
            for statement in defect.statements:
                conn.execute(sa.text(statement))
        refresh.refresh(registry, inc, today=TODAY)
        refresh.refresh(registry, full, today=TODAY, full=True)
        after, rebuilt = _dump(inc), _dump(full)
        for table in rebuilt:
            pd.testing.assert_frame_equal(after[table], rebuilt[table], obj=f"{name}: {table}")
        found = after["summary_quality"]
        assert found.loc[found["check_code"] == defect.finding, "n"].sum() > 0, name


# ----------------------------------------------------------------------------- a few villages recounted


def _plant_across_villages(conn: sa.Connection) -> tuple[list[int], list[int]]:
    """Rows whose counts in villages a, b, c depend on events recorded in x and y (and on
    persons of x): returns ([a, b, c], [x, y]). Kinds are written as a registry may write them
    (' Pregnancy_Check', 'PUBLICITY_VISIT'): they read as the contract's codes."""
    villages = sorted(int(v) for v in conn.execute(sa.select(village.c.id)).scalars())
    a, b, c, x, y = villages[:5]

    def top(table: sa.Table) -> int:
        return int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0))).scalar() or 0)

    pid, hid, sid = top(person), top(household), top(contraception)
    ev: list[dict[str, object]] = []

    def event(kind: str, day: date, at: int, **kw: object) -> None:
        row = {"person_id": None, "household_id": None, "operation": None, "informed_choice": None, **kw}
        ev.append({"id": top(service_event) + len(ev) + 1, "kind": kind, "event_date": day, "village_id": at, **row})

    def someone(k: int, at: int, **kw: object) -> dict[str, object]:
        # Every row with every key: an executemany takes its columns from the first row.
        row = {"sex": "F", "birth_date": date(1990, 5, 5), "hukou": "local", "marital_status": "single"}
        row |= {"married_on": None, "registered_on": date(1990, 5, 5), "household_id": None} | kw
        return {"id": pid + k, "id_number": None, "name": f"跨村{k}", "village_id": at, **row}

    home_a, home_x = hid + 1, hid + 2  # a household of a whose only member lives in x; one of x with a's
    conn.execute(sa.insert(household), [{"id": home_a, "village_id": a}, {"id": home_x, "village_id": x}])
    married = {"marital_status": "married", "married_on": date(2015, 1, 1)}
    conn.execute(
        sa.insert(person),
        [
            someone(1, x, household_id=home_a, sex="M"),
            someone(2, a, household_id=home_x, sex="M"),
            someone(3, a),  # checked first in y, then in a
            someone(4, b),  # checked twice on one day: in x (lower id), then in b
            someone(5, x),  # given folic acid in y, then in c
            someone(6, a, **married),  # a short-acting user of a served in y
            someone(7, x, **married),  # one of x served in a
            someone(8, c),  # checked in y, then in c, the year before
        ],
    )
    conn.execute(
        sa.insert(contraception),
        [
            {"id": sid + 1, "woman_id": pid + 6, "method": "oral", "start_date": date(2020, 1, 1), "end_date": None},
            {"id": sid + 2, "woman_id": pid + 7, "method": "condom", "start_date": date(2020, 1, 1), "end_date": None},
        ],
    )
    event("PUBLICITY_VISIT", date(2024, 5, 10), y, household_id=home_a)
    event("publicity_visit", date(2024, 5, 11), a, household_id=home_x)
    event(" Pregnancy_Check", date(2024, 3, 1), y, person_id=pid + 3)
    event("pregnancy_check", date(2024, 6, 1), a, person_id=pid + 3)
    event("pregnancy_check", date(2024, 4, 2), x, person_id=pid + 4)
    event("pregnancy_check", date(2024, 4, 2), b, person_id=pid + 4)
    event("folic_acid", date(2024, 2, 1), c, person_id=pid + 5)
    event("folic_acid", date(2024, 1, 15), y, person_id=pid + 5)
    event("supply_service", date(2024, 7, 1), y, person_id=pid + 6)
    event("supply_service", date(2024, 7, 2), a, person_id=pid + 7)
    event("pregnancy_check", date(2023, 5, 5), y, person_id=pid + 8)
    event("pregnancy_check", date(2023, 8, 8), c, person_id=pid + 8)
    conn.execute(sa.insert(service_event), ev)
    return [a, b, c], [x, y]


class _RecordedHereOnly(SpanComputer):
    """A narrowing that drops the events it needs: only those recorded in the villages."""

    def _narrow_events(self, first: date, end: date) -> RangeEvents:
        self.narrow = False
        try:
            every = self._events(first, end)
        finally:
            self.narrow = True
        return RangeEvents(
            *(f[f["village_id"].isin(self.village_ids)] for f in (every.visits, every.served, every.quota))
        )


def _rows_of(summaries: list[YearSummary], villages: list[int]) -> dict[str, pd.DataFrame]:
    out = {}
    for name in ("flows", "stocks", "ranges"):
        frame = pd.concat([getattr(s, name) for s in summaries], ignore_index=True)
        frame = frame[frame["village_id"].isin(villages)].astype("int64")
        keys = [c for c in ("year", "first_month", "last_month", "month", "village_id") if c in frame]
        out[name] = frame.sort_values(keys).reset_index(drop=True)
    return out


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_narrow_recount_equals_the_full_count_of_its_villages(dialect: str, tmp_path: Path) -> None:
    """The recount of a few villages reads only what can count there, and gives their rows of
    a full computation, also where their counts hang on events recorded elsewhere: a household
    visited from another village, persons checked in several villages (first one wins, ties by
    id), a woman served elsewhere, a household whose member lives in another village. With
    the index on kind (values as written found through it) and without it (read by code)."""
    with fresh_database(dialect, tmp_path) as url:
        _build_demo(url)
        registry = sources.open_registry(url)
        with registry.begin() as conn:
            mine, _ = _plant_across_villages(conn)
        with reading(registry) as conn:
            tables = relations(conn)
            everyone = [int(v) for v in conn.execute(sa.select(village.c.id)).scalars()]
            full = _rows_of(SpanComputer(conn, 2023, 2024, everyone, tables).compute(), mine)
            narrow = SpanComputer(conn, 2023, 2024, mine, tables, narrow=True)
            got = _rows_of(narrow.compute(), mine)
            written = narrow._kinds_written()
            assert written is not None and " Pregnancy_Check" in written["pregnancy_check"]
            for name in full:
                pd.testing.assert_frame_equal(got[name], full[name], obj=name)
            # The planted rows matter: reading only the events recorded in the villages moves
            # every distinct count (so a narrowing that drops what it needs fails above).
            dropped = _rows_of(_RecordedHereOnly(conn, 2023, 2024, mine, tables, narrow=True).compute(), mine)
            for column in RANGE_COLUMNS:
                assert not dropped["ranges"][column].equals(full["ranges"][column]), column
        with registry.begin() as conn:
            for index in service_event.indexes:
                index.drop(conn)
        with reading(registry) as conn:
            narrow = SpanComputer(conn, 2023, 2024, mine, tables, narrow=True)
            got = _rows_of(narrow.compute(), mine)
            assert narrow._kinds_written() is None  # read by code: no index to seek on
            for name in full:
                pd.testing.assert_frame_equal(got[name], full[name], obj=f"{name} without the kind index")


def _rehouse(conn: sa.Connection) -> None:
    """A living person put in another household of her village (no date says when)."""
    who = _alive_local(conn)
    village, home = conn.execute(sa.select(person.c.village_id, person.c.household_id).where(person.c.id == who)).one()
    other = _one(
        conn,
        sa.select(household.c.id)
        .where(household.c.village_id == village, household.c.id != home)
        .order_by(household.c.id),
    )
    conn.execute(sa.update(person).where(person.c.id == who).values(household_id=other))


def _household_to_another_village(conn: sa.Connection) -> None:
    home, village = conn.execute(sa.select(household.c.id, household.c.village_id).order_by(household.c.id)).first()  # type: ignore[misc]
    conn.execute(sa.update(household).where(household.c.id == home).values(village_id=_another_village(conn, village)))


def _person_to_another_village(conn: sa.Connection) -> None:
    """A person's village corrected (her household stays): counted in the other village."""
    who = _alive_local(conn)
    village = conn.execute(sa.select(person.c.village_id).where(person.c.id == who)).scalar_one()
    conn.execute(sa.update(person).where(person.c.id == who).values(village_id=_another_village(conn, village)))


@pytest.mark.parametrize(
    ("change", "mode"),
    [(_rehouse, "full"), (_household_to_another_village, "full"), (_person_to_another_village, "incremental")],
    ids=["a person rehoused", "a household moved", "a person's village corrected"],
)
def test_a_household_change_rebuilds_in_full(
    change: Callable[[sa.Connection], None], mode: str, tmp_path: Path
) -> None:
    """Households carry no dates: a person put in another household, or a household moved,
    rebuilds everything; a person's village corrected (her household's total unchanged) does
    not — and either way the summaries equal a full rebuild."""
    with _demo_and_two_stores("sqlite", tmp_path) as (registry, inc, full):
        refresh.refresh(registry, inc, today=TODAY)
        with registry.begin() as conn:
            change(conn)
        assert refresh.refresh(registry, inc, today=TODAY).mode == mode
        refresh.refresh(registry, full, today=TODAY, full=True)
        after, rebuilt = _dump(inc), _dump(full)
        for name in rebuilt:
            pd.testing.assert_frame_equal(after[name], rebuilt[name], obj=name)
