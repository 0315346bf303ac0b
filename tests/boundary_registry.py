"""A hand-made registry with every boundary case of the definitions, and its expected counts.

It is created with plain DDL (exactly the contract's tables and columns, no indexes, no
extras), not with ``data_access.schema``: the app must read a registry someone else made.
Every expected number below was worked out by hand from DESIGN.md §2 and is explained next
to the rows that produce it. The reporting year is 2024 (a leap year).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

D = date

DDL = [
    "CREATE TABLE township (id INTEGER PRIMARY KEY, code VARCHAR(16) UNIQUE, name VARCHAR(40),"
    " lat DOUBLE PRECISION, lon DOUBLE PRECISION)",
    "CREATE TABLE village (id INTEGER PRIMARY KEY, code VARCHAR(16) UNIQUE, township_id INTEGER,"
    " name VARCHAR(40), kind VARCHAR(8), lat DOUBLE PRECISION, lon DOUBLE PRECISION)",
    "CREATE TABLE household (id INTEGER PRIMARY KEY, village_id INTEGER, code VARCHAR(24))",
    "CREATE TABLE person (id INTEGER PRIMARY KEY, id_number VARCHAR(18), name VARCHAR(40),"
    " sex VARCHAR(1), birth_date DATE, village_id INTEGER, household_id INTEGER,"
    " hukou VARCHAR(10), marital_status VARCHAR(10), married_on DATE, registered_on DATE,"
    " left_on DATE, death_date DATE)",
    "CREATE TABLE birth (id INTEGER PRIMARY KEY, mother_id INTEGER, child_id INTEGER,"
    " village_id INTEGER, birth_date DATE, sex VARCHAR(1), parity INTEGER,"
    " policy_compliant BOOLEAN, hukou VARCHAR(10))",
    "CREATE TABLE contraception (id INTEGER PRIMARY KEY, woman_id INTEGER, method VARCHAR(24),"
    " start_date DATE, end_date DATE)",
]

TARGET_DDL = (
    "CREATE TABLE target (year INTEGER, indicator VARCHAR(40), township_id INTEGER,"
    " op VARCHAR(8), value DOUBLE PRECISION, low DOUBLE PRECISION, high DOUBLE PRECISION,"
    " amber DOUBLE PRECISION)"
)

TABLES = ["contraception", "birth", "person", "household", "village", "township", "target"]

TOWNSHIPS = [
    {"id": 1, "code": "530823101", "name": "甲镇", "lat": 24.4, "lon": 100.8},
    {"id": 2, "code": "530823102", "name": "乙乡", "lat": 24.3, "lon": 100.9},
]
VILLAGES = [
    {"id": 11, "code": "530823101201", "township_id": 1, "name": "一村", "kind": "村", "lat": 24.41, "lon": 100.81},
    {"id": 12, "code": "530823101202", "township_id": 1, "name": "二村", "kind": "村", "lat": 24.42, "lon": 100.82},
    {"id": 21, "code": "530823102201", "township_id": 2, "name": "小村", "kind": "村", "lat": 24.31, "lon": 100.91},
]


def _person(pid: int, village: int, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": pid,
        "id_number": None,
        "name": f"人{pid}",
        "sex": "M",
        "birth_date": D(1980, 6, 1),
        "village_id": village,
        "household_id": None,
        "hukou": "local",
        "marital_status": "single",
        "married_on": None,
        "registered_on": D(2000, 1, 1),
        "left_on": None,
        "death_date": None,
    }
    row.update(kw)
    return row


def _wife(
    pid: int, village: int, born: date, married_on: date | None = D(2005, 1, 1), **kw: object
) -> dict[str, object]:
    return _person(pid, village, sex="F", birth_date=born, marital_status="married", married_on=married_on, **kw)


def persons() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    # Village 11: 100 ordinary residents present all along -> in pop_start and pop_end.
    rows += [_person(1000 + i, 11) for i in range(100)]
    rows += [
        # Moves and deaths on the boundary days of 2024 (a = 2024-01-01, b = 2024-12-31).
        _person(1, 11, registered_on=D(2023, 12, 31)),  # in on a−1: start yes, end yes
        _person(2, 11, registered_on=D(2024, 1, 1)),  # in on a: start no, end yes
        _person(3, 11, left_on=D(2023, 12, 31)),  # out on a−1: start no, end no
        _person(4, 11, left_on=D(2024, 1, 1)),  # out on a: start yes, end no
        _person(5, 11, left_on=D(2024, 12, 31)),  # out on b: start yes, end no
        _person(6, 11, death_date=D(2024, 1, 1)),  # died on a: start yes, end no, a death
        _person(7, 11, death_date=D(2023, 12, 31)),  # died a−1: start no, end no, no death
        _person(8, 11, death_date=D(2024, 12, 31)),  # died on b: start yes, end no, a death
        _person(9, 11, death_date=D(2025, 1, 1)),  # died b+1: start yes, end yes, no death
        _person(10, 11, registered_on=D(2024, 12, 31)),  # in on b: start no, end yes
        _person(11, 11, registered_on=D(2025, 1, 1)),  # in b+1: start no, end no
        # Floating persons are never in the rate base; their deaths are not deaths.
        _person(12, 11, hukou="floating", registered_on=D(2020, 3, 1)),  # floating at b
        _person(13, 11, hukou="floating", registered_on=D(2020, 3, 1), death_date=D(2024, 5, 5)),
        # A baby born on a who died the same day: a birth and a death (birth row 101).
        _person(14, 11, birth_date=D(2024, 1, 1), registered_on=D(2024, 1, 1), death_date=D(2024, 1, 1)),
        # --- women, judged at b = 2024-12-31 ---
        _wife(21, 11, D(2009, 12, 31), married_on=D(2024, 12, 1)),  # 15th birthday on b: WCBA
        _wife(22, 11, D(2010, 1, 1), married_on=D(2024, 12, 1)),  # 15 on b+1: not WCBA
        _wife(23, 11, D(1974, 12, 31)),  # 50th birthday on b: not WCBA
        _wife(24, 11, D(1975, 1, 1)),  # 50 on b+1 (49 at b): WCBA; IUD since 2020 -> LA
        _wife(25, 11, D(1990, 5, 5), married_on=D(2025, 1, 1)),  # married after b: not WCBA
        _wife(26, 11, D(1990, 5, 5), married_on=D(2024, 12, 31)),  # married on b: WCBA; IUD from b -> LA
        _person(27, 11, sex="F", birth_date=D(1990, 5, 5), marital_status="divorced", married_on=D(2012, 1, 1)),
        _wife(28, 11, D(1990, 5, 5), hukou="floating"),  # floating: not WCBA (floating at b)
        _wife(29, 11, D(1990, 5, 5), left_on=D(2024, 12, 31)),  # moved out on b: not WCBA
        _wife(30, 11, D(1990, 5, 5)),  # WCBA; IUD ended on b -> not LA
        _wife(31, 11, D(1985, 2, 2)),  # WCBA; sterilisation ending b+1 -> LA
        _wife(32, 11, D(1985, 2, 2)),  # WCBA; oral pill only -> not LA
        _wife(33, 11, D(1985, 2, 2)),  # WCBA; IUD and implant overlapping -> LA once
        _wife(34, 11, D(1985, 2, 2)),  # WCBA; IUD starting b+1 -> not LA
        _wife(35, 11, D(1985, 2, 2)),  # WCBA; husband's vasectomy recorded on her -> LA
        _wife(36, 11, D(1985, 2, 2), death_date=D(2024, 12, 31)),  # died on b: not WCBA
        _wife(37, 11, D(1985, 2, 2), married_on=None),  # 'married' with no date: not WCBA
    ]
    # Village 12: 50 residents, 2 married women (one LA).
    rows += [_person(2000 + i, 12) for i in range(50)]
    rows += [_wife(51, 12, D(1992, 3, 3)), _wife(52, 12, D(1992, 3, 3))]
    # Village 21 (a handful of people): 3 residents, one married woman with an IUD.
    rows += [_person(61, 21), _person(62, 21), _wife(63, 21, D(1988, 8, 8))]
    return rows


def births() -> list[dict[str, object]]:
    def b(
        bid: int, village: int, day: date, sex: str | None, ok: bool | None, hukou: str = "local"
    ) -> dict[str, object]:
        return {
            "id": bid,
            "mother_id": None,
            "child_id": None,
            "village_id": village,
            "birth_date": day,
            "sex": sex,
            "parity": 1,
            "policy_compliant": ok,
            "hukou": hukou,
        }

    rows = [
        b(101, 11, D(2024, 1, 1), "M", True),  # on a: counted (the baby who died, person 14)
        b(102, 11, D(2024, 12, 31), "F", True),  # on b: counted
        b(103, 11, D(2023, 12, 31), "M", True),  # a−1: not counted
        b(104, 11, D(2025, 1, 1), "F", True),  # b+1: not counted
        b(105, 11, D(2024, 6, 1), "M", True, hukou="floating"),  # floating birth: not counted
        b(106, 11, D(2024, 3, 1), "M", False),  # counted, not compliant
        b(107, 11, D(2024, 7, 1), None, True),  # counted, compliant, sex unknown
        b(108, 11, D(2024, 8, 1), "M", None),  # counted, compliance unknown -> not compliant
        b(109, 11, D(2024, 2, 29), "F", True),  # leap day: counted (also in Jan–Feb)
        # Village 12: only boys -> sex ratio has no value.
        b(121, 12, D(2024, 4, 4), "M", True),
        b(122, 12, D(2024, 5, 5), "M", True),
    ]
    return rows


def contraception() -> list[dict[str, object]]:
    def c(cid: int, woman: int, method: str, start: date, end: date | None = None) -> dict[str, object]:
        return {"id": cid, "woman_id": woman, "method": method, "start_date": start, "end_date": end}

    return [
        c(1, 24, "iud", D(2020, 1, 1)),
        c(2, 26, "iud", D(2024, 12, 31)),  # starts on b: in use at b
        c(3, 30, "iud", D(2015, 1, 1), D(2024, 12, 31)),  # ends on b: not in use at b
        c(4, 31, "female_sterilization", D(2015, 1, 1), D(2025, 1, 1)),
        c(5, 32, "oral", D(2020, 1, 1)),
        c(6, 33, "iud", D(2018, 1, 1)),
        c(7, 33, "implant", D(2019, 1, 1)),
        c(8, 34, "iud", D(2025, 1, 1)),
        c(9, 35, "male_sterilization", D(2010, 1, 1)),
        c(10, 21, "implant", D(2024, 12, 1)),  # not LA? she is WCBA and has an implant -> LA
        c(11, 51, "iud", D(2016, 1, 1)),
        c(12, 63, "iud", D(2016, 1, 1)),
        c(13, 23, "iud", D(2000, 1, 1)),  # aged 50: not in the denominator at all
    ]


# ---------------------------------------------------------------- expected counts, by hand
#
# Village 11, year 2024:
#   pop_start = 100 ordinary + persons 1, 4, 5, 6, 8, 9 + women 23, 24, 26, 27, 29, 30..36
#               (married/divorced women 21, 22, 25 too — all registered in 2000 and present)
#   Counting the women: 21..27 and 29..37 are local and present at a−1 (36 died on b):
#   21,22,23,24,25,26,27,29,30,31,32,33,34,35,36,37 = 16 women.
#   pop_start = 100 + 6 + 16 = 122.
#   pop_end   = 100 + persons 1, 2, 9, 10 (4) + women minus 29 (left b) and 36 (died b) = 14
#             = 118.
#   births    = 101, 102, 106, 107, 108, 109 = 6; male = 101, 106, 108 = 3; female = 102, 109 = 2
#   compliant = 101, 102, 107, 109 = 4
#   deaths    = persons 6, 8, 14 and woman 36 = 4 (13 is floating, 7 died a−1, 9 died b+1)
#   married_wcba at b = 21, 24, 26, 30, 31, 32, 33, 34, 35 = 9
#   long_acting = 24, 26, 31, 33, 35, 21 = 6
#   floating_pop_end = 12 and 28 = 2; floating_births = 1
#   Person 14 (the baby) is born and dead within the period: in neither stock.
EXPECTED_2024 = {
    11: {
        "pop_start": 122,
        "pop_end": 118,
        "births": 6,
        "births_male": 3,
        "births_female": 2,
        "births_compliant": 4,
        "deaths": 4,
        "married_wcba": 9,
        "long_acting": 6,
        "floating_pop_end": 2,
        "floating_births": 1,
    },
    12: {
        "pop_start": 52,
        "pop_end": 52,
        "births": 2,
        "births_male": 2,
        "births_female": 0,
        "births_compliant": 2,
        "deaths": 0,
        "married_wcba": 2,
        "long_acting": 1,
        "floating_pop_end": 0,
        "floating_births": 0,
    },
    21: {
        "pop_start": 3,
        "pop_end": 3,
        "births": 0,
        "births_male": 0,
        "births_female": 0,
        "births_compliant": 0,
        "deaths": 0,
        "married_wcba": 1,
        "long_acting": 1,
        "floating_pop_end": 0,
        "floating_births": 0,
    },
}

# January–February 2024 (60 days in a leap year; b = 2024-02-29):
#   pop_start as for the year (same a−1) = 122; pop_end at 02-29: 100 + 1, 2, 5, 8, 9 (4 left
#   on a, 6 died on a) + the 16 women (none gone yet; 21 is 14 at 02-29 but she is still a
#   resident) = 100 + 5 + 16 = 121.  births on 01-01 and 02-29 = 2 (101 M, 109 F), both
#   compliant; deaths 6 and 14 = 2.
#   married WCBA at 02-29 (15-year cutoff 2009-02-28, 50-year cutoff 1974-02-28): 23 (born
#   1974-12-31, still 49), 24, 29 (leaves only on 12-31), 30, 31, 32, 33, 34, 35, 36 (alive
#   then) = 10 — 21 is 14 and married only in December, 26 marries on 12-31.
#   long-acting at 02-29: 23 (IUD since 2000), 24, 30 (IUD until 12-31), 31, 33, 35 = 6.
EXPECTED_JAN_FEB_2024_V11 = {
    "pop_start": 122,
    "pop_end": 121,
    "births": 2,
    "births_male": 1,
    "births_female": 1,
    "births_compliant": 2,
    "deaths": 2,
    "married_wcba": 10,
    "long_acting": 6,
}


def create(engine: sa.Engine, *, with_target: bool = False, target_rows: list[dict[str, object]] | None = None) -> None:
    """Create the contract tables with plain DDL and load the boundary rows."""
    with engine.begin() as conn:
        for ddl in DDL + ([TARGET_DDL] if with_target else []):
            conn.execute(sa.text(ddl))
        _insert(conn, "township", TOWNSHIPS)
        _insert(conn, "village", VILLAGES)
        _insert(conn, "person", persons())
        _insert(conn, "birth", births())
        _insert(conn, "contraception", contraception())
        if with_target and target_rows:
            _insert(conn, "target", target_rows)


def drop(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for name in TABLES:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))


def _insert(conn: sa.Connection, table: str, rows: list[dict[str, object]]) -> None:
    cols = list(rows[0])
    stmt = sa.text(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})")
    conn.execute(stmt, rows)
