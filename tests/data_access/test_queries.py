"""Base counts on SQLite, PostgreSQL and MariaDB against the hand-counted boundary registry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.domain.periods import parse_period
from data_access import schema
from data_access.db import make_engine
from data_access.queries import common, records
from data_access.queries import counts as count_queries
from data_access.queries import targets as target_queries
from data_access.queries import units as unit_queries
from tests import boundary_registry as br
from tests.conftest import DIALECTS, fresh_database


@pytest.fixture(scope="module", params=DIALECTS)
def registry(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """The boundary registry, created with plain DDL, on each database."""
    with fresh_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        engine = make_engine(url)
        br.create(engine)
        yield engine
        engine.dispose()


def test_year_counts_match_hand_counts(registry: sa.Engine) -> None:
    with registry.connect() as conn:
        counts = count_queries.base_counts(conn, parse_period("2024"))
    for village_id, expected in br.EXPECTED_2024.items():
        assert counts.loc[village_id].to_dict() == expected, village_id


def test_leap_year_partial_period_counts(registry: sa.Engine) -> None:
    with registry.connect() as conn:
        counts = count_queries.base_counts(conn, parse_period("2024-01..2024-02"))
    got = counts.loc[11].to_dict()
    assert {k: got[k] for k in br.EXPECTED_JAN_FEB_2024_V11} == br.EXPECTED_JAN_FEB_2024_V11


def test_every_village_appears_even_without_events(registry: sa.Engine) -> None:
    with registry.connect() as conn:
        counts = count_queries.base_counts(conn, parse_period("1999"))
    assert sorted(counts.index) == [11, 12, 21]
    # Nobody was registered before 2000: all zero, and no error.
    assert int(counts.to_numpy().sum()) == 0


def test_day_before_period_start_is_the_starting_stock(registry: sa.Engine) -> None:
    """The stock at the end of a−1 for 2025 is the stock at the end of 2024."""
    with registry.connect() as conn:
        y2024 = count_queries.base_counts(conn, parse_period("2024"))
        y2025 = count_queries.base_counts(conn, parse_period("2025-01"))
    assert (y2025["pop_start"] == y2024["pop_end"]).all()
    # Person 11 registers on 2025-01-01, person 9 dies that day; birth 104 on 2025-01-01 (F).
    assert y2025.loc[11, "births"] == 1
    assert y2025.loc[11, "deaths"] == 1


def test_units_join_villages_to_townships(registry: sa.Engine) -> None:
    with registry.connect() as conn:
        units = unit_queries.load_units(conn)
    assert list(units.index) == [11, 12, 21]
    assert list(units["township_code"]) == ["530823101", "530823101", "530823102"]
    assert units.loc[21, "village_name"] == "小村"


def test_targets_absent_table_gives_empty_frame(registry: sa.Engine) -> None:
    with registry.connect() as conn:
        assert target_queries.load_targets(conn, 2024).empty


@pytest.mark.parametrize("dialect_name", DIALECTS)
def test_project_schema_creates_and_counts_alike(dialect_name: str, tmp_path: Path) -> None:
    """The project's own schema (with indexes) creates on every database and gives the same counts."""
    with fresh_database(dialect_name, tmp_path) as url:
        engine = make_engine(url)
        try:
            schema.create_tables(engine, with_indexes=False)
            with engine.begin() as conn:
                conn.execute(schema.township.insert(), br.TOWNSHIPS)
                conn.execute(schema.village.insert(), br.VILLAGES)
                conn.execute(schema.person.insert(), br.persons())
                conn.execute(schema.birth.insert(), br.births())
                conn.execute(schema.contraception.insert(), br.contraception())
                conn.execute(
                    schema.target.insert(),
                    [
                        {
                            "year": 2024,
                            "indicator": "birth_rate",
                            "township_id": 2,
                            "op": "<=",
                            "value": 10.0,
                            "low": None,
                            "high": None,
                            "amber": 0.5,
                        }
                    ],
                )
                schema.create_indexes(conn)
            with engine.connect() as conn:
                names = {ix["name"] for ix in sa.inspect(conn).get_indexes("person")}
                assert "ix_person_village_stock" in names
                counts = count_queries.base_counts(conn, parse_period("2024"))
                targets = target_queries.load_targets(conn, 2024)
            for village_id, expected in br.EXPECTED_2024.items():
                assert counts.loc[village_id].to_dict() == expected
            assert targets.loc[0, "township_id"] == 2
            assert targets.loc[0, "value"] == pytest.approx(10.0)
        finally:
            engine.dispose()


def test_wcba_bind_params_cover_the_age_window() -> None:
    params = common.wcba_bind_params(date(2024, 12, 31))
    # Born on or before 2009-12-31 (15th birthday on d) and after 1974-12-31 (50th on d).
    assert params["born_on_or_before"] == date(2010, 1, 1)
    assert params["born_after"] == date(1975, 1, 1)
    assert params["end_next"] == date(2025, 1, 1)


def test_record_lists_are_the_rows_behind_the_counts(registry: sa.Engine) -> None:
    with registry.connect() as conn:
        births = records.births_list(conn, parse_period("2024"), [11, 12])
        women = records.wcba_without_long_acting(conn, date(2024, 12, 31), [11, 12, 21])
    assert sorted(births["birth_id"]) == [101, 102, 106, 107, 108, 109, 121, 122]
    # married WCBA minus long-acting users: village 11 9 − 6, village 12 2 − 1, village 21 1 − 1
    assert sorted(women["person_id"]) == [30, 32, 34, 52]
    assert women.set_index("person_id").loc[32, "method"] == "oral"


def test_married_wcba_list_by_method(registry: sa.Engine) -> None:
    with registry.connect() as conn:
        everyone = records.married_wcba_list(conn, date(2024, 12, 31))
        with_la = records.married_wcba_list(conn, date(2024, 12, 31), long_acting=True)
        births = records.births_list(conn, parse_period("2024"))
    assert len(everyone) == 9 + 2 + 1  # married WCBA per village, summed
    assert sorted(with_la["person_id"]) == [21, 24, 26, 31, 33, 35, 51, 63]
    methods = everyone.set_index("person_id")["method"]
    assert methods[33] in ("implant", "iud") and methods[35] == "male_sterilization"
    assert methods[32] == "oral"
    assert pd.isna(methods[34])  # her IUD starts only the next day
    assert len(births) == 8
