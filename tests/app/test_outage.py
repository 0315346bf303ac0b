"""Outages end in a message: a registry behind a TCP proxy the test cuts (never the shared
server). The pages keep the last summaries with one line saying the registry cannot be read,
a list that needs the registry is one error line within seconds, the CLI exits with one line,
and everything works again once the proxy is back."""

from __future__ import annotations

import io
import logging
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.app import cache
from dashboard.cli import main
from tests.conftest import ROOT, fresh_database
from tests.data_access import test_services_quality as hand
from tests.proxy import Proxy

#: Well above the 5 s connect timeout, far below "a blank page for minutes".
PROMPT_S = 20
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_a_cut_registry_gives_one_line_and_the_app_recovers(
    dialect: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with fresh_database(dialect, tmp_path) as direct:
        hand.load(direct)
        target = sa.engine.make_url(direct)
        proxy = Proxy(target.host or "127.0.0.1", target.port or DEFAULT_PORTS[dialect]).start()
        url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        monkeypatch.setenv("REGISTRY_DB_URL", url)
        monkeypatch.setenv("DASHBOARD_SUMMARY_URL", f"sqlite:///{tmp_path / 'summary.sqlite'}")
        monkeypatch.setenv("DASHBOARD_REFRESH_MINUTES", "0")
        monkeypatch.setenv("DASHBOARD_DEMO", "1")
        monkeypatch.setattr(cache, "RETRY_AFTER_S", 0.5)
        for name in ("streamlit", "streamlit.runtime"):  # bare-mode warnings are not the CLI's output
            monkeypatch.setattr(logging.getLogger(name), "disabled", True)
        st.cache_data.clear()
        st.cache_resource.clear()
        try:
            app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
            app.query_params["period"] = "2024"
            app.run()
            assert not app.exception and not app.error
            births = {m.label: m.value for m in app.metric}
            drill(app, "530823101", "530823101201")
            assert not app.exception and not app.error  # the village's lists, live

            proxy.cut()
            cache.registry_problem.clear()
            started = time.monotonic()
            drill(app, "530823102", "530823102201")  # lists no cache holds: the registry is needed
            assert time.monotonic() - started < PROMPT_S
            assert not app.exception
            assert len(app.error) == 1 and "\n" not in app.error[0].value
            app.switch_page("pages/overview.py")
            app.run()  # the numbers are the summaries', with a line saying so
            assert not app.exception and not app.error
            assert {m.label: m.value for m in app.metric} == births
            capsys.readouterr()
            started = time.monotonic()
            code = main(["indicators", "--db", url, "--period", "2024"])
            err = capsys.readouterr().err
            assert time.monotonic() - started < PROMPT_S
            assert code == 1 and len(err.strip().splitlines()) == 1, err

            proxy.restore()
            time.sleep(0.6)  # past the remembered failure
            drill(app, "530823102", "530823102201")
            assert not app.exception and not app.error
            assert main(["indicators", "--db", url, "--period", "2024"]) == 0
            rows = pd.read_csv(io.StringIO(capsys.readouterr().out))
            assert len(rows) > 0
        finally:
            proxy.cut()
            st.cache_data.clear()
            st.cache_resource.clear()


def drill(app: AppTest, township: str, village: str) -> None:
    app.query_params["township"] = township
    app.query_params["village"] = village
    app.switch_page("pages/drilldown.py")
    app.run()
