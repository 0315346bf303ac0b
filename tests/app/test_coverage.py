"""No data is not zero: the registry's coverage bounds every period, a period it does not
cover has no values (never a green 0), a future one is refused in one line; a SQLite registry
replaced while the app runs is read afresh."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.cli import main
from tests.conftest import ROOT
from tests.data_access import test_services_quality as hand

# The hand-counted service registry records events from 2024-01 to 2025-02.


@pytest.fixture
def registry(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    hand.load(url)
    return url


@pytest.fixture
def app(registry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("REGISTRY_DB_URL", registry)
    monkeypatch.setenv("DASHBOARD_REFRESH_MINUTES", "0")
    monkeypatch.setenv("DASHBOARD_DEMO", "1")
    st.cache_data.clear()
    st.cache_resource.clear()
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


def test_a_period_outside_the_coverage_has_no_data_in_the_cli(
    registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["indicators", "--db", registry, "--period", "2023", "--level", "township"]) == 0
    out, err = capsys.readouterr()
    rows = pd.read_csv(io.StringIO(out))
    assert set(rows["status"]) == {"no_data"} and rows["value"].isna().all()
    assert len(err.strip().splitlines()) == 1 and "数据未覆盖该期间" in err and "2024-01-01" in err
    # Partly covered: values for the covered days, projected from them, and said so.
    assert main(["indicators", "--db", registry, "--period", "2025", "--indicator", "birth_rate"]) == 0
    out, err = capsys.readouterr()
    assert "数据仅覆盖 2025-01-01 至 2025-02-28（59 天）" in err
    row = pd.read_csv(io.StringIO(out)).iloc[0]
    assert row["projection"] == pytest.approx(row["value"] * 365 / 59)


def test_a_future_period_is_refused_in_one_line(registry: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["indicators", "--db", registry, "--period", "2999"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "尚未开始" in err


def test_the_overview_of_uncovered_months_shows_no_data(app: AppTest) -> None:
    app.query_params["period"] = "2025-06"  # a year with data, months without
    app.run()
    assert not app.exception and not app.error
    assert any("数据未覆盖该期间" in w.value for w in app.warning)
    values = {m.label: m.value for m in app.metric}
    assert values and set(values.values()) == {"无数据"}  # no green 0 anywhere
    assert not any("达标" in str(m.delta or "") for m in app.metric)


def test_years_without_data_are_not_offered(app: AppTest) -> None:
    app.query_params["period"] = "2018"
    app.run()
    assert not app.exception
    assert any("未覆盖 2018" in w.value for w in app.sidebar.warning)
    assert app.selectbox(key="period_year").options == ["2025", "2024"]
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)  # (AppTest reruns skip app.py)
    fresh.query_params["period"] = "2999"
    fresh.run()
    assert any("尚未开始" in w.value for w in fresh.sidebar.warning)
    app.switch_page("pages/targets.py")
    app.run()
    assert not app.exception  # the year box is bounded too (2024 … 2026)
    box = app.number_input(key="targets_year")
    assert (box.min, box.max) == (2024, 2026)


def test_a_replaced_registry_file_is_read_afresh(app: AppTest, registry: str, tmp_path: Path) -> None:
    app.query_params["period"] = "2024"
    app.run()
    before = {m.label: m.value for m in app.metric}
    # The same registry with two more births in 2024, copied over the file the app reads.
    other = tmp_path / "other.sqlite"
    hand.load(f"sqlite:///{other}")
    engine = sa.create_engine(f"sqlite:///{other}")
    with engine.begin() as conn:
        for i, day in enumerate(("2024-06-01", "2024-07-01")):
            conn.execute(
                sa.text(
                    "INSERT INTO birth (id, mother_id, child_id, village_id, birth_date, sex, parity, policy_compliant,"
                    " hukou) VALUES (:i, NULL, NULL, 11, :d, 'F', 1, 1, 'local')"
                ),
                {"i": 900 + i, "d": day},
            )
    engine.dispose()
    os.replace(other, sa.engine.make_url(registry).database or "")
    app.run()
    assert not app.exception and not app.error
    after = {m.label: m.value for m in app.metric}
    assert after["出生率"] != before["出生率"]
