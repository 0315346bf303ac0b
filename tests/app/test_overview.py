"""AppTest of the overview: the cards and the matrix show exactly what the engine computes."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.app.sources import indicator_report, open_registry
from dashboard.domain import indicators as ind
from dashboard.domain.periods import parse_period
from dashboard.render import formats, style
from data_access import config
from tests.conftest import ROOT


@pytest.mark.parametrize("period", ["2024", "2024-01..2024-02", "2024-Q4", "2023-12"])
def test_cards_show_the_engine_values(app: AppTest, registry_url: str, period: str) -> None:
    app.query_params["period"] = period
    app.run()
    assert not app.exception
    assert not app.error
    expected = indicator_report(open_registry(registry_url), parse_period(period), "county").result
    metrics = {m.label: m.value for m in app.metric}
    # One card per target of the work plan, headline first, then the service work.
    assert list(metrics) == [formats.indicator_short(i.code) for i in ind.CATALOGUE] + ["新增示范点"]
    for _, row in expected.iterrows():
        indicator = ind.get(row["indicator"])
        assert metrics[formats.indicator_short(indicator.code)] == formats.fmt_value(row["value"], indicator)
    # The boundary registry records no service work: no data, never a green 0.
    assert metrics["宣传入户率"] == "无数据" and metrics["新增示范点"] == "无数据"
    assert app.query_params["period"] in (parse_period(period).label, [parse_period(period).label])


def test_partial_period_shows_projection_and_warning(app: AppTest, registry_url: str) -> None:
    app.query_params["period"] = "2024-01..2024-02"
    app.run()
    assert any("× 6.100" in w.value for w in app.warning)
    expected = indicator_report(open_registry(registry_url), parse_period("2024-01..2024-02"), "county").result
    birth = expected.set_index("indicator").loc["birth_rate"]
    projection_text = formats.fmt_value(birth["projection"], ind.get("birth_rate"))
    assert any(projection_text in md.value for md in app.markdown)


def test_status_matrix_rows_and_cells(app: AppTest, registry_url: str) -> None:
    app.query_params["period"] = "2024"
    app.run()
    table = app.dataframe[0].value
    assert list(table.iloc[:, 0]) == [config.county().name, "甲镇", "乙乡"]
    expected = indicator_report(open_registry(registry_url), parse_period("2024"), "township").result
    t1 = expected[(expected["code"] == "530823101") & (expected["indicator"] == "long_acting_rate")].iloc[0]
    cell = table.iloc[1]["长效节育率（%）"]
    assert cell.startswith(formats.fmt_number(t1["value"])) and style.STATUS_SYMBOLS[t1["status"]] in cell
    # No births in 乙乡: planned births and sex ratio have no data, not 0.
    assert table.iloc[2]["计划生育率（%）"] == "无数据"
    # Every cell is text a reader expects: no None, nan or dash-only placeholders.
    cells = " ".join(table.astype(str).to_numpy().ravel())
    assert "None" not in cells and "nan" not in cells and "— – —" not in cells


def test_matrix_can_show_every_target(app: AppTest) -> None:
    app.query_params["period"] = "2024"
    app.run()
    app.segmented_control(key="overview_matrix_scope").set_value("all").run()
    assert not app.exception
    columns = list(app.dataframe[0].value.columns)
    for indicator in ind.CATALOGUE:
        assert any(c.startswith(formats.indicator_short(indicator.code)) for c in columns), indicator.code
    assert "新增示范点" in columns and columns[-1] == "考核得分"


def test_default_targets_are_announced(app: AppTest) -> None:
    app.query_params["period"] = "2024"
    app.run()
    assert any("默认目标" in w.value for w in app.warning)


def test_bad_period_in_url_falls_back_with_a_message(app: AppTest) -> None:
    app.query_params["period"] = "2024-13"
    app.run()
    assert not app.exception
    assert any("2024-13" in w.value for w in app.sidebar.warning)
    assert len(app.metric) == len(ind.CATALOGUE) + 1


def test_unreachable_database_is_one_error_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REGISTRY_DB_URL", f"sqlite:///{tmp_path / 'missing.sqlite'}")
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "missing.sqlite" in at.error[0].value
    assert len(at.metric) == 0
