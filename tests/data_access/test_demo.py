"""The demo registry generator: shape, determinism, and the consistency of every record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.domain.periods import age_cutoff
from data_access import demo, schema
from data_access.demo import defects, world

TODAY = date(2025, 3, 15)
AS_OF = date(2025, 2, 28)
SCALE = 0.01


def _build(path: Path, seed: int = 20240601, **kwargs: object) -> tuple[sa.Engine, demo.DemoSummary]:
    engine = sa.create_engine(f"sqlite:///{path}")
    summary = demo.build_demo(engine, scale=SCALE, seed=seed, today=TODAY, **kwargs)  # type: ignore[arg-type]
    return engine, summary


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[sa.Engine, demo.DemoSummary, list[str]]]:
    steps: list[str] = []
    rows = [
        {
            "year": 2024,
            "indicator": "birth_rate",
            "township_id": None,
            "op": "<=",
            "value": 12.0,
            "low": None,
            "high": None,
            "amber": 1.0,
        },
        {
            "year": 2024,
            "indicator": "sex_ratio_at_birth",
            "township_id": None,
            "op": "band",
            "value": 106.0,
            "low": 103.0,
            "high": 107.0,
            "amber": 3.0,
        },
    ]
    engine, summary = _build(tmp_path_factory.mktemp("demo") / "demo.sqlite", target_rows=rows, progress=steps.append)
    yield engine, summary, steps
    engine.dispose()


@pytest.fixture(scope="module")
def engine(built: tuple[sa.Engine, demo.DemoSummary, list[str]]) -> sa.Engine:
    return built[0]


def _all(engine: sa.Engine, stmt: sa.Executable) -> list[sa.Row]:
    with engine.connect() as conn:
        return list(conn.execute(stmt).all())


def _scalar(engine: sa.Engine, stmt: sa.Executable) -> object:
    with engine.connect() as conn:
        return conn.execute(stmt).scalar()


def _count(engine: sa.Engine, table: sa.Table) -> int:
    return int(_scalar(engine, sa.select(sa.func.count()).select_from(table)))  # type: ignore[arg-type]


def test_as_of_is_the_last_complete_month() -> None:
    assert demo.as_of_for(date(2026, 11, 29)) == date(2026, 10, 31)
    assert demo.as_of_for(date(2026, 11, 1)) == date(2026, 10, 31)
    assert demo.as_of_for(date(2025, 1, 10)) == date(2024, 12, 31)
    assert demo.as_of_for(TODAY) == AS_OF


def test_summary_and_units(built: tuple[sa.Engine, demo.DemoSummary, list[str]]) -> None:
    engine, summary, steps = built
    assert summary.as_of == AS_OF
    assert (summary.townships, summary.villages) == (13, 170)
    assert _count(engine, schema.township) == 13
    assert _count(engine, schema.village) == 170
    assert summary.persons == _count(engine, schema.person)
    assert summary.births == _count(engine, schema.birth)
    assert summary.births > 0 and summary.deaths > 0
    assert steps and all(isinstance(s, str) and s for s in steps)
    t = schema.township
    villages = _all(engine, sa.select(schema.village, t.c.code.label("tcode"), t.c.name.label("tname")).join(t))
    assert len({v.code for v in villages}) == 170 and len({v.name for v in villages}) == 170
    assert all(len(v.code) == 12 and v.code.startswith(v.tcode) for v in villages)
    communities = [v for v in villages if v.kind == "社区"]
    assert len(communities) == 4 and {v.tname for v in communities} == {"锦屏镇"}
    assert {v.kind for v in villages} == {"村", "社区"}
    assert "文井村" in {v.name for v in villages}
    assert _count(engine, schema.target) == 2


def test_population_size_and_households(engine: sa.Engine) -> None:
    p = schema.person
    present = _scalar(
        engine,
        sa.select(sa.func.count()).where(
            p.c.hukou == "local",
            p.c.registered_on <= AS_OF,
            sa.or_(p.c.left_on.is_(None), p.c.left_on > AS_OF),
            sa.or_(p.c.death_date.is_(None), p.c.death_date > AS_OF),
        ),
    )
    assert 367_794 * SCALE * 0.97 <= present <= 367_794 * SCALE * 1.03  # type: ignore[operator]
    assert _scalar(engine, sa.select(sa.func.count()).where(p.c.hukou == "local", p.c.household_id.is_(None))) == 0
    floating = _scalar(engine, sa.select(sa.func.count()).where(p.c.hukou == "floating"))
    assert floating and floating > 0.02 * present  # type: ignore[operator]


def test_deterministic_for_the_seed(engine: sa.Engine, tmp_path: Path) -> None:
    first_ids = sa.select(schema.person.c.id_number).order_by(schema.person.c.id).limit(100)
    same, _ = _build(tmp_path / "same.sqlite")
    other, _ = _build(tmp_path / "other.sqlite", seed=7)
    try:
        assert _count(same, schema.person) == _count(engine, schema.person)
        assert _all(same, first_ids) == _all(engine, first_ids)
        assert _count(same, schema.contraception) == _count(engine, schema.contraception)
        for table in (schema.service_event, schema.reward_payment, schema.demo_site, schema.task_quota):
            assert _count(same, table) == _count(engine, table) > 0
        last_events = sa.select(schema.service_event).order_by(schema.service_event.c.id.desc()).limit(50)
        assert _all(same, last_events) == _all(engine, last_events)
        assert _all(other, first_ids) != _all(engine, first_ids)
    finally:
        same.dispose()
        other.dispose()


def test_same_registry_on_every_dialect(empty_db: str, engine: sa.Engine) -> None:
    """The generator runs unchanged on SQLite, PostgreSQL and MariaDB and makes the same rows."""
    other = sa.create_engine(empty_db)
    try:
        demo.build_demo(other, scale=SCALE, today=TODAY)
        for table in (
            schema.person,
            schema.birth,
            schema.contraception,
            schema.service_event,
            schema.task_quota,
            schema.reward_payment,
            schema.demo_site,
        ):
            assert _count(other, table) == _count(engine, table), table.name
        for table in (schema.service_event, schema.reward_payment, schema.demo_site, schema.birth):
            rows = sa.select(table).order_by(table.c.id.desc()).limit(300)
            assert _all(other, rows) == _all(engine, rows), table.name
        people = sa.select(schema.person).where(schema.person.c.id_number.is_(None) | (schema.person.c.id % 97 == 0))
        assert _all(other, people) == _all(engine, people)
    finally:
        other.dispose()


def test_no_event_after_as_of(engine: sa.Engine) -> None:
    p, b, c, e, r, d = (
        schema.person,
        schema.birth,
        schema.contraception,
        schema.service_event,
        schema.reward_payment,
        schema.demo_site,
    )
    for column in (
        p.c.birth_date,
        p.c.registered_on,
        p.c.married_on,
        p.c.left_on,
        p.c.death_date,
        b.c.birth_date,
        c.c.end_date,
        r.c.due_date,
        r.c.paid_on,
        d.c.established_on,
    ):
        latest = _scalar(engine, sa.select(sa.func.max(column)))
        assert latest is not None and latest <= AS_OF, column
    for column in (c.c.start_date, e.c.event_date):  # one planted future record each (event_future)
        assert _scalar(engine, sa.select(sa.func.count()).where(column > AS_OF)) == 1, column
    assert _scalar(engine, sa.select(sa.func.min(b.c.birth_date))) >= date(2019, 1, 1)  # type: ignore[operator]
    # Service events start in 2019 but for the one planted before its woman's birth.
    early = sa.select(sa.func.count()).where(e.c.event_date < date(2019, 1, 1))
    assert _scalar(engine, early) == 1


def test_local_births_have_eligible_mothers(engine: sa.Engine) -> None:
    p, b = schema.person, schema.birth
    rows = _all(
        engine,
        sa.select(
            b,
            p.c.hukou.label("m_hukou"),
            p.c.sex.label("m_sex"),
            p.c.birth_date.label("m_birth"),
            p.c.marital_status,
            p.c.married_on,
            p.c.registered_on,
            p.c.left_on,
            p.c.death_date,
            p.c.village_id.label("m_village"),
        )
        .join(p, p.c.id == b.c.mother_id)
        .where(b.c.hukou == "local"),
    )
    assert len(rows) == _scalar(engine, sa.select(sa.func.count()).where(b.c.hukou == "local")) > 0
    too_old = no_sex = no_compliance = 0
    for r in rows:
        d = r.birth_date
        assert r.m_hukou == "local" and r.m_sex == "F" and r.marital_status == "married", r
        assert r.married_on is not None and r.married_on <= d, r
        if not age_cutoff(d, 50) < r.m_birth <= age_cutoff(d, 15):  # aged 15–49 at the birth
            assert r.m_birth <= age_cutoff(d, 50), r  # planted: mothers recorded as 50+
            too_old += 1
        assert r.registered_on <= d, r
        assert r.left_on is None or r.left_on > d, r
        assert r.death_date is None or r.death_date > d, r
        assert r.village_id == r.m_village and r.parity >= 1
        assert r.sex in ("M", "F") or r.sex is None
        assert isinstance(r.policy_compliant, bool) or r.policy_compliant is None
        no_sex += r.sex is None
        no_compliance += r.policy_compliant is None
    assert (too_old, no_sex, no_compliance) == (3, 2, 2)


def test_children_match_their_birth_rows(engine: sa.Engine) -> None:
    p, b = schema.person, schema.birth
    rows = _all(
        engine,
        sa.select(
            b.c.birth_date,
            b.c.sex,
            b.c.hukou,
            b.c.village_id,
            p.c.birth_date.label("c_birth"),
            p.c.sex.label("c_sex"),
            p.c.hukou.label("c_hukou"),
            p.c.registered_on,
            p.c.village_id.label("c_village"),
        ).join(p, p.c.id == b.c.child_id),
    )
    assert len(rows) == _count(engine, b)
    for r in rows:
        assert (r.c_birth, r.c_hukou, r.c_village) == (r.birth_date, r.hukou, r.village_id)
        assert r.c_sex == r.sex or r.sex is None  # two planted births lack their sex
        assert r.registered_on == r.birth_date


def test_floating_births_exist_with_floating_mothers(engine: sa.Engine) -> None:
    p, b = schema.person, schema.birth
    hukous = _all(engine, sa.select(p.c.hukou).join(b, p.c.id == b.c.mother_id).where(b.c.hukou == "floating"))
    assert hukous and {h for (h,) in hukous} == {"floating"}


def test_id_numbers_are_valid_unique_and_agree_but_for_the_planted(frames: dict[str, pd.DataFrame]) -> None:
    p = frames["person"]
    counts = _id_checks(p)
    assert counts == {k: defects.PLANTED_DEFECTS[k] for k in counts}
    numbers = p.id_number.dropna()
    assert (numbers.str.startswith("530823")).sum() > 0.7 * len(numbers)


def test_person_dates_are_consistent(engine: sa.Engine) -> None:
    p = schema.person
    rows = _all(engine, sa.select(p))
    planted = {"death": 0, "married": 0}
    for r in rows:
        assert r.sex in ("M", "F") and r.hukou in ("local", "floating") and r.name
        assert r.registered_on >= r.birth_date, r
        assert r.left_on is None or r.death_date is None, r
        assert r.left_on is None or r.left_on > r.registered_on, r
        if r.death_date is not None and r.death_date < r.birth_date:
            planted["death"] += 1  # event_before_birth
        else:
            assert r.death_date is None or r.death_date > r.registered_on, r
        if r.marital_status == "single":
            assert r.married_on is None, r
        else:
            assert r.marital_status in ("married", "divorced", "widowed"), r
            assert r.married_on is not None
            if r.married_on < r.birth_date:
                planted["married"] += 1  # event_before_birth
                continue
            assert r.married_on > age_cutoff(r.married_on, 18) >= r.birth_date, r
            if r.sex == "M":
                assert age_cutoff(r.married_on, 20) >= r.birth_date, r
    assert planted == {"death": 1, "married": 1}


def test_contraception_histories(engine: sa.Engine) -> None:
    p, c = schema.person, schema.contraception
    rows = _all(
        engine,
        sa.select(c, p.c.sex, p.c.death_date, p.c.birth_date)
        .join(p, p.c.id == c.c.woman_id)
        .order_by(c.c.woman_id, c.c.start_date),
    )
    assert rows
    previous = None
    before_birth = 0
    for r in rows:
        assert r.sex == "F" and r.method in world.METHODS, r
        before_birth += r.start_date <= r.birth_date  # one planted (event_before_birth)
        assert r.end_date is None or r.end_date > r.start_date, r
        assert r.death_date is None or r.start_date < r.death_date, r
        if previous is not None and previous.woman_id == r.woman_id:  # one method at a time
            assert previous.end_date is not None and previous.end_date <= r.start_date, (previous, r)
        previous = r
    methods = {r.method for r in rows}
    assert {"iud", "female_sterilization", "condom"} <= methods
    assert before_birth == 1


def test_refuses_a_database_with_persons(engine: sa.Engine) -> None:
    before = _count(engine, schema.person)
    with pytest.raises(ValueError) as info:
        demo.build_demo(engine, scale=SCALE, today=TODAY)
    assert "\n" not in str(info.value)
    assert _count(engine, schema.person) == before


# --------------------------------------------------------------------------- planted defects
# Every check below is written out here, straight on the tables, so that it does not depend on
# the dashboard's own data-quality code.

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_problem(number: object) -> str | None:
    if not isinstance(number, str):
        return "missing"
    if len(number) != 18:
        return "length"
    if not number[:17].isdigit():
        return "characters"
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "date"
    if "10X98765432"[sum(int(c) * w for c, w in zip(number, _ID_WEIGHTS)) % 11] != number[17]:
        return "check_digit"
    return None


@pytest.fixture(scope="module")
def frames(engine: sa.Engine) -> dict[str, pd.DataFrame]:
    """Every table as a DataFrame, date columns as datetime64."""
    out = {}
    with engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            rows = conn.execute(sa.select(table)).all()
            df = pd.DataFrame(rows, columns=list(table.c.keys()))
            for col in table.c:
                if isinstance(col.type, (sa.Date, schema.RegistryDate)):
                    df[col.name] = pd.to_datetime(df[col.name])
            out[table.name] = df
    return out


def _id_flags(p: pd.DataFrame) -> dict[str, pd.Series]:
    problem = p.id_number.map(_id_problem)
    valid = problem.isna()
    shared = p.id_number.notna() & p.id_number.duplicated(keep=False)
    odd = p.id_number.where(valid).str[16].astype(float) % 2 == 1
    id_birth = pd.to_datetime(p.id_number.where(valid).str[6:14], format="%Y%m%d", errors="coerce")
    return {
        "id_missing": p.id_number.isna(),
        "id_invalid": ~valid & p.id_number.notna(),
        "id_duplicate": shared,
        "id_sex_mismatch": valid & (odd != (p.sex == "M")),
        "id_birth_date_mismatch": valid & (id_birth != pd.to_datetime(p.birth_date)),
    }


def _id_checks(p: pd.DataFrame) -> dict[str, int]:
    return {k: int(f.sum()) for k, f in _id_flags(p).items()}


def _age(born: pd.Series, on: pd.Series) -> pd.Series:
    before = on.dt.month * 100 + on.dt.day < born.dt.month * 100 + born.dt.day
    return on.dt.year - born.dt.year - before.astype(int)


def _local_stock(local: pd.DataFrame, d: pd.Timestamp, villages: pd.Index) -> pd.Series:
    present = (local.registered_on <= d) & ~(local.left_on <= d) & ~(local.death_date <= d)
    return local[present].groupby("village_id").size().reindex(villages, fill_value=0)


def test_planted_defects_are_exactly_the_known_ones(frames: dict[str, pd.DataFrame]) -> None:
    p, b, c = frames["person"], frames["birth"], frames["contraception"]
    e, r = frames["service_event"], frames["reward_payment"]
    villages = pd.Index(frames["village"].id)
    as_of = pd.Timestamp(AS_OF)
    found: dict[str, int] = {}

    # 身份证号: the four ID checks flag distinct persons, all local.
    flags = _id_flags(p)
    found.update({k: int(f.sum()) for k, f in flags.items()})
    flagged = pd.concat([f[f].index.to_series() for f in flags.values()])
    assert not flagged.duplicated().any()
    assert set(p.loc[flagged.index.unique(), "hukou"]) == {"local"}
    reasons = p.id_number.map(_id_problem).value_counts().to_dict()
    assert reasons == {"length": 2, "check_digit": 2, "date": 2, "missing": 1}
    assert p.id_number[flags["id_duplicate"]].nunique() == 3

    # Mothers younger than 15 or older than 49 at a local birth.
    local_births = b[b.hukou == "local"]
    mothers = local_births.merge(p[["id", "birth_date"]], left_on="mother_id", right_on="id", suffixes=("", "_m"))
    age = _age(mothers.birth_date_m, mothers.birth_date)
    found["mother_age"] = int(((age < 15) | (age > 49)).sum())

    # Records dated after as_of, or before the person's own birth.
    dated = {
        "person": ("birth_date", "registered_on", "married_on", "left_on", "death_date"),
        "birth": ("birth_date",),
        "contraception": ("start_date", "end_date"),
        "service_event": ("event_date",),
        "reward_payment": ("due_date", "paid_on"),
        "demo_site": ("established_on",),
    }
    found["event_future"] = sum(int((frames[t][col] > as_of).sum()) for t, cols in dated.items() for col in cols)
    born = p.set_index("id").birth_date
    before = sum(int((p[col] < p.birth_date).sum()) for col in ("registered_on", "married_on", "left_on", "death_date"))
    for df, who, cols in (
        (c, "woman_id", ("start_date", "end_date")),
        (b, "mother_id", ("birth_date",)),
        (e, "person_id", ("event_date",)),
        (r, "person_id", ("due_date", "paid_on")),
    ):
        before += sum(int((df[col] < df[who].map(born)).sum()) for col in cols)
    found["event_before_birth"] = before

    # Local births without sex or policy compliance (or without mother, parity).
    needed = ["sex", "policy_compliant", "mother_id", "child_id", "parity", "village_id", "birth_date"]
    found["birth_missing_fields"] = int(local_births[needed].isna().any(axis=1).sum())
    assert int(local_births.sex.isna().sum()) == int(local_births.policy_compliant.isna().sum()) == 2

    # Villages without a registry change in the last 6 months (any person, any birth row).
    changes = [p[[col, "village_id"]].rename(columns={col: "d"}) for col in dated["person"][1:]]
    changes.append(b[["birth_date", "village_id"]].rename(columns={"birth_date": "d"}))
    last = pd.concat(changes).query("d <= @as_of").groupby("village_id").d.max().reindex(villages)
    found["stale_village"] = int((last.isna() | (last <= as_of - pd.DateOffset(months=6))).sum())
    local = p[p.hukou == "local"]
    local_last = (
        pd.concat([local[[col, "village_id"]].rename(columns={col: "d"}) for col in dated["person"][1:]])
        .query("d <= @as_of")
        .groupby("village_id")
        .d.max()
        .reindex(villages)
    )
    assert int((local_last <= as_of - pd.Timedelta(days=150)).sum()) == 1  # the others: a change in 5 months

    # Population balance per village, every year to date: only the current year has two misses.
    unbalanced = {}
    for year in range(2019, AS_OF.year + 1):
        a, z = pd.Timestamp(year, 1, 1), min(pd.Timestamp(year, 12, 31), as_of)

        def count(rows: pd.DataFrame) -> pd.Series:
            return rows.groupby("village_id").size().reindex(villages, fill_value=0)

        births = count(local_births[local_births.birth_date.between(a, z)])
        moved_in = count(local[local.registered_on.between(a, z) & (local.registered_on != local.birth_date)])
        deaths = count(local[local.death_date.between(a, z)])
        moved_out = count(local[local.left_on.between(a, z)])
        gap = (
            _local_stock(local, a - pd.Timedelta(days=1), villages)
            + births
            + moved_in
            - deaths
            - moved_out
            - _local_stock(local, z, villages)
        )
        unbalanced[year] = int((gap != 0).sum())
    assert all(n == 0 for year, n in unbalanced.items() if year < AS_OF.year), unbalanced
    found["population_balance"] = unbalanced[AS_OF.year]

    # Contract defects, counted independently: none in a bulk-loaded registry.
    dates = {"person": ["birth_date", "registered_on", "left_on", "death_date", "married_on"],
             "birth": ["birth_date"], "contraception": ["start_date", "end_date"], "service_event": ["event_date"]}  # fmt: skip
    found["date_invalid"] = sum(
        int((frames[t][c].notna() & pd.to_datetime(frames[t][c], errors="coerce").isna()).sum())
        for t, cols in dates.items()
        for c in cols
    )

    def with_time(values: pd.Series) -> int:
        parsed = pd.to_datetime(values, errors="coerce")
        return int((parsed.notna() & (parsed.dt.normalize() != parsed)).sum())

    found["date_time_part"] = sum(with_time(frames[t][c]) for t, cols in dates.items() for c in cols)
    codes = {("person", "hukou"): {"local", "floating"}, ("person", "sex"): {"M", "F"},
             ("person", "marital_status"): {"single", "married", "divorced", "widowed"},
             ("birth", "sex"): {"M", "F"}, ("birth", "hukou"): {"local", "floating"}}  # fmt: skip
    found["code_unreadable"] = sum(
        int((frames[t][c].notna() & ~frames[t][c].isin(ok)).sum()) for (t, c), ok in codes.items()
    )
    found["code_normalised"] = 0  # (the values above are exact)
    people = pd.Index(p.id)
    found["reference_missing"] = (
        int((p.village_id.notna() & ~p.village_id.isin(villages)).sum())
        + int((b.mother_id.notna() & ~b.mother_id.isin(people)).sum())
        + int((~c.woman_id.isin(people)).sum())
        + int((e.person_id.notna() & ~e.person_id.isin(people)).sum())
    )
    found["target_invalid"] = found["quota_invalid"] = 0

    assert found == defects.PLANTED_DEFECTS


# --------------------------------------------------------------------------- service work


def test_service_events_are_filled_and_consistent(frames: dict[str, pd.DataFrame]) -> None:
    e, p, v, h = frames["service_event"], frames["person"], frames["village"], frames["household"]
    assert set(e.kind) == set(world.SERVICE_KINDS)
    years = e.event_date.dt.year
    for kind in world.SERVICE_KINDS:
        assert set(years[e.kind == kind]) >= set(range(2019, AS_OF.year)), kind
    assert e.id.is_unique and e.village_id.isin(v.id).all()

    visits = e[e.kind == "publicity_visit"]
    assert visits.person_id.isna().all() and visits.household_id.notna().all()
    assert (visits.household_id.map(h.set_index("id").village_id) == visits.village_id).all()
    others = e[e.kind != "publicity_visit"]
    assert others.person_id.notna().all() and others.household_id.isna().all()
    assert (e.kind != "operation").eq(e.operation.isna()).all()
    assert e.informed_choice[e.kind != "operation"].isna().all()
    assert set(e.operation.dropna()) <= set(world.OPERATIONS) and "iud_insertion" in set(e.operation)

    # A person's events fall while she is a local, married, present resident of the village —
    # all but the one planted event dated before the woman's own birth.
    who = others.merge(p, left_on="person_id", right_on="id", suffixes=("", "_p"))
    before_birth = who.event_date < who.birth_date
    assert before_birth.sum() == 1 and who[before_birth].kind.iloc[0] == "supply_service"
    who = who[~before_birth]
    d = who.event_date
    assert (who.hukou == "local").all() and (who.sex == "F").all() and (who.marital_status == "married").all()
    assert (who.village_id == who.village_id_p).all()
    assert ((who.registered_on <= d) & ~(who.left_on <= d) & ~(who.death_date <= d) & (who.married_on <= d)).all()
    age = _age(who.birth_date, d)
    quota_kinds = who.kind.isin(["pregnancy_check", "folic_acid"])
    assert age[quota_kinds].between(20, 35).all()
    assert age[who.kind == "supply_service"].between(15, 49).all()

    # Most households are reached each complete year; informed choice is recorded almost always.
    a, z = pd.Timestamp(2024, 1, 1), pd.Timestamp(2024, 12, 31)
    local = p[(p.hukou == "local") & (p.registered_on <= z) & ~(p.left_on <= z) & ~(p.death_date <= z)]
    reached = visits[visits.event_date.between(a, z)].household_id.nunique()
    assert 0.9 <= reached / local.household_id.nunique() <= 0.995
    operations = e[e.kind == "operation"]
    assert operations.informed_choice.eq(True).mean() > 0.95


def test_task_quotas_for_every_township_and_year(frames: dict[str, pd.DataFrame]) -> None:
    q, e, v = frames["task_quota"], frames["service_event"], frames["village"]
    townships = set(frames["township"].id)
    for year in range(2019, AS_OF.year + 1):
        for kind in ("pregnancy_check", "folic_acid"):
            rows = q[(q.year == year) & (q.kind == kind)]
            assert set(rows.township_id) == townships and len(rows) == len(townships), (year, kind)
    assert (q.quota >= 1).all()
    # Complete years: the county does roughly its quota (80–110 % per township at county scale)
    # in distinct persons; events are more (folic acid in batches, some checks repeated).
    done = e[e.kind.isin(["pregnancy_check", "folic_acid"]) & (e.event_date.dt.year == 2024)]
    total = q[(q.year == 2024)].quota.sum()
    persons = done.groupby("kind").person_id.nunique().sum()
    assert 0.85 <= persons / total <= 1.12
    per_person = done.groupby("kind").size() / done.groupby("kind").person_id.nunique()
    assert 1.03 <= per_person["pregnancy_check"] <= 1.2 and 1.5 <= per_person["folic_acid"] <= 2.0
    assert set(done.village_id.map(v.set_index("id").township_id)) <= townships


def test_demo_sites_each_year_and_so_far_this_year(frames: dict[str, pd.DataFrame]) -> None:
    s, v = frames["demo_site"], frames["village"]
    supply = s.kind == "药具管理服务"
    assert set(s.kind) <= {"人口文化大院", "村民自治", "诚信计生", "药具管理服务"}
    assert set(s.level[~supply]) == {"county", "township"} and s.level[supply].isna().all()
    assert (s.established_on.dt.year < 2019).any()
    year = s.established_on.dt.year
    township_of = s.village_id.map(v.set_index("id").township_id)

    def new(y: int) -> tuple[int, int, int]:
        this = year == y
        county = int((this & (s.level == "county")).sum())
        towns = township_of[this & (s.level == "township")]
        assert towns.is_unique  # at most one new site per township a year
        return county, towns.size, int((this & supply).sum())

    for y in range(2019, AS_OF.year):
        county, towns, supplied = new(y)
        assert county == 2 and supplied == 2 and 11 <= towns <= 13, y
    assert new(AS_OF.year) == (1, 10, 2)


def test_reward_payments_with_late_short_and_unpaid(frames: dict[str, pd.DataFrame]) -> None:
    r, p = frames["reward_payment"], frames["person"]
    assert len(r) > 0.02 * (p.hukou == "local").sum() * (AS_OF.year - 2019)
    assert set(r.scheme) == {"奖", "免", "补"}
    due, paid = r.amount_due.astype(float), r.amount_paid.astype(float)
    assert (due > 0).all() and set(r.due_date.dt.year) == set(range(2019, AS_OF.year + 1))
    late = r.paid_on > r.due_date
    short = paid < due
    unpaid = r.amount_paid.isna()
    assert late.sum() > 0 and short.sum() > 0 and unpaid.sum() > 0
    assert (unpaid == r.paid_on.isna()).all() and not (late & short).any()
    assert (late | short | unpaid).mean() < 0.05
    who = r.merge(p, left_on="person_id", right_on="id")
    d = who.due_date
    assert (who.hukou == "local").all()
    assert ((who.registered_on <= d) & ~(who.left_on <= d) & ~(who.death_date <= d)).all()
