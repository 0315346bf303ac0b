"""The data-quality checks on a defect-laden registry, on SQLite, PostgreSQL and MariaDB: the
hand-counted service registry with every contract defect a column can hold planted at once
(several in one row, in every table), besides its own ID, date and age defects. The expected
findings are listed by hand, row by row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.domain import quality
from data_access.queries import quality as quality_queries
from data_access.queries.validity import UPPER_CODES
from tests.conftest import DIALECTS, fresh_database
from tests.data_access import test_services_quality as hand

#: (statement, dialects it can be held on): SQLite keeps dates as text, the others type them.
PLANTED: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Dates that are no real day, and days with a time.
    ("UPDATE person SET registered_on = '' WHERE id = 100", ("sqlite",)),
    ("UPDATE person SET birth_date = '2019-02-30' WHERE id = 101", ("sqlite",)),
    ("UPDATE person SET left_on = '2026/11/28' WHERE id = 102", ("sqlite",)),
    ("UPDATE person SET death_date = '1990-01-01 08:30:00' WHERE id = 103", ("sqlite",)),
    ("UPDATE person SET married_on = '2015-01-01T10:00' WHERE id = 104", ("sqlite",)),
    ("UPDATE birth SET birth_date = '2024/03/03' WHERE id = 1", ("sqlite",)),
    ("UPDATE contraception SET start_date = '2020-01-01 00:00:00', end_date = 'x' WHERE id = 1", ("sqlite",)),
    ("UPDATE service_event SET event_date = '2024-02-30' WHERE id = 1", ("sqlite",)),
    ("UPDATE reward_payment SET due_date = '2024-06-31' WHERE id = 1", ("sqlite",)),
    ("UPDATE reward_payment SET paid_on = '2024-07-01 12:00' WHERE id = 2", ("sqlite",)),
    ("UPDATE demo_site SET established_on = '2024-04-01 09:00' WHERE id = 1", ("sqlite",)),
    # Codes the contract does not know, and codes read after trimming or case folding.
    ("UPDATE person SET hukou = 'LOCAL' WHERE id = 105", DIALECTS),
    ("UPDATE person SET hukou = 'x' WHERE id = 106", DIALECTS),
    ("UPDATE person SET sex = 'f' WHERE id = 301", DIALECTS),
    ("UPDATE person SET sex = 'X' WHERE id = 107", DIALECTS),
    ("UPDATE person SET marital_status = 'unknown' WHERE id = 302", DIALECTS),
    ("UPDATE person SET marital_status = ' Married' WHERE id = 303", DIALECTS),
    ("UPDATE birth SET hukou = 'Local', sex = '?' WHERE id = 1", DIALECTS),
    ("UPDATE birth SET sex = 'm' WHERE id = 3", DIALECTS),
    ("UPDATE contraception SET method = 'patch' WHERE id = 3", DIALECTS),
    ("UPDATE contraception SET method = 'IUD' WHERE id = 5", DIALECTS),
    ("UPDATE service_event SET kind = 'Publicity_Visit' WHERE id = 2", DIALECTS),
    ("UPDATE service_event SET kind = 'meeting' WHERE id = 3", DIALECTS),
    ("UPDATE demo_site SET level = 'village' WHERE id = 1", DIALECTS),
    ("UPDATE demo_site SET level = 'County' WHERE id = 2", DIALECTS),
    # References to nothing (the registry has no foreign keys, as view-mapped ones have none).
    ("UPDATE person SET village_id = 999 WHERE id = 108", DIALECTS),
    ("UPDATE birth SET village_id = 998, mother_id = 99999 WHERE id = 2", DIALECTS),
    ("UPDATE household SET village_id = 997 WHERE id = 13", DIALECTS),
    ("UPDATE service_event SET village_id = 996 WHERE id = 4", DIALECTS),
    ("UPDATE service_event SET person_id = 99996 WHERE id = 5", DIALECTS),
    ("UPDATE demo_site SET village_id = 995 WHERE id = 2", DIALECTS),
    ("UPDATE contraception SET woman_id = 99998 WHERE id = 4", DIALECTS),
    ("UPDATE reward_payment SET person_id = 99997 WHERE id = 3", DIALECTS),
    ("UPDATE village SET township_id = 99 WHERE id = 21", DIALECTS),
    # Dates in the future or before the person's (or the mother's) birth.
    ("UPDATE person SET birth_date = '2030-01-01' WHERE id = 109", DIALECTS),
    ("UPDATE contraception SET start_date = '1990-01-01' WHERE id = 2", DIALECTS),  # 302 was born in 1994
    ("UPDATE birth SET mother_id = 501, birth_date = '2024-02-02' WHERE id = 3", DIALECTS),  # 501: 2024-03-03
    ("UPDATE demo_site SET established_on = '2025-06-01' WHERE id = 2", DIALECTS),
    ("UPDATE reward_payment SET paid_on = '2025-01-05 12:00' WHERE id = 4", ("sqlite",)),  # and a time
    # ID numbers read after trimming and case folding (no finding), and ones that are no number.
    ("UPDATE person SET id_number = '53082319700114027x' WHERE id = 113", DIALECTS),
    ("UPDATE person SET id_number = ' 53082319700117033X ' WHERE id = 116", DIALECTS),
    ("UPDATE person SET id_number = '530823700110019' WHERE id = 109", DIALECTS),  # 15 digits
    ("UPDATE person SET id_number = '530823179901010011' WHERE id = 110", DIALECTS),  # born 1799
    ("UPDATE person SET id_number = '53082319700112021１' WHERE id = 111", DIALECTS),  # a full-width digit
)


def _drop_foreign_keys(engine: sa.Engine) -> None:
    if engine.dialect.name == "sqlite":
        return  # SQLite does not enforce them unless asked
    inspector = sa.inspect(engine)
    drop = "DROP FOREIGN KEY" if engine.dialect.name == "mysql" else "DROP CONSTRAINT"
    with engine.begin() as conn:
        for table in inspector.get_table_names():
            for key in inspector.get_foreign_keys(table):
                conn.execute(sa.text(f"ALTER TABLE {table} {drop} {key['name']}"))


def plant(url: str) -> None:
    """The hand registry at ``url`` with every defect of ``PLANTED`` its dialect can hold."""
    hand.load(url)
    engine = sa.create_engine(url)
    _drop_foreign_keys(engine)
    with engine.begin() as conn:
        for statement, dialects in PLANTED:
            if engine.dialect.name in dialects:
                conn.execute(sa.text(statement))
    engine.dispose()


@pytest.fixture(scope="module", params=DIALECTS)
def laden(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        plant(url)
        yield url


SQLITE = ("sqlite",)

#: The contract defects, in the order the checks are listed (per column: dates, codes, the
#: villages referred to, the persons, the villages' townships): (check, record, person,
#: village, detail, dialects).
DEFECTS: list[tuple[str, str, int | None, int | None, str, tuple[str, ...]]] = [
    ("date_invalid", "person:101", 101, 11, "person.birth_date 2019-02-30", SQLITE),
    ("date_invalid", "person:100", 100, 11, "person.registered_on ", SQLITE),
    ("date_invalid", "person:102", 102, 11, "person.left_on 2026/11/28", SQLITE),
    ("date_time_part", "person:103", 103, 11, "person.death_date 1990-01-01 08:30:00", SQLITE),
    ("date_time_part", "person:104", 104, 11, "person.married_on 2015-01-01T10:00", SQLITE),
    ("date_invalid", "birth:1", 301, 11, "birth.birth_date 2024/03/03", SQLITE),
    ("date_time_part", "contraception:1", 301, 11, "contraception.start_date 2020-01-01 00:00:00", SQLITE),
    ("date_invalid", "contraception:1", 301, 11, "contraception.end_date x", SQLITE),
    ("date_invalid", "service_event:1", None, 11, "service_event.event_date 2024-02-30", SQLITE),
    ("date_invalid", "reward_payment:1", 100, 11, "reward_payment.due_date 2024-06-31", SQLITE),
    ("date_time_part", "reward_payment:2", 101, 11, "reward_payment.paid_on 2024-07-01 12:00", SQLITE),
    ("date_time_part", "reward_payment:4", 103, 11, "reward_payment.paid_on 2025-01-05 12:00", SQLITE),
    ("date_time_part", "demo_site:1", None, 11, "demo_site.established_on 2024-04-01 09:00", SQLITE),
    ("code_unreadable", "person:106", 106, 11, "person.hukou x", DIALECTS),
    ("code_normalised", "person:105", 105, 11, "person.hukou LOCAL", DIALECTS),
    ("code_unreadable", "person:107", 107, 11, "person.sex X", DIALECTS),
    ("code_normalised", "person:301", 301, 11, "person.sex f", DIALECTS),
    ("code_unreadable", "person:302", 302, 11, "person.marital_status unknown", DIALECTS),
    ("code_normalised", "person:303", 303, 11, "person.marital_status  Married", DIALECTS),
    ("code_normalised", "birth:1", 301, 11, "birth.hukou Local", DIALECTS),
    ("code_unreadable", "birth:1", 301, 11, "birth.sex ?", DIALECTS),  # the same birth: each column counts
    ("code_normalised", "birth:3", 501, 21, "birth.sex m", DIALECTS),
    ("code_unreadable", "contraception:3", 303, 11, "contraception.method patch", DIALECTS),
    ("code_normalised", "contraception:5", 305, 11, "contraception.method IUD", DIALECTS),
    ("code_unreadable", "service_event:3", None, 11, "service_event.kind meeting", DIALECTS),
    ("code_normalised", "service_event:2", None, 11, "service_event.kind Publicity_Visit", DIALECTS),
    ("code_unreadable", "demo_site:1", None, 11, "demo_site.level village", DIALECTS),
    ("code_normalised", "demo_site:2", None, 995, "demo_site.level County", DIALECTS),
    ("reference_missing", "person:108", 108, 999, "person.village_id 999", DIALECTS),
    ("reference_missing", "birth:2", 99999, 998, "birth.village_id 998", DIALECTS),
    ("reference_missing", "household:13", None, 997, "household.village_id 997", DIALECTS),
    ("reference_missing", "service_event:4", None, 996, "service_event.village_id 996", DIALECTS),
    ("reference_missing", "demo_site:2", None, 995, "demo_site.village_id 995", DIALECTS),
    ("reference_missing", "birth:2", 99999, 998, "birth.mother_id 99999", DIALECTS),
    # Placed through a woman or person who does not exist: no village.
    ("reference_missing", "contraception:4", 99998, None, "contraception.woman_id 99998", DIALECTS),
    ("reference_missing", "reward_payment:3", 99997, None, "reward_payment.person_id 99997", DIALECTS),
    ("reference_missing", "service_event:5", 99996, 11, "service_event.person_id 99996", DIALECTS),
    ("reference_missing", "village:21", None, None, "village.township_id 99", DIALECTS),
]

#: The other checks' findings (the hand registry's own defects and the ones planted above):
#: (check, record, person, village, detail, dialects). Persons 113 (a lower-case x) and 116
#: (spaces around the number) have valid numbers; 101's birth date is no day, so not compared.
FINDINGS: list[tuple[str, str, int | None, int | None, str, tuple[str, ...]]] = [
    ("id_missing", "410", 410, 11, "missing", DIALECTS),
    ("id_invalid", "109", 109, 11, "length", DIALECTS),
    ("id_invalid", "110", 110, 11, "date", DIALECTS),
    ("id_invalid", "111", 111, 11, "characters", DIALECTS),
    ("id_invalid", "401", 401, 11, "length", DIALECTS),
    ("id_invalid", "402", 402, 11, "check_digit", DIALECTS),
    ("id_duplicate", "403", 403, 11, "5308231991******59", DIALECTS),
    ("id_duplicate", "404", 404, 21, "5308231991******59", DIALECTS),
    ("id_sex_mismatch", "405", 405, 11, "sex F", DIALECTS),
    ("id_birth_date_mismatch", "406", 406, 11, "1993-07-08 ≠ 1993-07-07", DIALECTS),
    ("mother_age", "3", 501, 21, "age -1", DIALECTS),
    ("event_future", "person:109", 109, 11, "person.birth_date 2030-01-01", DIALECTS),
    ("event_future", "person:407", 407, 11, "person.registered_on 2025-03-01", DIALECTS),
    ("event_future", "service_event:40", 304, 11, "service_event.event_date 2025-02-01", DIALECTS),
    ("event_future", "reward_payment:4", 103, 11, "reward_payment.paid_on 2025-01-05", SQLITE),  # its time aside
    ("event_future", "demo_site:2", None, 995, "demo_site.established_on 2025-06-01", DIALECTS),
    ("event_before_birth", "person:109", 109, 11, "person.registered_on 1990-01-01", DIALECTS),
    ("event_before_birth", "person:408", 408, 11, "person.married_on 1989-01-01", DIALECTS),
    ("event_before_birth", "contraception:2", 302, 11, "contraception.start_date 1990-01-01", DIALECTS),
    ("event_before_birth", "birth:3", 501, 21, "birth.birth_date 2024-02-02", DIALECTS),
    ("event_before_birth", "service_event:41", 410, 11, "service_event.event_date 1999-05-01", DIALECTS),
    ("birth_missing_fields", "2", None, 998, "policy_compliant", DIALECTS),
    ("stale_village", "11", None, 11, "2024-04-04", DIALECTS),
    ("stale_village", "21", None, 21, "2024-02-02", DIALECTS),
]


def _expected(rows: list[tuple[str, str, int | None, int | None, str, tuple[str, ...]]], url: str) -> list[tuple]:
    dialect = sa.engine.make_url(url).get_backend_name()
    return [row[:5] for row in rows if dialect in row[5]]


def _rows(found: pd.DataFrame) -> list[tuple]:
    def number(value: object) -> int | None:
        return None if pd.isna(value) else int(value)  # type: ignore[call-overload]

    return [
        (r.check, str(r.record), number(r.person_id), number(r.village_id), str(r.detail))
        for r in found.itertuples(index=False)
    ]


def _groups(rows: list[tuple]) -> list[tuple[str, str]]:
    """The checks in the order their rows come, each once; per column (table.column) where
    the detail names it: the contract defects and the dated records."""
    keys = [(row[0], str(row[4]).split(" ")[0] if "." in str(row[4]).split(" ")[0] else "") for row in rows]
    return [k for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k]


def test_every_planted_contract_defect_is_found_once_in_the_listed_order(laden: str) -> None:
    engine = sa.create_engine(laden)
    with engine.connect() as conn:
        found = quality.defect_findings(quality_queries.contract_defects(conn))
    engine.dispose()
    expected = _expected(DEFECTS, laden)
    assert sorted(_rows(found), key=str) == sorted(expected, key=str)
    assert _groups(_rows(found)) == _groups(expected)


def test_the_other_checks_find_exactly_the_planted_records(laden: str) -> None:
    engine = sa.create_engine(laden)
    with engine.connect() as conn:
        found = quality_queries.findings(conn, hand.TODAY, defects=False)
    engine.dispose()
    expected = _expected(FINDINGS, laden)
    assert sorted(_rows(found), key=str) == sorted(expected, key=str)
    assert _groups(_rows(found)) == _groups(expected)


def test_the_allowed_codes_are_written_as_they_are_read() -> None:
    # The scans find both code defects as "none of the allowed values, byte for byte": that
    # holds only while each allowed value is its own trimmed, case-folded reading.
    for (_, column), allowed in quality_queries.CODES.items():
        for value in allowed:
            assert value == (value.strip().upper() if column in UPPER_CODES else value.strip().lower())


def _counted(found: pd.DataFrame) -> pd.Series:
    village = pd.to_numeric(found["village_id"], errors="coerce").astype("Int64")
    return found.assign(village_id=village).groupby(["check", "village_id"], dropna=False).size().sort_index()


#: The checks the summary refresh works out across every village (not per village's records).
ACROSS = ("id_duplicate", "stale_village", "target_invalid", "quota_invalid")


def test_the_checks_of_some_villages_records_are_the_checks_restricted_to_them(laden: str) -> None:
    """What the summary refresh recomputes for the villages whose records changed: every
    record check over some villages' records (or the records of no known village) finds what
    the checks over every record find there — the planted defects of every table included."""
    engine = sa.create_engine(laden)
    with engine.connect() as conn:
        everything = quality_queries.findings(conn, hand.TODAY)
        villages = [int(v) for v in conn.execute(sa.select(sa.text("id FROM village ORDER BY id"))).scalars()]
        some = tuple(villages[::2])
        mine = quality_queries.village_findings(conn, hand.TODAY, (some, False))
        unplaced = quality_queries.village_findings(conn, hand.TODAY, ((), True))
        every = quality_queries.village_findings(conn, hand.TODAY, None)
    engine.dispose()
    record_checks = everything[~everything["check"].isin(ACROSS)]
    # (the village whose township is missing: a finding of the village list, not of a record)
    record_checks = record_checks[~record_checks["record"].astype(str).str.startswith("village:")]
    assert _counted(every).equals(_counted(record_checks))
    village = pd.to_numeric(record_checks["village_id"], errors="coerce")
    assert _counted(mine).equals(_counted(record_checks[village.isin(some)]))
    assert not mine.empty and not unplaced.empty
    known = village.isin(villages)
    assert _counted(unplaced).equals(_counted(record_checks[~known]))


#: ID numbers as a hand-kept registry holds them: the same number written with spaces, a tab,
#: a lower-case x, and numbers that only look alike (full-width digits, a digit off).
NUMBERS = {
    1: "530823199001011234",
    2: " 530823199001011234",
    3: "53082319900101123x",
    4: "53082319900101123X\t",
    5: "５３０８２３１９９００１０１１２３４",
    6: "530823199001011235",
    7: "",
    8: "  ",
    9: "ABC",
    10: "abc ",
}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_duplicates_found_without_reading_every_number_are_the_duplicates(dialect: str, tmp_path: Path) -> None:
    """``duplicate_findings`` reads only the numbers written alike and those written oddly,
    and finds exactly the persons ``id_findings`` finds duplicated over every person."""
    with fresh_database(dialect, tmp_path) as url:
        hand.load(url)
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            ids = [int(v) for v in conn.execute(sa.text("SELECT id FROM person ORDER BY id")).scalars()][:10]
            for pid, number in zip(ids, NUMBERS.values(), strict=True):
                conn.execute(sa.text("UPDATE person SET id_number = :n WHERE id = :i"), {"n": number, "i": pid})
        with engine.connect() as conn:
            cheap = quality_queries.duplicate_findings(conn)
            every = quality.id_findings(quality_queries.persons_for_id_checks(conn))
        engine.dispose()
    expected = every[every["check"] == "id_duplicate"]
    assert sorted(cheap["person_id"].astype(int)) == sorted(expected["person_id"].astype(int))
    assert set(cheap["person_id"].astype(int)) >= {ids[0], ids[1], ids[2], ids[3], ids[8], ids[9]}
