"""The demo registry generator: shape, determinism, and the consistency of every record."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from dashboard import idnumber
from data_access import demo, schema
from data_access.filters import age_cutoff

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
        {"year": 2024, "indicator": "birth_rate", "township_id": None, "op": "<=", "value": 12.0,
         "low": None, "high": None, "amber": 1.0},
        {"year": 2024, "indicator": "sex_ratio_at_birth", "township_id": None, "op": "band", "value": 106.0,
         "low": 103.0, "high": 107.0, "amber": 3.0},
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
        assert _all(other, first_ids) != _all(engine, first_ids)
    finally:
        same.dispose()
        other.dispose()


def test_no_event_after_as_of(engine: sa.Engine) -> None:
    p, b, c = schema.person, schema.birth, schema.contraception
    for column in (p.c.birth_date, p.c.registered_on, p.c.married_on, p.c.left_on, p.c.death_date,
                   b.c.birth_date, c.c.start_date, c.c.end_date):
        latest = _scalar(engine, sa.select(sa.func.max(column)))
        assert latest is not None and latest <= AS_OF, column
    assert _scalar(engine, sa.select(sa.func.min(b.c.birth_date))) >= date(2019, 1, 1)  # type: ignore[operator]


def test_local_births_have_eligible_mothers(engine: sa.Engine) -> None:
    p, b = schema.person, schema.birth
    rows = _all(engine, sa.select(b, p.c.hukou.label("m_hukou"), p.c.sex.label("m_sex"), p.c.birth_date.label("m_birth"),
                                  p.c.marital_status, p.c.married_on, p.c.registered_on, p.c.left_on, p.c.death_date,
                                  p.c.village_id.label("m_village"))
                .join(p, p.c.id == b.c.mother_id).where(b.c.hukou == "local"))
    assert len(rows) == _scalar(engine, sa.select(sa.func.count()).where(b.c.hukou == "local")) > 0
    for r in rows:
        d = r.birth_date
        assert r.m_hukou == "local" and r.m_sex == "F" and r.marital_status == "married", r
        assert r.married_on is not None and r.married_on <= d, r
        assert age_cutoff(d, 50) < r.m_birth <= age_cutoff(d, 15), r  # aged 15–49 at the birth
        assert r.registered_on <= d, r
        assert r.left_on is None or r.left_on > d, r
        assert r.death_date is None or r.death_date > d, r
        assert r.village_id == r.m_village and r.sex in ("M", "F") and r.parity >= 1
        assert isinstance(r.policy_compliant, bool)


def test_children_match_their_birth_rows(engine: sa.Engine) -> None:
    p, b = schema.person, schema.birth
    rows = _all(engine, sa.select(b.c.birth_date, b.c.sex, b.c.hukou, b.c.village_id, p.c.birth_date.label("c_birth"),
                                  p.c.sex.label("c_sex"), p.c.hukou.label("c_hukou"), p.c.registered_on,
                                  p.c.village_id.label("c_village"))
                .join(p, p.c.id == b.c.child_id))
    assert len(rows) == _count(engine, b)
    for r in rows:
        assert (r.c_birth, r.c_sex, r.c_hukou, r.c_village) == (r.birth_date, r.sex, r.hukou, r.village_id)
        assert r.registered_on == r.birth_date


def test_floating_births_exist_with_floating_mothers(engine: sa.Engine) -> None:
    p, b = schema.person, schema.birth
    hukous = _all(engine, sa.select(p.c.hukou).join(b, p.c.id == b.c.mother_id).where(b.c.hukou == "floating"))
    assert hukous and {h for (h,) in hukous} == {"floating"}


def test_id_numbers_are_valid_unique_and_agree(engine: sa.Engine) -> None:
    rows = _all(engine, sa.select(schema.person.c.id_number, schema.person.c.sex, schema.person.c.birth_date))
    numbers = [r.id_number for r in rows]
    assert len(set(numbers)) == len(numbers)
    for r in rows:
        assert idnumber.problem(r.id_number) is None, r
        assert idnumber.sex(r.id_number) == r.sex and idnumber.birth_date(r.id_number) == r.birth_date, r
    assert sum(n.startswith("530823") for n in numbers) > 0.7 * len(numbers)


def test_person_dates_are_consistent(engine: sa.Engine) -> None:
    p = schema.person
    rows = _all(engine, sa.select(p))
    for r in rows:
        assert r.sex in ("M", "F") and r.hukou in ("local", "floating") and r.name
        assert r.registered_on >= r.birth_date, r
        assert r.left_on is None or r.death_date is None, r
        assert r.left_on is None or r.left_on > r.registered_on, r
        assert r.death_date is None or r.death_date > r.registered_on, r
        if r.marital_status == "single":
            assert r.married_on is None, r
        else:
            assert r.marital_status in ("married", "divorced", "widowed"), r
            assert r.married_on is not None and r.married_on > age_cutoff(r.married_on, 18) >= r.birth_date, r
            if r.sex == "M":
                assert age_cutoff(r.married_on, 20) >= r.birth_date, r


def test_contraception_histories(engine: sa.Engine) -> None:
    p, c = schema.person, schema.contraception
    rows = _all(engine, sa.select(c, p.c.sex, p.c.death_date, p.c.birth_date).join(p, p.c.id == c.c.woman_id)
                .order_by(c.c.woman_id, c.c.start_date))
    assert rows
    previous = None
    for r in rows:
        assert r.sex == "F" and r.method in demo.METHODS, r
        assert r.start_date > r.birth_date, r
        assert r.end_date is None or r.end_date > r.start_date, r
        assert r.death_date is None or r.start_date < r.death_date, r
        if previous is not None and previous.woman_id == r.woman_id:  # one method at a time
            assert previous.end_date is not None and previous.end_date <= r.start_date, (previous, r)
        previous = r
    methods = {r.method for r in rows}
    assert {"iud", "female_sterilization", "condom"} <= methods


def test_refuses_a_database_with_persons(engine: sa.Engine) -> None:
    before = _count(engine, schema.person)
    with pytest.raises(ValueError) as info:
        demo.build_demo(engine, scale=SCALE, today=TODAY)
    assert "\n" not in str(info.value)
    assert _count(engine, schema.person) == before
