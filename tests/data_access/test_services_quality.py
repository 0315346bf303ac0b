"""Service indicators, data-quality checks and target edits on SQLite, PostgreSQL and MariaDB,
against a small registry whose every number is known by hand."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from dashboard.app import sources
from dashboard.app.sources import indicator_report, open_registry, quality_report
from dashboard.cli import main
from dashboard.domain import idnumber, quality
from dashboard.domain import targets as tr
from dashboard.domain.periods import parse_period, year_to_date
from dashboard.views import targets as targets_admin
from data_access import config, demo, schema
from data_access.demo import defects
from data_access.queries import services
from data_access.queries import targets as target_queries
from tests.conftest import DIALECTS, fresh_database

D = date
TODAY = D(2024, 12, 20)  # "today" for the future-date check; last complete month ends 2024-11-30


def ident(region: str, born: date, seq: int) -> str:
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    return body + idnumber.check_char(body)


def person(pid: int, village: int, born: date, sex: str, seq: int, **kw: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": pid,
        "id_number": ident("530823", born, seq),
        "name": f"张{pid}芳",
        "sex": sex,
        "birth_date": born,
        "village_id": village,
        "household_id": None,
        "hukou": "local",
        "marital_status": "single",
        "married_on": None,
        "registered_on": born,
        "left_on": None,
        "death_date": None,
    }
    row.update(kw)
    return row


def build_rows() -> dict[str, list[dict[str, object]]]:
    townships = [
        {"id": 1, "code": "530823101", "name": "甲镇", "lat": 24.4, "lon": 100.8},
        {"id": 2, "code": "530823102", "name": "乙乡", "lat": 24.3, "lon": 100.9},
    ]
    villages = [
        {"id": 11, "code": "530823101201", "township_id": 1, "name": "一村", "kind": "村", "lat": 24.4, "lon": 100.8},
        {"id": 21, "code": "530823102201", "township_id": 2, "name": "二村", "kind": "村", "lat": 24.3, "lon": 100.9},
    ]
    households = [{"id": h, "village_id": 11 if h <= 10 else 21, "code": f"H{h}"} for h in range(1, 13)]
    people = []
    # 20 ordinary residents of village 11 (odd sequence: men), 10 of village 21 — all consistent.
    # Households 1–10 (village 11) and 11–12 (village 21) each have a resident at the year's end.
    for i in range(20):
        people.append(
            person(
                100 + i,
                11,
                D(1970, 1, 1 + i),
                "M",
                1 + 2 * i,
                registered_on=D(1990, 1, 1),
                household_id=1 + i if i < 10 else None,
            )
        )
    for i in range(10):
        people.append(
            person(
                200 + i,
                21,
                D(1980, 2, 1 + i),
                "M",
                1 + 2 * i,
                registered_on=D(1990, 1, 1),
                household_id=11 + i if i < 2 else None,
            )
        )
    households.append({"id": 13, "village_id": 11, "code": "H13"})  # emptied: nobody lives there
    # Women of village 11: married, 30 years old; 301–304 on short-acting methods, 305 on an IUD.
    for i in range(5):
        people.append(
            person(
                301 + i,
                11,
                D(1994, 3, 1 + i),
                "F",
                2 + 2 * i,
                marital_status="married",
                married_on=D(2015, 1, 1),
                registered_on=D(1994, 3, 1 + i),
            )
        )
    # --- planted defects ---
    bad_length = person(401, 11, D(1990, 1, 1), "M", 1)
    bad_length["id_number"] = "53082319900101001"  # 17 characters
    bad_check = person(402, 11, D(1990, 1, 2), "M", 3)
    bad_check["id_number"] = str(bad_check["id_number"])[:17] + ("0" if str(bad_check["id_number"])[17] != "0" else "1")
    dup_a = person(403, 11, D(1991, 5, 5), "M", 5)
    dup_b = person(404, 21, D(1991, 5, 5), "M", 5)  # the same number as 403
    sex_bad = person(405, 11, D(1992, 6, 6), "F", 7)  # odd sequence (male) but recorded female
    date_bad = person(406, 11, D(1993, 7, 7), "M", 9)
    date_bad["birth_date"] = D(1993, 7, 8)
    date_bad["registered_on"] = D(1993, 7, 8)
    future = person(407, 11, D(1985, 1, 1), "M", 11, registered_on=D(2025, 3, 1))  # registered in the future
    married_early = person(408, 11, D(1990, 9, 9), "F", 12, marital_status="married", married_on=D(1989, 1, 1))
    young_mother = person(409, 11, D(2010, 1, 1), "F", 14, registered_on=D(2010, 1, 1))
    no_number = person(410, 11, D(2000, 1, 1), "F", 16, id_number=None)
    people += [bad_length, bad_check, dup_a, dup_b, sex_bad, date_bad, future, married_early, young_mother, no_number]
    births = [
        # Two births in village 11 in 2024; child persons registered (balance holds).
        {
            "id": 1,
            "mother_id": 301,
            "child_id": 501,
            "village_id": 11,
            "birth_date": D(2024, 3, 3),
            "sex": "M",
            "parity": 1,
            "policy_compliant": True,
            "hukou": "local",
        },
        {
            "id": 2,
            "mother_id": 409,
            "child_id": 502,
            "village_id": 11,
            "birth_date": D(2024, 4, 4),
            "sex": "F",
            "parity": 1,
            "policy_compliant": None,
            "hukou": "local",
        },  # mother 14; compliance missing
        # Village 21: a birth whose child was never registered -> balance off by one.
        {
            "id": 3,
            "mother_id": None,
            "child_id": None,
            "village_id": 21,
            "birth_date": D(2024, 5, 5),
            "sex": "F",
            "parity": 1,
            "policy_compliant": True,
            "hukou": "local",
        },
    ]
    people += [person(501, 11, D(2024, 3, 3), "M", 21), person(502, 11, D(2024, 4, 4), "F", 22)]
    contraception = [
        {"id": 1, "woman_id": 301, "method": "oral", "start_date": D(2020, 1, 1), "end_date": None},
        {"id": 2, "woman_id": 302, "method": "condom", "start_date": D(2020, 1, 1), "end_date": None},
        {"id": 3, "woman_id": 303, "method": "injection", "start_date": D(2020, 1, 1), "end_date": None},
        {"id": 4, "woman_id": 304, "method": "topical", "start_date": D(2020, 1, 1), "end_date": None},
        {"id": 5, "woman_id": 305, "method": "iud", "start_date": D(2020, 1, 1), "end_date": None},
    ]
    ev = []

    def event(kind: str, day: date, village: int, **kw: object) -> None:
        ev.append(
            {
                "id": len(ev) + 1,
                "kind": kind,
                "event_date": day,
                "village_id": village,
                "person_id": None,
                "household_id": None,
                "operation": None,
                "informed_choice": None,
                **kw,
            }
        )

    # Publicity: households 1–9 of village 11 visited in 2024 (house 1 twice), house 10 not;
    # village 21: house 11 visited in 2023 only -> 0 of 2 in 2024.
    for h in range(1, 10):
        event("publicity_visit", D(2024, 2, h), 11, household_id=h)
    event("publicity_visit", D(2024, 8, 1), 11, household_id=1)
    event("publicity_visit", D(2023, 8, 1), 21, household_id=11)
    # Operations 2024 in village 11: 4, informed 3 (one False), and one NULL in village 21.
    for i, ok in enumerate([True, True, True, False]):
        event("operation", D(2024, 5, 1 + i), 11, person_id=301 + i, operation="iud_insertion", informed_choice=ok)
    event("operation", D(2024, 6, 1), 21, operation="sterilization", informed_choice=None)
    # Supply service in 2024 for 3 of the 4 short-acting users (302 twice).
    for pid in (301, 302, 302, 303):
        event("supply_service", D(2024, 7, 1), 11, person_id=pid)
    # Quota work counts people, not events (quota 10 each for township 1 in 2024).
    # Pre-pregnancy checks in village 11: 6 events, 4 persons (301 checked twice; one event
    # without a person does not count). Person 302 is checked again in village 21 (township
    # 2): she counts once, in the village of her first check -> township 2 has 0 persons.
    for pid, month in ((301, 1), (302, 2), (303, 3), (304, 4), (None, 5), (301, 6)):
        event("pregnancy_check", D(2024, month, 10), 11, person_id=pid)
    event("pregnancy_check", D(2024, 8, 10), 21, person_id=302)
    # Folic acid in batches: 303 six times, 304 four times, 305 twice -> 12 events, 3 women.
    for i, pid in enumerate([303] * 6 + [304] * 4 + [305] * 2):
        event("folic_acid", D(2024, 1 + i, 12), 11, person_id=pid)
    event("supply_service", D(2025, 2, 1), 11, person_id=304)  # dated in the future (after TODAY)
    event("pregnancy_check", D(1999, 5, 1), 11, person_id=410)  # before her birth (2000-01-01)
    quotas = [
        {"year": 2024, "township_id": 1, "kind": "pregnancy_check", "quota": 10},
        {"year": 2024, "township_id": 1, "kind": "folic_acid", "quota": 10},
    ]
    rewards = [
        {
            "id": 1,
            "person_id": 100,
            "scheme": "奖",
            "amount_due": 600,
            "due_date": D(2024, 6, 30),
            "amount_paid": 600,
            "paid_on": D(2024, 6, 30),
        },
        {
            "id": 2,
            "person_id": 101,
            "scheme": "奖",
            "amount_due": 600,
            "due_date": D(2024, 6, 30),
            "amount_paid": 600,
            "paid_on": D(2024, 7, 1),
        },  # late
        {
            "id": 3,
            "person_id": 102,
            "scheme": "补",
            "amount_due": 960,
            "due_date": D(2024, 6, 30),
            "amount_paid": 900,
            "paid_on": D(2024, 6, 1),
        },  # short
        {
            "id": 4,
            "person_id": 103,
            "scheme": "免",
            "amount_due": 720,
            "due_date": D(2024, 9, 30),
            "amount_paid": None,
            "paid_on": None,
        },  # unpaid
        {
            "id": 5,
            "person_id": 104,
            "scheme": "奖",
            "amount_due": 600,
            "due_date": D(2023, 6, 30),
            "amount_paid": 600,
            "paid_on": D(2023, 6, 1),
        },  # 2023
    ]
    sites = [
        {"id": 1, "village_id": 11, "kind": "人口文化大院", "level": "township", "established_on": D(2024, 4, 1)},
        {"id": 2, "village_id": 11, "kind": "药具管理服务", "level": "county", "established_on": D(2024, 5, 1)},
    ]
    return {
        "township": townships,
        "village": villages,
        "household": households,
        "person": people,
        "birth": births,
        "contraception": contraception,
        "service_event": ev,
        "task_quota": quotas,
        "reward_payment": rewards,
        "demo_site": sites,
    }


def load(url: str) -> None:
    """Create the project schema at ``url`` and load :func:`build_rows` into it."""
    engine = sa.create_engine(url)
    schema.create_tables(engine)
    with engine.begin() as conn:
        for table in schema.metadata.sorted_tables:
            rows = build_rows().get(table.name)
            if rows:
                conn.execute(table.insert(), rows)
    engine.dispose()


@pytest.fixture(scope="module", params=DIALECTS)
def registry(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(request.param, tmp_path_factory.mktemp(request.param)) as url:
        load(url)
        yield url


def by_code(url: str, period: str, level: str) -> pd.DataFrame:
    return indicator_report(open_registry(url), parse_period(period), level).result.set_index(["code", "indicator"])


def test_service_indicators_by_hand(registry: str) -> None:
    v = by_code(registry, "2024", "village")
    one = "530823101201"
    assert v.loc[(one, "publicity_household_rate"), "value"] == pytest.approx(90.0)  # 9 of 10 lived-in households
    assert v.loc[(one, "informed_choice_rate"), "value"] == pytest.approx(75.0)  # 3 of 4 operations
    assert v.loc[(one, "informed_choice_rate"), "status"] == "red"
    assert v.loc[(one, "supply_service_rate"), "value"] == pytest.approx(75.0)  # 3 of 4 short-acting users
    assert v.loc[(one, "reward_payment_rate"), "value"] == pytest.approx(25.0)  # 1 of 4 due in 2024 on time, in full
    # Quotas are per township: a village has none (no data, not 0 %).
    assert v.loc[(one, "pregnancy_check_completion"), "status"] == "no_data"
    two = "530823102201"
    assert v.loc[(two, "publicity_household_rate"), "value"] == 0.0  # 0 of 2 households in 2024
    assert v.loc[(two, "informed_choice_rate"), "value"] == 0.0  # informed choice not recorded
    assert v.loc[(two, "supply_service_rate"), "status"] == "no_data"  # nobody on short-acting supplies
    t = by_code(registry, "2024", "township")
    # Persons, not events: 4 of 10 checked (6 events would read 60 %), 3 of 10 given folic
    # acid (12 hand-outs would read 120 % and green).
    assert t.loc[("530823101", "pregnancy_check_completion"), "value"] == pytest.approx(40.0)
    assert t.loc[("530823101", "pregnancy_check_completion"), "status"] == "red"
    assert t.loc[("530823101", "folic_acid_completion"), "value"] == pytest.approx(30.0)
    assert t.loc[("530823101", "folic_acid_completion"), "status"] == "red"
    assert t.loc[("530823102", "pregnancy_check_completion"), "status"] == "no_data"  # no quota set
    c = by_code(registry, "2024", "county")
    county = c.loc[("530823", "informed_choice_rate")]
    assert county["numerator"] == 3 and county["denominator"] == 5  # ratio of sums across villages


def test_quota_indicators_are_projected_for_part_years(registry: str) -> None:
    t = by_code(registry, "2024-01..2024-03", "township")
    row = t.loc[("530823101", "pregnancy_check_completion")]
    assert row["value"] == pytest.approx(30.0)  # 3 persons checked in Jan–Mar against the year's 10
    assert row["projection"] == pytest.approx(30.0 * 366 / 91)  # judged on ≈ 120.7 %
    assert row["status"] == "green"


def test_service_counts_match_the_rows(registry: str) -> None:
    with sa.create_engine(registry).connect() as conn:
        counts = services.service_counts(conn, parse_period("2024"))
    assert counts.loc[11, "households"] == 10 and counts.loc[11, "households_reached"] == 9
    assert counts.loc[11, "new_sites_township"] == 1 and counts.loc[11, "new_supply_sites"] == 1
    assert counts.loc[11, "new_sites_county"] == 1
    assert counts.loc[21, "rewards_due"] == 0
    # Both readings, pinned apart: events as recorded, persons as the quota counts them.
    assert counts.loc[11, "pregnancy_checks"] == 6 and counts.loc[11, "pregnancy_check_persons"] == 4
    assert counts.loc[21, "pregnancy_checks"] == 1 and counts.loc[21, "pregnancy_check_persons"] == 0
    assert counts.loc[11, "folic_acid"] == 12 and counts.loc[11, "folic_acid_persons"] == 3
    # Over a part of the year a person counts if any of her events falls in it.
    with sa.create_engine(registry).connect() as conn:
        spring = services.service_counts(conn, parse_period("2024-Q2"))
    assert spring.loc[11, "pregnancy_checks"] == 3 and spring.loc[11, "pregnancy_check_persons"] == 2  # 304, 301
    assert spring.loc[11, "folic_acid_persons"] == 1  # 303's batches in April–June


def test_county_quota_counts_each_person_once(registry: str) -> None:
    c = by_code(registry, "2024", "county")
    row = c.loc[("530823", "pregnancy_check_completion")]
    assert row["numerator"] == 4 and row["denominator"] == 10


EXPECTED_DEFECTS = {
    "id_missing": 1,  # 410 has no number
    "id_invalid": 2,  # 401 length, 402 check digit
    "id_duplicate": 2,  # 403 and 404 share one number
    "id_sex_mismatch": 1,  # 405
    "id_birth_date_mismatch": 1,  # 406
    "mother_age": 1,  # birth 2: mother 409 was 14
    "event_future": 2,  # 407 registered 2025-03-01; a supply service dated 2025-02-01
    "event_before_birth": 2,  # 408 married before her birth; a check for 410 before hers
    "birth_missing_fields": 1,  # birth 2: compliance missing
    # Villages 21 (nothing since 2024-05-05) and 11 (since 2024-04-04: its one later
    # registration is dated 2025, in the future, which is no change): > 6 months before 2024-11-30.
    "stale_village": 2,
    "population_balance": 1,  # village 21: a birth without a registered child
    # Typed dates, contract codes, complete references (the defect catalogue has those).
    **{c: 0 for c in ("date_invalid", "date_time_part", "code_unreadable", "code_normalised", "reference_missing")},
    "target_invalid": 0,
    "quota_invalid": 0,
}


def test_quality_finds_exactly_the_planted_defects(registry: str) -> None:
    report = quality_report(open_registry(registry), parse_period("2024"), TODAY)
    found = report.findings.groupby("check").size().to_dict()
    assert {c: found.get(c, 0) for c in quality.CHECKS} == EXPECTED_DEFECTS
    balance = report.findings[report.findings["check"] == "population_balance"].iloc[0]
    assert balance["village_code"] == "530823102201" and balance["value"] == -1
    totals = report.counts.groupby("check")["count"].sum().to_dict()
    assert {c: totals.get(c, 0) for c in quality.CHECKS} == EXPECTED_DEFECTS
    assert set(report.counts["township_code"]) == {"530823101", "530823102"}


def test_quality_cli_rows_per_check_and_township(registry: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["quality", "--db", registry, "--period", "2024"])
    out, err = capsys.readouterr()
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out), dtype={"township_code": str})
    assert list(frame.columns[:3]) == ["check", "township_code", "township_name"] and "count" in frame.columns
    assert len(frame) == len(quality.CHECKS) * 2
    assert set(frame["check"]) == set(quality.CHECKS)
    # The future-date reference is the real today here, so compare everything but that check.
    totals = frame.groupby("check")["count"].sum().to_dict()
    assert totals["id_duplicate"] == 2 and totals["population_balance"] == 1


def test_target_edit_lands_and_invalid_edit_changes_nothing(registry: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHBOARD_ROLE", "county")
    engine = open_registry(registry)
    frame, defaults, _ = sources.target_editor(engine, 2030)
    assert defaults and len(frame) == 11
    frame.loc[frame["indicator"] == "人口出生率", "value"] = 11.5
    override = pd.DataFrame(
        [
            {
                "township": "乙乡",
                "indicator": "birth_rate",
                "op": "<=",
                "value": 10.0,
                "low": None,
                "high": None,
                "amber": 0.5,
            }
        ]
    )
    assert sources.save_targets(engine, 2030, pd.concat([frame, override], ignore_index=True), allowed=True) == 12
    with engine.connect() as conn:
        stored = target_queries.load_targets(conn, 2030)
    assert len(stored) == 12
    county_birth = stored[(stored["indicator"] == "birth_rate") & stored["township_id"].isna()]
    assert county_birth["value"].iloc[0] == pytest.approx(11.5)
    assert stored[stored["township_id"] == 2]["value"].iloc[0] == pytest.approx(10.0)
    for bad, message in [
        ({"op": "band", "value": 106, "low": 108, "high": 103}, "≤"),  # low > high
        ({"op": "<=", "value": 12, "amber": -1}, "≥ 0"),  # negative tolerance
        ({"op": "~", "value": 12}, "比较须为"),
        ({"indicator": "happiness", "op": "<=", "value": 1, "amber": 0}, "happiness"),
    ]:
        broken = frame.copy()
        row = {**broken.iloc[0].to_dict(), **bad}
        broken.iloc[0] = pd.Series(row)
        with pytest.raises(targets_admin.TargetEditError, match=message):
            sources.save_targets(engine, 2030, broken, allowed=True)
        with engine.connect() as conn:
            assert target_queries.load_targets(conn, 2030).equals(stored)  # unchanged
    assert sources.copy_targets(engine, 2030, 2031, allowed=True) == 12
    with engine.connect() as conn:
        assert len(target_queries.load_targets(conn, 2031)) == 12
    engine.dispose()


def test_viewer_role_cannot_save(registry: str) -> None:
    engine = open_registry(registry)
    frame, _, _ = sources.target_editor(engine, 2032)
    with pytest.raises(targets_admin.TargetEditError):
        sources.save_targets(engine, 2032, frame, allowed=False)
    with engine.connect() as conn:
        assert target_queries.load_targets(conn, 2032).empty
    engine.dispose()


def test_quality_page_finds_the_demo_defects_and_nothing_else(tmp_path: Path) -> None:
    """The demo county plants a known number of each defect; the checks find exactly those."""
    today = D(2025, 3, 15)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'demo.sqlite'}")
    demo.build_demo(
        engine, scale=0.01, seed=7, today=today, target_rows=tr.seed_rows(config.settings().default_targets, 2025)
    )
    report = quality_report(open_registry(f"sqlite:///{tmp_path / 'demo.sqlite'}"), year_to_date(today), today)
    found = report.findings.groupby("check").size().to_dict()
    assert {c: found.get(c, 0) for c in quality.CHECKS} == defects.PLANTED_DEFECTS
    engine.dispose()


def test_target_comparisons_read_as_words_and_save_as_codes(registry: str) -> None:
    frame, _, _ = sources.target_editor(open_registry(registry), 2024)
    assert set(frame["op"]) <= {"不高于", "不低于", "等于", "区间"}  # no raw codes on the page
    rows = targets_admin.validate(frame.head(4), {})
    assert {r["op"] for r in rows} <= {"<=", ">=", "=", "band"}
