"""Real-browser end-to-end fixtures: a demo registry, a live Streamlit server, Chromium.

The suite runs the app exactly as ``make run`` does (``streamlit run serve.py``: ``app.py``
warmed up before it answers) against a small
demo county built once per session, and drives it with Playwright's sync API in the
system Chromium (``/usr/bin/chromium``; ``playwright install`` is never used).

* ``registry_url``   – session: ``python -m dashboard demo-db --scale 0.05`` into a temp
  file (the hand-made boundary registry of ``tests/boundary_registry.py`` while the demo
  generator ``data_access.demo`` does not exist).
* ``app_url``        – session: the Streamlit server on a free port, healthy, stopped with
  its whole process group at the end; its log is ``artifacts/e2e/streamlit.log``.
* ``browser``        – session: Chromium; missing → skip (fail loudly under ``CI``).
* ``new_page``       – factory: ``new_page("1920x1080")`` → a fresh context + page.
* ``wait_for_app``   – wait until Streamlit finished the run and everything is drawn.
* ``shot``           – full-page PNG in ``artifacts/screenshots/<viewport>/<name>.png``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from dashboard.app.browser import wait_until_settled

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # `pytest e2e` from anywhere: import the app's packages
    sys.path.insert(0, str(REPO))

ARTIFACTS = REPO / "artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
DOWNLOADS = ARTIFACTS / "downloads"
LOGS = ARTIFACTS / "e2e"

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS: dict[str, dict[str, int]] = {
    "1920x1080": {"width": 1920, "height": 1080},
    "1366x768": {"width": 1366, "height": 768},
}
DEMO_SCALE = "0.05"
STARTUP_TIMEOUT_S = 60.0
APP_TIMEOUT_MS = 60_000
SETTLE_S = 0.6


def _fail_or_skip(reason: str) -> None:
    """A missing prerequisite: a loud one-line failure under CI, a skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"e2e: {reason}", pytrace=False)
    pytest.skip(reason)


# --------------------------------------------------------------------------- registry


def demo_generator_available() -> bool:
    try:
        return importlib.util.find_spec("data_access.demo") is not None
    except (ImportError, ValueError):
        return False


@pytest.fixture(scope="session")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small registry built once: the demo county, else the hand-made boundary registry."""
    folder = tmp_path_factory.mktemp("e2e-registry")
    path = folder / "e2e.sqlite"
    if demo_generator_available():
        cmd = [sys.executable, "-m", "dashboard", "demo-db", "--out", str(path), "--scale", DEMO_SCALE]
        done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
        if done.returncode != 0 or not path.exists():
            pytest.fail(
                f"demo-db failed ({done.returncode}): {' '.join(cmd)}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}",
                pytrace=False,
            )
    else:
        import sqlalchemy as sa

        from tests import boundary_registry as br

        engine = sa.create_engine(f"sqlite:///{path}")
        try:
            br.create(engine)
        finally:
            engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def registry_kind() -> str:
    """'demo' (170 villages, 13 townships) or 'boundary' (3 villages, 2 townships)."""
    return "demo" if demo_generator_available() else "boundary"


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the server's whole process group (Streamlit may have children)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    # Children that outlived the leader are still in the group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def streamlit_server(
    registry_url: str, env_extra: dict[str, str], args_extra: list[str] | None = None, log_name: str = "streamlit"
) -> Iterator[str]:
    """A live ``streamlit run serve.py`` (as ``make run``) on ``registry_url``; yields its base URL."""
    LOGS.mkdir(parents=True, exist_ok=True)
    log_path = LOGS / f"{log_name}.log"
    port = int(env_extra.pop("PORT", "0") or 0) or _free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "serve.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        # Others edit the repo while we run: a file watcher would pop the 'source changed'
        # status widget (or rerun) in the middle of a test.
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
        *(args_extra or []),
    ]
    env = dict(os.environ, REGISTRY_DB_URL=registry_url, PYTHONUNBUFFERED="1", **env_extra)
    env.pop("STREAMLIT_SERVER_PORT", None)
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped as a whole
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        last_error = "no answer"
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"streamlit exited with {proc.returncode} before it was healthy; log {log_path}:\n{_tail(log_path)}",
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                    body = resp.read().decode().strip()
                if resp.status == 200 and body == "ok":
                    break
                last_error = f"HTTP {resp.status}: {body[:80]}"
            except (urllib.error.URLError, OSError) as exc:
                last_error = str(exc)
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit not healthy after {STARTUP_TIMEOUT_S:.0f} s ({last_error}); log {log_path}:\n{_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.25)
        yield base
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def app_url(registry_url: str) -> Iterator[str]:
    """Base URL of a live server on the session registry, no login configured: the demo user
    (county) on this copy of the demo county."""
    with streamlit_server(registry_url, {"DASHBOARD_DEMO": "1"}) as base:
        yield base


# --------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """System Chromium through Playwright (sync API)."""
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        _fail_or_skip(
            f"{CHROMIUM} not found (apt-get install -y chromium fonts-noto-cjk); the browser suite cannot run"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _fail_or_skip("the playwright package is not installed (pip install -r requirements-dev.txt)")
    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception as exc:
        pw.stop()
        _fail_or_skip(f"Chromium at {CHROMIUM} did not start: {str(exc).splitlines()[0]}")
    try:
        yield chromium
    finally:
        chromium.close()
        pw.stop()


@pytest.fixture
def new_page(browser: object, app_url: str) -> Iterator[Callable[..., object]]:
    """Factory: ``new_page("1366x768")`` → a page in a fresh context of that viewport.

    Every context is Chinese-locale, accepts downloads and is closed after the test. The
    page's ``base_url`` is the app, so ``page.goto("/?period=2024")`` works. Console
    errors are collected in ``page.console_errors``.
    """
    contexts: list[object] = []

    def make(viewport: str = "1920x1080") -> object:
        size = VIEWPORTS[viewport]
        context = browser.new_context(  # type: ignore[attr-defined]
            viewport=size,
            base_url=app_url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
        )
        context.set_default_timeout(APP_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
        page.console_errors = errors  # type: ignore[attr-defined]
        page.viewport_name = viewport  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        with contextlib.suppress(Exception):  # the browser may already be gone
            context.close()  # type: ignore[attr-defined]


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """Parametrise a test over both viewports."""
    return str(request.param)


# --------------------------------------------------------------------------- helpers

# True when Streamlit has finished the script run and every element is drawn.


def wait_for_app(page: object, timeout_ms: int = APP_TIMEOUT_MS, settle_s: float = SETTLE_S) -> None:
    """Wait until Streamlit finished running and the page is fully drawn, then settle (see
    ``dashboard.app.browser``: the condition must still hold after the settle delay, as a rerun
    may start right after a widget change)."""
    wait_until_settled(page, timeout_ms, settle_s)


def _viewport_name(page: object) -> str:
    name = getattr(page, "viewport_name", None)
    if name:
        return str(name)
    size = page.viewport_size or {"width": 0, "height": 0}  # type: ignore[attr-defined]
    return f"{size['width']}x{size['height']}"


def shot(page: object, name: str) -> Path:
    """Full-page PNG ``artifacts/screenshots/<viewport>/<name>.png``.

    Streamlit scrolls inside ``stMain``, not the document, so Playwright's ``full_page``
    alone stops at the viewport: the viewport is stretched to the content's height for the
    shot and restored afterwards.
    """
    out = SCREENSHOTS / _viewport_name(page) / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    size = dict(page.viewport_size)  # type: ignore[attr-defined]
    height = int(
        page.evaluate(  # type: ignore[attr-defined]
            """() => Math.max(document.documentElement.scrollHeight, ...Array.from(
                 document.querySelectorAll('[data-testid="stMain"], [data-testid="stAppViewContainer"],'
                   + ' [data-testid="stSidebarContent"]'), (el) => el.scrollHeight))"""
        )
    )
    tall = min(max(height, size["height"]), 12_000)
    if tall > size["height"]:
        page.set_viewport_size({"width": size["width"], "height": tall})  # type: ignore[attr-defined]
        try:
            wait_for_app(page, settle_s=0.4)
            page.screenshot(path=str(out), full_page=True)  # type: ignore[attr-defined]
        finally:
            page.set_viewport_size(size)  # type: ignore[attr-defined]
    else:
        page.screenshot(path=str(out), full_page=True)  # type: ignore[attr-defined]
    return out


@pytest.fixture
def artifacts() -> dict[str, Path]:
    for folder in (SCREENSHOTS, DOWNLOADS, LOGS):
        folder.mkdir(parents=True, exist_ok=True)
    return {"screenshots": SCREENSHOTS, "downloads": DOWNLOADS, "logs": LOGS}


def selectbox(scope: Page | Locator, label: str) -> Locator:
    """The selectbox whose label is exactly ``label``."""
    from playwright.sync_api import Page

    page = scope if isinstance(scope, Page) else scope.page
    label_locator = page.locator('[data-testid="stWidgetLabel"]')  # `has=` is relative: not scoped
    return scope.locator('[data-testid="stSelectbox"]').filter(
        has=label_locator.filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    )


def choose(page: Page, scope: Page | Locator, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``."""
    from playwright.sync_api import expect

    box = selectbox(scope, label)
    expect(box).to_have_count(1)
    combo = box.get_by_role("combobox")
    combo.click()
    combo.fill(option)  # the option list is virtualised: filter it so the option is drawn
    choice = page.get_by_role("option", name=option, exact=True)
    expect(choice).to_be_visible()
    choice.click()


def download(page: Page, button_name: str) -> Path:
    """Click the download button named exactly ``button_name`` and keep the file (in
    ``artifacts/downloads`` under its suggested name)."""
    from playwright.sync_api import expect

    button = page.get_by_role("button", name=button_name, exact=True)
    button.scroll_into_view_if_needed()
    expect(button).to_be_visible()
    expect(button).to_be_enabled()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    got = info.value
    assert got.failure() is None, got.failure()
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    target = DOWNLOADS / got.suggested_filename
    target.unlink(missing_ok=True)
    got.save_as(target)
    assert target.stat().st_size > 0, target
    return target
