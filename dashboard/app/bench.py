"""``python -m dashboard bench``: build the county and time the hot paths (medians).

Timings:
- demo build: ``demo-db`` into a fresh SQLite file;
- cold, per level: a new engine, the contract check, the period's queries and the roll-up —
  what the first page view after a restart costs;
- warm query, per level: the period's queries again on an open engine, plus the roll-up;
- warm cached, per level: the roll-up and indicators from already loaded counts (the app's
  path once ``st.cache_data`` holds the period);
- CLI end to end: ``python -m dashboard indicators --level village`` as a new process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from dashboard import labels
from dashboard.app import sources
from dashboard.domain import report
from dashboard.domain import targets as tr
from dashboard.domain.periods import Period, parse_period
from dashboard.render import exports
from dashboard.render.tables import wcba_records
from data_access import demo
from data_access.db import make_engine, safe_url
from data_access.queries import records, units

ROOT = Path(__file__).resolve().parent.parent.parent
LEVELS = ("county", "township", "village")


def _median(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _build(path: Path, scale: float, today: date) -> float:
    path.unlink(missing_ok=True)
    rows = [r for y in range(2019, today.year + 1) for r in tr.seed_rows(sources.settings().default_targets, y)]
    engine = make_engine(f"sqlite:///{path}")
    t0 = time.perf_counter()
    demo.build_demo(engine, scale=scale, today=today, target_rows=rows)
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed


def _query_and_build(engine: Engine, period: Period, level: str) -> None:
    report.build(sources.load_inputs(engine, period), level)


def time_queries(url: str, period_label: str, repeat: int) -> dict[str, float]:
    """Median seconds of the cold, warm-query and warm-cached paths per level."""
    period = parse_period(period_label)
    out: dict[str, float] = {}
    for level in LEVELS:

        def cold(level: str = level) -> None:
            engine = sources.open_registry(url)
            report.build(sources.load_inputs(engine, period), level)
            engine.dispose()

        out[f"cold {level}"] = _median(cold, repeat)
        engine = sources.open_registry(url)
        sources.load_inputs(engine, period)  # prime the connection pool and page cache
        out[f"warm query {level}"] = _median(partial(_query_and_build, engine, period, level), repeat)
        inputs = sources.load_inputs(engine, period)
        out[f"warm cached {level}"] = _median(partial(report.build, inputs, level), repeat)
        engine.dispose()
    return out


def time_export(url: str, period_label: str, repeat: int, rows: int = 50_000) -> tuple[int, float, float]:
    """Median seconds to build .xlsx and .csv of a real person-level list of ``rows`` rows.

    The list is the married women 15–49 at the period's end with their method (masked), as
    the Export page makes it; repeated up to ``rows`` rows if the registry has fewer.
    """
    period = parse_period(period_label)
    engine = sources.open_registry(url)
    with engine.connect() as conn:
        raw = records.married_wcba_list(conn, period.end)
        unit_rows = units.load_units(conn)
        names = dict(zip(unit_rows.index, unit_rows["village_name"]))
    engine.dispose()
    frame = wcba_records(raw, names, period)
    while len(frame) < rows:
        frame = pd.concat([frame, frame], ignore_index=True)
    frame = frame.head(rows)
    context = exports.ExportContext(
        title=labels.t("export_table_wcba"),
        scope=sources.settings().county.short_name,
        period=period_label,
        number_formats={frame.columns[4]: exports.DATE_FORMAT},
    )
    xlsx = _median(lambda: exports.to_xlsx_bytes(frame, context), repeat)
    csv = _median(lambda: exports.to_csv_bytes(frame), repeat)
    return len(frame), xlsx, csv


PAGES = ("overview", "ranking", "map", "drilldown", "trends", "services", "quality", "export", "targets", "meeting")


def time_pages(url: str, period_label: str, repeat: int) -> dict[str, tuple[float, float]]:
    """Median (cold, warm) seconds of each page's script run in Streamlit's AppTest.

    Cold: every cache emptied first (a fresh server); warm: the same page run again.
    The browser's own drawing comes on top and is measured by the browser suite.
    """
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["REGISTRY_DB_URL"] = url
    out: dict[str, tuple[float, float]] = {}
    for page in PAGES:
        cold, warm = [], []
        for _ in range(repeat):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.query_params["period"] = period_label
            if page != "overview":
                at.run()
                at.switch_page(f"pages/{page}.py")
            st.cache_data.clear()
            st.cache_resource.clear()
            t0 = time.perf_counter()
            at.run()
            cold.append(time.perf_counter() - t0)
            if at.exception:
                raise RuntimeError(f"{page}: {at.exception[0].value}")
            t0 = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - t0)
        out[page] = (statistics.median(cold), statistics.median(warm))
    return out


def run(args: argparse.Namespace) -> int:
    today = date.today()
    period_label = str(today.year - 1)
    results: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep) if args.keep else Path(tmp) / "bench.sqlite"
        builds = []
        for i in range(max(1, min(args.repeat, 3))):
            seconds = _build(path, args.scale, today)
            builds.append(seconds)
            print(f"bench: demo build {i + 1}: {seconds:.1f} s", file=sys.stderr)
        results.append(("sqlite", f"demo build (scale {args.scale:g})", statistics.median(builds)))
        url = f"sqlite:///{path}"
        for name, seconds in time_queries(url, period_label, args.repeat).items():
            results.append(("sqlite", f"{name} ({period_label})", seconds))
        cli = [
            sys.executable,
            "-m",
            "dashboard",
            "indicators",
            "--db",
            url,
            "--period",
            period_label,
            "--level",
            "village",
        ]

        def run_cli() -> None:
            subprocess.run(cli, cwd=ROOT, check=True, capture_output=True)

        results.append(("sqlite", "CLI end to end, village level", _median(run_cli, args.repeat)))
        n, xlsx, csv = time_export(url, period_label, args.repeat)
        results.append(("sqlite", f"export {n:,} rows .xlsx", xlsx))
        results.append(("sqlite", f"export {n:,} rows .csv", csv))
        for page, (cold, warm) in time_pages(url, period_label, args.repeat).items():
            results.append(("sqlite", f"page {page} cold", cold))
            results.append(("sqlite", f"page {page} warm", warm))
        for extra in args.db or []:
            for name, seconds in time_queries(extra, period_label, args.repeat).items():
                results.append((safe_url(extra).split("://")[0], f"{name} ({period_label})", seconds))
    width = max(len(r[1]) for r in results)
    print(f"{'database':<12} {'what':<{width}}  median")
    for db, what, seconds in results:
        shown = f"{seconds * 1000:8.1f} ms" if seconds < 1 else f"{seconds:8.2f} s "
        print(f"{db:<12} {what:<{width}}  {shown}")
    return 0
