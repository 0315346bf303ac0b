"""Sign-in through a real OIDC flow (``oidc-provider-mock``, started here on a free port) and
what each role then sees in the browser: a county user every village's (masked) lists, a
township user its own township's and a one-line refusal for another's crafted URL, a viewer no
person-level list anywhere; every person-level view in the audit log with the signed-in
identity; unknown users see nothing; sign-out works."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from e2e.conftest import _free_port, choose, selectbox, shot, streamlit_server, wait_for_app

oidc_provider_mock = pytest.importorskip("oidc_provider_mock")

PERIOD = "2024"
COUNTY_USER, TOWNSHIP_USER, VIEWER_USER = "county@jingdong.example", "head@jingdong.example", "boss@jingdong.example"


@pytest.fixture(scope="module")
def places(registry_url: str) -> dict[str, Any]:
    """Two townships of the registry and a village of each (codes and names), and the names
    of every village and of the first township's villages."""
    engine = sa.create_engine(registry_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT t.code, v.code, t.name, v.name FROM village v JOIN township t ON t.id = v.township_id"
                " ORDER BY t.code, v.code"
            )
        ).all()
    engine.dispose()
    first = rows[0]
    second = next(r for r in rows if r[0] != first[0])
    return {
        "own": first[0],
        "own_village": first[1],
        "own_name": first[2],
        "other": second[0],
        "other_village": second[1],
        "other_name": second[2],
        "villages": {r[1]: r[3] for r in rows},
        "own_villages": [r[3] for r in rows if r[0] == first[0]],
    }


def grid_texts(scope: Locator) -> list[str]:
    """The cell texts an ``st.dataframe`` draws (its first screen of rows)."""
    return [t.strip() for t in scope.locator('[role="gridcell"]').all_inner_texts()]


@pytest.fixture(scope="module")
def login_app(
    registry_url: str, places: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, object]]:
    folder = tmp_path_factory.mktemp("login")
    app_port = _free_port()
    with oidc_provider_mock.run_server_in_thread(port=0) as provider:
        issuer = f"http://127.0.0.1:{provider.server_port}"
        secrets_file = folder / "secrets.toml"
        secrets_file.write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(16)}"\n'
            'client_id = "dashboard"\n'
            'client_secret = "dashboard-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n',
            encoding="utf-8",
        )
        access = folder / "access.toml"
        access.write_text(
            f'[users."{COUNTY_USER}"]\nrole = "county"\n\n'
            f'[users."{TOWNSHIP_USER}"]\nrole = "township"\ntownship = "{places["own"]}"\n\n'
            f'[users."{VIEWER_USER}"]\nrole = "viewer"\n',
            encoding="utf-8",
        )
        audit_log = folder / "audit.log"
        env = {
            "PORT": str(app_port),
            "DASHBOARD_ACCESS": str(access),
            "DASHBOARD_EXPORT_LOG": str(audit_log),
            "DASHBOARD_SUMMARY_URL": f"sqlite:///{folder / 'summary.sqlite'}",
            "DASHBOARD_REFRESH_MINUTES": "0",
        }
        with streamlit_server(
            registry_url, env, ["--secrets.files", str(secrets_file)], log_name="streamlit-login"
        ) as base:
            yield {"base": base, "log": audit_log}


@pytest.fixture
def signed_in(browser: object, login_app: dict[str, object]) -> Iterator[object]:
    """``signed_in(user)`` → a page of a fresh browser context signed in as ``user``."""
    contexts = []

    def make(user: str) -> Page:
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")  # type: ignore[attr-defined]
        contexts.append(context)
        page: Page = context.new_page()
        page.goto(f"{login_app['base']}/?period={PERIOD}")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
        page.locator('input[name="sub"]').fill(user)
        page.get_by_role("button", name="Authorize").click()
        page.wait_for_url(f"{login_app['base']}/**", timeout=30_000)
        wait_for_app(page)
        return page

    yield make
    for context in contexts:
        context.close()


def open_village(page: Page, base: str, township: str, village: str) -> None:
    page.goto(f"{base}/drilldown?period={PERIOD}&township={township}&village={village}")
    wait_for_app(page)


def person_tables(page: Page) -> int:
    """Person-level lists drawn (a list with no rows says so inside its own container)."""
    return page.locator('[class*="st-key-person-table-"]').count()


def audit_lines(login_app: dict[str, object]) -> list[dict[str, object]]:
    path = Path(str(login_app["log"]))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_a_county_user_signs_in_and_sees_masked_lists(
    signed_in: object, login_app: dict[str, object], places: dict[str, str]
) -> None:
    page = signed_in(COUNTY_USER)  # type: ignore[operator]
    expect(page.get_by_text(f"已登录：{COUNTY_USER}")).to_be_visible()
    open_village(page, str(login_app["base"]), places["other"], places["other_village"])
    assert person_tables(page) == 2  # births and married women of any village
    # The lists' own toolbar (its CSV download would bypass the audit log) is not there.
    toolbar = page.locator('[class*="st-key-person-table-"] [data-testid="stElementToolbar"]')
    assert all(not toolbar.nth(i).is_visible() for i in range(toolbar.count()))
    shot(page, "login-county-village")
    views = [e for e in audit_lines(login_app) if e["action"] == "view" and e["user"] == COUNTY_USER]
    assert views and views[-1]["role"] == "county" and views[-1]["unmasked"] is False


def test_a_township_user_sees_its_own_township_only(
    signed_in: object, login_app: dict[str, object], places: dict[str, str]
) -> None:
    page = signed_in(TOWNSHIP_USER)  # type: ignore[operator]
    base = str(login_app["base"])
    open_village(page, base, places["own"], places["own_village"])
    assert person_tables(page) == 2
    open_village(page, base, places["other"], places["other_village"])  # a crafted URL
    assert person_tables(page) == 0
    expect(page.get_by_text("无权查看乡镇").first).to_be_visible()
    # The Export page: its registry lists open on the user's township and hold only its
    # villages; another township's list is refused in one line, with no rows.
    page.goto(f"{base}/export?period={PERIOD}")
    wait_for_app(page)
    main = page.locator('[data-testid="stMain"]')
    choose(page, main, "表格", "出生登记名单")
    wait_for_app(page)
    expect(selectbox(main, "乡镇").get_by_role("combobox")).to_have_value(places["own_name"])
    assert person_tables(page) == 1
    shown = {c for c in grid_texts(main) if c in places["villages"].values()}
    assert shown and shown <= set(places["own_villages"]), shown
    shot(page, "login-township-export")
    choose(page, main, "乡镇", places["other_name"])
    wait_for_app(page)
    expect(page.get_by_text("无权查看乡镇").first).to_be_visible()
    assert person_tables(page) == 0
    views = [e for e in audit_lines(login_app) if e["user"] == TOWNSHIP_USER]
    assert views and {e["township"] for e in views} == {places["own"]}


def test_a_viewer_sees_no_person_level_data(
    signed_in: object, login_app: dict[str, object], places: dict[str, str]
) -> None:
    page = signed_in(VIEWER_USER)  # type: ignore[operator]
    base = str(login_app["base"])
    open_village(page, base, places["own"], places["own_village"])
    assert person_tables(page) == 0
    expect(page.get_by_text("只能查看汇总数字和排名").first).to_be_visible()
    for path in ("quality", "services"):
        page.goto(f"{base}/{path}?period={PERIOD}")
        wait_for_app(page)
        assert person_tables(page) == 0, path
    assert not [e for e in audit_lines(login_app) if e["user"] == VIEWER_USER]


def test_an_unknown_user_sees_nothing_and_signs_out(signed_in: object, login_app: dict[str, object]) -> None:
    page = signed_in("stranger@elsewhere.example")  # type: ignore[operator]
    expect(page.get_by_text("未获授权")).to_be_visible()
    assert page.locator('[data-testid="stMetric"]').count() == 0
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/oauth2/end_session**", timeout=30_000)  # the provider ends its session too
    page.get_by_role("button", name="End session").click()
    page.goto(str(login_app["base"]))
    wait_for_app(page)
    expect(page.get_by_role("button", name="登录")).to_be_visible()
