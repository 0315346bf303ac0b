"""The server's warm-up when it starts (``serve.py``, the ASGI lifespan of ``st.App``): the
first visitor of a fresh server no longer pays for Python's imports and the first reads of the
summaries (the overview took 3.9 s as a server's first page, against ~2 s after).

Before the server accepts visitors it runs the app once the way a visitor's first request
does — ``app.py`` and its landing page, the overview, at the sidebar's default period, in a
session of its own that nobody sees (Streamlit's script check; with sign-in configured it stops
at the sign-in, having imported and read what that needs) — and reads into the caches the
reports of the last full year as well (a year-end review, the 通报 and the meeting ask for it).
It waits for that at most :data:`WAIT_S` seconds; what is left goes on in the background. With
no summaries built yet it does nothing: building them takes minutes, and the first page does it
under its spinner, as without the warm-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

from streamlit.logger import get_logger
from streamlit.runtime import Runtime

from dashboard.app import cache, sources
from dashboard.app.components.sidebar import registry_url
from dashboard.domain.periods import PeriodError, parse_period

log = get_logger(__name__)  # Streamlit's: the line is in the server's log

#: At most this long the server waits for its warm-up before it lets visitors in.
WAIT_S = 30.0


def summaries_built(url: str) -> bool:
    """Whether the registry's summaries exist (the warm-up reads them, never builds them)."""
    try:
        return sources.current_snapshot(cache.store(url)) is not None
    except Exception:  # an unreadable store: the first page says why
        return False


def last_full_year(url: str, today: date) -> None:
    """The county and township reports of the last full year the data covers, and the year
    before it for the cards' change."""
    years = cache.snapshot(url).coverage.years(today)
    full = [y for y in years if y < today.year]
    if not full:
        return
    try:
        period = parse_period(str(max(full)))
    except PeriodError:
        return
    for level in ("county", "township"):
        cache.report(url, period, level)
    with contextlib.suppress(PeriodError):
        cache.report(url, period.same_period_last_year(), "county")


async def warm_up(url: str, today: date | None = None) -> str:
    """Run the landing page once and read the last full year (see the module); returns a line
    saying what was done, for the log."""
    if not summaries_built(url):
        return "no summaries yet: nothing to warm"
    started = time.monotonic()
    ok, message = await Runtime.instance().does_script_run_without_error()
    landing = time.monotonic() - started
    await asyncio.to_thread(last_full_year, url, today or date.today())
    return f"landing page {'ran' if ok else f'did not run ({message})'} in {landing:.1f} s, all in {time.monotonic() - started:.1f} s"


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """``st.App``'s lifespan: warm up (at most :data:`WAIT_S`), then serve."""
    task = asyncio.ensure_future(warm_up(registry_url()))
    try:
        log.info("warm-up: %s", await asyncio.wait_for(asyncio.shield(task), WAIT_S))
    except TimeoutError:
        log.warning("warm-up still running after %.0f s: serving visitors meanwhile", WAIT_S)
    except Exception as exc:  # a page that fails says so to its visitor; the server still starts
        log.warning("warm-up failed: %s", " ".join(str(exc).split()))
    yield
    if not task.done():
        task.cancel()
