"""The defect catalogue: a real registry's defects, each alone on a copy of the hand-counted
service registry. Every defect gives its one line or its counted data-quality finding — in the
CLI's ``quality`` and ``indicators``, and on every page — never a traceback; the numbers of the
rows it does not touch stay the clean registry's."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.cli import main
from dashboard.domain import quality
from data_access import schema
from tests.conftest import DIALECTS, ROOT, fresh_database
from tests.data_access import test_services_quality as hand

PAGES = ("ranking", "map", "drilldown", "trends", "services", "quality", "export", "targets", "meeting")
UNTOUCHED = "530823102201"  # village 21 (township 乙乡): no defect is planted there


@dataclass(frozen=True)
class Defect:
    statements: tuple[str, ...]
    finding: str | None  # the check that counts it (None: a one-line error instead)
    error: str | None = None  # words of the one-line error
    dialects: tuple[str, ...] = ("sqlite",)
    same_everywhere: bool = False  # read, not left out: every number is the clean one


ALL = DIALECTS
CATALOGUE: dict[str, Defect] = {
    # Dates (SQLite keeps text; the typed columns of the others cannot hold these).
    "empty date": Defect(("UPDATE person SET registered_on = '' WHERE id = 100",), "date_invalid"),
    "slashed date": Defect(("UPDATE birth SET birth_date = '2024/03/03' WHERE id = 1",), "date_invalid"),
    "impossible date": Defect(("UPDATE service_event SET event_date = '2024-02-30' WHERE id = 1",), "date_invalid"),
    "date with a time": Defect(
        ("UPDATE person SET registered_on = '1990-01-01 08:30:00' WHERE id = 100",),
        "date_time_part",
        same_everywhere=True,
    ),
    "date far in the future": Defect(
        ("UPDATE person SET left_on = '9999-12-31' WHERE id = 100",), "event_future", dialects=ALL
    ),
    # Codes.
    "hukou in capitals": Defect(
        ("UPDATE person SET hukou = 'LOCAL' WHERE id = 100",), "code_normalised", dialects=ALL, same_everywhere=True
    ),
    "sex in lower case": Defect(
        ("UPDATE person SET sex = 'f' WHERE id = 301",), "code_normalised", dialects=ALL, same_everywhere=True
    ),
    "hukou padded": Defect(
        ("UPDATE person SET hukou = ' local ' WHERE id = 100",), "code_normalised", same_everywhere=True
    ),
    "unknown sex": Defect(("UPDATE person SET sex = 'X' WHERE id = 100",), "code_unreadable", dialects=ALL),
    "unknown marital status": Defect(
        ("UPDATE person SET marital_status = 'unknown' WHERE id = 301",), "code_unreadable", dialects=ALL
    ),
    "unknown method": Defect(
        ("UPDATE contraception SET method = 'patch' WHERE id = 1",), "code_unreadable", dialects=ALL
    ),
    "unknown target comparison": Defect(
        (
            "INSERT INTO target (year, indicator, township_id, op, value, low, high, amber)"
            " VALUES (2024, 'birth_rate', NULL, '>>', 12, NULL, NULL, 0)",
        ),
        "target_invalid",
        dialects=ALL,
        same_everywhere=True,
    ),
    "quota as text": Defect(
        ("UPDATE task_quota SET quota = 'abc' WHERE township_id = 1 AND kind = 'pregnancy_check'",), "quota_invalid"
    ),
    # References to nothing (a registry without foreign keys, as view-mapped ones are).
    "birth in no village": Defect(("UPDATE birth SET village_id = 999 WHERE id = 1",), "reference_missing"),
    "person in no village": Defect(("UPDATE person SET village_id = 999 WHERE id = 100",), "reference_missing"),
    "event in no village": Defect(("UPDATE service_event SET village_id = 999 WHERE id = 1",), "reference_missing"),
    "village in no township": Defect(("UPDATE village SET township_id = 99 WHERE id = 11",), "reference_missing"),
    "mother who is nobody": Defect(("UPDATE birth SET mother_id = 99999 WHERE id = 1",), "reference_missing"),
    "woman who is nobody": Defect(("UPDATE contraception SET woman_id = 99999 WHERE id = 1",), "reference_missing"),
    # A view-mapped registry that repeats a township.
    "township twice": Defect(
        (
            "ALTER TABLE township RENAME TO township_base",
            "CREATE VIEW township AS SELECT * FROM township_base UNION ALL SELECT * FROM township_base WHERE id = 1",
        ),
        None,
        error="编号重复",
        dialects=ALL,
    ),
}


def _build(url: str, defect: Defect | None) -> None:
    hand.load(url)
    if defect is None:
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for statement in defect.statements:
            conn.execute(sa.text(statement))
    engine.dispose()


def _indicators(url: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, pd.DataFrame, str]:
    code = main(["indicators", "--db", url, "--period", "2024", "--level", "village"])
    out, err = capsys.readouterr()
    frame = pd.read_csv(io.StringIO(out), dtype={"code": str}) if code == 0 else pd.DataFrame()
    return code, frame, err


def _cases() -> list[tuple[str, str]]:
    return [(name, d) for name, defect in CATALOGUE.items() for d in defect.dialects]


@pytest.fixture
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Defect]]:
    name, dialect = request.param
    with fresh_database(dialect, tmp_path) as url:
        _build(url, CATALOGUE[name])
        yield url, CATALOGUE[name]


@pytest.fixture(scope="module")
def clean_rows(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    url = f"sqlite:///{tmp_path_factory.mktemp('clean') / 'clean.sqlite'}"
    _build(url, None)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["indicators", "--db", url, "--period", "2024", "--level", "village"]) == 0
    return pd.read_csv(io.StringIO(buffer.getvalue()), dtype={"code": str})


COMPARED = ["code", "indicator", "numerator", "denominator", "value", "status"]


@pytest.mark.parametrize("registry", _cases(), indirect=True, ids=lambda c: f"{c[0]}-{c[1]}")
def test_a_defect_is_a_finding_or_one_line_never_a_traceback(
    registry: tuple[str, Defect], clean_rows: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    url, defect = registry
    code, frame, err = _indicators(url, capsys)
    if defect.finding is None:  # one line, exit 1
        assert code == 1 and len(err.strip().splitlines()) == 1 and defect.error in err, err
        assert main(["quality", "--db", url]) == 1
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
        return
    assert code == 0, err
    assert "Traceback" not in err
    # The rows it does not touch keep the clean registry's numbers (all of them, when read).
    mine = frame[COMPARED] if defect.same_everywhere else frame.loc[frame["code"] == UNTOUCHED, COMPARED]
    theirs = (
        clean_rows[COMPARED] if defect.same_everywhere else clean_rows.loc[clean_rows["code"] == UNTOUCHED, COMPARED]
    )
    pd.testing.assert_frame_equal(mine.reset_index(drop=True), theirs.reset_index(drop=True))
    # … and the defect is counted where the quality page and the nightly report list it.
    assert main(["quality", "--db", url, "--period", "2024"]) == 0
    counts = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"township_code": str})
    assert counts.loc[counts["check"] == defect.finding, "count"].sum() >= 1
    assert set(counts["check"]) == set(quality.CHECKS)


@pytest.mark.parametrize("name", [n for n, d in CATALOGUE.items()])
def test_every_page_gives_its_line_or_its_numbers(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    _build(url, CATALOGUE[name])
    monkeypatch.setenv("REGISTRY_DB_URL", url)
    monkeypatch.setenv("DASHBOARD_REFRESH_MINUTES", "0")
    monkeypatch.setenv("DASHBOARD_DEMO", "1")
    st.cache_data.clear()
    st.cache_resource.clear()
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["period"] = "2024"
    app.run()
    defect = CATALOGUE[name]
    for page in (None, *PAGES):
        if page:
            app.switch_page(f"pages/{page}.py")
            app.run()
        assert not app.exception, (page, app.exception)
        if defect.finding is None:
            assert any(defect.error in e.value for e in app.error), page
            break
    if defect.finding is not None and defect.finding in quality.EXCLUDING:
        app.switch_page("pages/overview.py")
        app.run()
        assert any("无法计入" in i.value for i in app.info)  # how many rows are left out, and why
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("dialect", DIALECTS)
def test_an_empty_registry_has_no_data_not_zeros(
    dialect: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with fresh_database(dialect, tmp_path) as url:
        engine = sa.create_engine(url)
        schema.create_tables(engine)
        engine.dispose()
        code, frame, err = _indicators(url, capsys)
        assert code == 0, err
        assert frame.empty or set(frame["status"]) == {"no_data"}
        assert main(["indicators", "--db", url, "--period", "2024"]) == 0
        out, err = capsys.readouterr()
        rows = pd.read_csv(io.StringIO(out))
        assert set(rows["status"]) == {"no_data"} and rows["value"].isna().all()
        assert "无数据" in err or "no data" in err.lower()
        assert main(["quality", "--db", url]) == 0
