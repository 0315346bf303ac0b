"""``python -m dashboard bench``: the performance budgets (DESIGN.md §8), measured in one run.

For each registry — the demo county built into a fresh SQLite file at ``--scale``, and each
``--postgres`` URL at scale 1 and 10 (a schema per scale, built once and kept) — it times:

- the summary refresh: full, after a day's registry work (``data_access.demo.day``) and
  with nothing changed;
- every page's cold render (a fresh process whose caches are empty, summaries built: what the
  first view after a restart or a refresh costs) and warm render (the same page again), in
  Streamlit's AppTest;
- the naive route on the same question (read the whole tables with pandas, then group) against
  the summaries, with the same answers checked, and the ratio;
- with ``--browser`` (Debian's chromium): a fresh server's start until it answers (its
  warm-up), each page's first visit to a settled page, and the server's memory with 20
  sessions open.

Each figure is the median of ``--repeat`` runs with min–max, against its budget.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from dashboard import labels
from dashboard.app import browser, sources
from dashboard.domain import targets as tr
from dashboard.domain.periods import Period, age_cutoff, parse_period
from dashboard.render import exports
from dashboard.render.tables import wcba_records
from data_access import demo
from data_access.db import LONG_STATEMENT_TIMEOUT_S, make_engine, normalise_url, reading, safe_url
from data_access.demo import day
from data_access.queries import records, units
from data_access.queries.common import LONG_ACTING_METHODS
from data_access.summaries import read
from data_access.summaries import store as summary_store

ROOT = Path(__file__).resolve().parent.parent.parent
PAGES = ("overview", "ranking", "map", "drilldown", "trends", "services", "quality", "export", "targets", "meeting")
#: DESIGN.md §8 and issue 10, in seconds: (scale 1, scale 10).
BUDGETS = {
    "page cold": (0.5, 1.0),
    "page warm": (0.1, 0.1),
    "refresh full": (30.0, None),
    "refresh after a day": (3.0, None),
    "browser first visit": (2.0, None),
}
RSS_BUDGET_MB = 400


@dataclass
class Row:
    where: str
    what: str
    times: list[float]
    budget: float | None = None
    note: str = ""
    unit: str = "s"  # 's' (shown as ms or s) or 'MB'

    def text(self, width: int) -> str:
        median = statistics.median(self.times)
        low, high = min(self.times), max(self.times)
        fmt = (lambda v: f"{v:.0f} MB") if self.unit == "MB" else _fmt
        verdict = "" if self.budget is None else ("  ok" if median < self.budget else "  OVER")
        budget = "" if self.budget is None else f" (< {fmt(self.budget)})"
        spread = f"{fmt(low)}–{fmt(high)}" if len(self.times) > 1 else ""
        return f"{self.where:<14} {self.what:<{width}} {fmt(median):>10} {spread:>20}{budget}{verdict} {self.note}"


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _times(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


# --------------------------------------------------------------------------- registries


def _seed_targets(today: date) -> list[dict[str, object]]:
    return [r for y in range(2019, today.year + 1) for r in tr.seed_rows(sources.settings().default_targets, y)]


def build_sqlite(path: Path, scale: float, today: date) -> float:
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    t0 = time.perf_counter()
    demo.build_demo(engine, scale=scale, today=today, target_rows=_seed_targets(today))
    engine.dispose()
    return time.perf_counter() - t0


def postgres_schema(base: str, scale: float, today: date) -> str:
    """A schema ``bench_s<scale>`` of ``base`` holding the demo at ``scale`` (built the first
    time, ANALYZEd; kept for the next run)."""
    name = f"bench_s{scale:g}".replace(".", "_")
    url = sa.engine.make_url(normalise_url(base)).update_query_dict({"options": f"-csearch_path={name}"})
    admin = sa.create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND table_name = 'target'"),
            {"s": name},
        ).first()
        if not exists:
            print(f"bench: building the scale-{scale:g} county in PostgreSQL schema {name} (once)", file=sys.stderr)
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    admin.dispose()
    rendered = url.render_as_string(hide_password=False)
    if not exists:
        engine = make_engine(rendered, LONG_STATEMENT_TIMEOUT_S)
        demo.build_demo(engine, scale=scale, today=today, target_rows=_seed_targets(today))
        engine.dispose()
    engine = sa.create_engine(rendered, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # autovacuum is off here: fresh statistics after the loads
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()
    return rendered


# --------------------------------------------------------------------------- refresh


def time_refresh(url: str, summary_url: str, repeat: int, today: date, scale: float) -> list[Row]:
    """Full refreshes, then a day's work + an incremental refresh (``repeat`` days), then an
    unchanged one. The registry is the bench's own: the days are added to it."""
    registry = sources.open_registry(url, LONG_STATEMENT_TIMEOUT_S)
    summaries = summary_store.make_store(summary_url)
    where = _where(url, scale)
    full = [sources.refresh_summary(registry, summaries, full=True, today=today).seconds for _ in range(repeat)]
    days, modes = [], set()
    for k in range(repeat):
        the_day = today + timedelta(days=k)
        day.apply_a_day(registry, the_day, scale)
        done = sources.refresh_summary(registry, summaries, today=the_day)
        days.append(done.seconds)
        narrowed = f", {done.villages} villages recounted" if done.villages is not None else ""
        checked = f", {done.checked} checked" if done.checked is not None else ", all checked"
        modes.add((f"{done.mode} {done.years[0]}–{done.years[-1]}{narrowed}" if done.years else done.mode) + checked)
    unchanged = [sources.refresh_summary(registry, summaries, today=today).seconds for _ in range(repeat)]
    budget = 0 if scale <= 1 else 1
    return [
        Row(where, "refresh full", full, BUDGETS["refresh full"][budget]),
        Row(where, "refresh after a day", days, BUDGETS["refresh after a day"][budget], ", ".join(sorted(modes))),
        Row(where, "refresh, nothing changed", unchanged),
    ]


def _where(url: str, scale: float) -> str:
    return f"{sa.engine.make_url(url).get_backend_name()} ×{scale:g}"


# --------------------------------------------------------------------------- pages


def time_pages(url: str, period_label: str, repeat: int, scale: float) -> list[Row]:
    """Cold (a fresh process per run, caches empty) and warm renders of every page."""
    rows = []
    budget = 0 if scale <= 1 else 1
    for page in PAGES:
        cold, warm = [], []
        for _ in range(repeat):
            out = subprocess.run(
                [sys.executable, "-m", "dashboard.app.pagetimer", url, page, period_label],
                cwd=ROOT,
                capture_output=True,
                text=True,
                env={**os.environ, "DASHBOARD_REFRESH_MINUTES": "0"},
                check=False,
            )
            if out.returncode:
                raise RuntimeError(f"{page}: {out.stderr.strip().splitlines()[-1:]}")
            seconds = json.loads(out.stdout.strip().splitlines()[-1])
            cold.append(seconds["cold"])
            warm.append(seconds["warm"])
        rows.append(Row(_where(url, scale), f"page {page} cold", cold, BUDGETS["page cold"][budget]))
        rows.append(Row(_where(url, scale), f"page {page} warm", warm, BUDGETS["page warm"][budget]))
    return rows


# --------------------------------------------------------------------------- naive route


NAIVE_COLUMNS = ["pop_start", "pop_end", "births", "deaths", "married_wcba", "long_acting"]


def naive_counts(engine: sa.Engine, period: Period) -> pd.DataFrame:
    """Per-village base counts the way a spreadsheet or a generic BI tool gets them: read the
    whole person, birth and contraception tables, then filter and group in pandas."""
    with engine.connect() as conn:
        people = pd.read_sql(sa.text("SELECT * FROM person"), conn)
        births = pd.read_sql(sa.text("SELECT * FROM birth"), conn)
        methods = pd.read_sql(sa.text("SELECT * FROM contraception"), conn)
    for frame, columns in (
        (people, ["birth_date", "registered_on", "left_on", "death_date", "married_on"]),
        (births, ["birth_date"]),
        (methods, ["start_date", "end_date"]),
    ):
        for column in columns:
            frame[column] = pd.to_datetime(frame[column].astype("string").str.slice(0, 10), errors="coerce")
    start, after = pd.Timestamp(period.start), pd.Timestamp(period.end + timedelta(days=1))
    local = people[people["hukou"] == "local"]

    def present(at: pd.Timestamp) -> pd.Series:
        return (
            (local["registered_on"] < at)
            & (local["left_on"].isna() | (local["left_on"] >= at))
            & (local["death_date"].isna() | (local["death_date"] >= at))
        )

    out = pd.DataFrame(index=pd.Index(sorted(people["village_id"].dropna().astype(int).unique()), name="village_id"))
    out["pop_start"] = local[present(start)].groupby("village_id").size()
    out["pop_end"] = local[present(after)].groupby("village_id").size()
    in_period = births[(births["birth_date"] >= start) & (births["birth_date"] < after) & (births["hukou"] == "local")]
    out["births"] = in_period.groupby("village_id").size()
    died = local[(local["death_date"] >= start) & (local["death_date"] < after)]
    out["deaths"] = died.groupby("village_id").size()
    cut15 = pd.Timestamp(age_cutoff(period.end, 15) + timedelta(days=1))
    cut50 = pd.Timestamp(age_cutoff(period.end, 50) + timedelta(days=1))
    wcba = local[
        present(after)
        & (local["sex"] == "F")
        & (local["marital_status"] == "married")
        & (local["married_on"] < after)
        & (local["birth_date"] < cut15)
        & (local["birth_date"] >= cut50)
    ]
    out["married_wcba"] = wcba.groupby("village_id").size()
    in_use = methods[
        methods["method"].isin(LONG_ACTING_METHODS)
        & (methods["start_date"] < after)
        & (methods["end_date"].isna() | (methods["end_date"] >= after))
    ]
    covered = wcba[wcba["id"].isin(in_use["woman_id"])]
    out["long_acting"] = covered.groupby("village_id").size()
    return out.fillna(0).astype("int64")


def summary_counts(url: str, period: Period) -> pd.DataFrame:
    summaries = sources.open_store(url)
    with reading(summaries) as conn:
        snap = read.snapshot(conn)
        assert snap is not None
        frame = read.period_counts(conn, snap.generation, period, read.load_units(conn, snap.generation).index)
    summaries.dispose()
    return frame


def time_naive(url: str, summary_url: str, period: Period, repeat: int, scale: float) -> list[Row]:
    """The naive route and the summaries on one question; the answers must be the same."""
    engine = make_engine(url)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    naive_times = _times(lambda: naive_counts(engine, period), max(1, min(repeat, 3)))
    peak_mb = max(0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    naive = naive_counts(engine, period)
    engine.dispose()
    os.environ["DASHBOARD_SUMMARY_URL"] = summary_url
    try:
        mine_times = _times(lambda: summary_counts(url, period), repeat)
        mine = summary_counts(url, period)
    finally:
        del os.environ["DASHBOARD_SUMMARY_URL"]
    same = mine[NAIVE_COLUMNS].reindex(naive.index).fillna(0).astype("int64").equals(naive[NAIVE_COLUMNS])
    ratio = statistics.median(naive_times) / statistics.median(mine_times)
    where = _where(url, scale)
    return [
        Row(where, f"naive pandas route, {period.label} per village", naive_times, note=f"+{peak_mb:,.0f} MB peak"),
        Row(
            where,
            f"summaries, {period.label} per village",
            mine_times,
            note=f"naive ÷ summaries = {ratio:,.0f}×; same answers: {'yes' if same else 'NO'}",
        ),
    ]


# --------------------------------------------------------------------------- exports


def time_export(url: str, period_label: str, repeat: int, rows: int = 50_000) -> list[Row]:
    """.xlsx and .csv of a real person-level list of ``rows`` rows (the married women 15–49
    at the period's end with their method, masked, as the Export page makes it; repeated up
    to ``rows`` rows if the registry has fewer)."""
    period = parse_period(period_label)
    engine = sources.open_registry(url)
    with engine.connect() as conn:
        raw = records.married_wcba_list(conn, period.end)
        unit_rows = units.load_units(conn)
    engine.dispose()
    frame = wcba_records(raw, dict(zip(unit_rows.index, unit_rows["village_name"], strict=True)), period)
    while len(frame) < rows:
        frame = pd.concat([frame, frame], ignore_index=True)
    frame = frame.head(rows)
    context = exports.ExportContext(
        title=labels.t("export_table_wcba"),
        scope=sources.settings().county.short_name,
        period=period_label,
        number_formats={frame.columns[4]: exports.DATE_FORMAT},
    )
    where = _where(url, 1.0).split(" ")[0]
    return [
        Row(where, f"export {len(frame):,} rows .xlsx", _times(lambda: exports.to_xlsx_bytes(frame, context), repeat)),
        Row(where, f"export {len(frame):,} rows .csv", _times(lambda: exports.to_csv_bytes(frame), repeat)),
    ]


# --------------------------------------------------------------------------- browser


def time_browser(url: str, period_label: str, sessions: int) -> list[Row]:
    """A fresh server started as ``make run`` starts it (``serve.py``: warmed up before it
    answers) and the time until it answers; the first visit of each page (a new browser
    context each, until the page settles); then ``sessions`` sessions open at once and the
    server's memory."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "REGISTRY_DB_URL": url, "DASHBOARD_REFRESH_MINUTES": "0"}
    started = time.monotonic()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true", "--server.port", str(port),
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    rows = []
    try:
        _wait_ready(port)
        rows.append(Row("browser", "server start until it answers (warm-up)", [time.monotonic() - started]))
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_FLAGS)
            for page_name in PAGES:
                context = chromium.new_context(viewport={"width": 1920, "height": 1080})
                page = context.new_page()
                path = "" if page_name == "overview" else page_name
                t0 = time.monotonic()
                page.goto(f"http://127.0.0.1:{port}/{path}?period={period_label}")
                settled = _settled(page)
                rows.append(
                    Row("browser", f"first visit {page_name}", [settled - t0],
                        BUDGETS["browser first visit"][0])
                )  # fmt: skip
                context.close()
            # A meeting's load: every session clicks through every page, all at once; the
            # server's memory is sampled after each round and its peak reported.
            pages = []
            for _ in range(sessions):
                context = chromium.new_context(viewport={"width": 1366, "height": 768})
                pages.append(context.new_page())
            peak = 0.0
            for round_ in range(len(PAGES)):
                for k, page in enumerate(pages):
                    name = PAGES[(k + round_) % len(PAGES)]
                    page.goto(f"http://127.0.0.1:{port}/{'' if name == 'overview' else name}?period={period_label}")
                for page in pages:
                    _settled(page)
                peak = max(peak, _rss_mb(server.pid))
            rows.append(Row("browser", f"server memory peak, {sessions} sessions × every page", [peak],
                            RSS_BUDGET_MB, unit="MB"))  # fmt: skip
            chromium.close()
    finally:
        server.terminate()
        server.wait(10)
    return rows


BROWSER_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _settled(page: object) -> float:
    """The moment the page first settled (and stayed so for 0.3 s)."""
    return browser.wait_until_settled(page, 60_000, settle_s=0.3)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server did not start on port {port}")


def _wait_ready(port: int, timeout: float = 120) -> None:
    """Until the server answers its health check (after its warm-up: the port is open before)."""
    import urllib.request

    _wait_port(port, timeout)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=timeout) as resp:
        if resp.status != 200:
            raise RuntimeError(f"server on port {port} answered {resp.status}")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --------------------------------------------------------------------------- run


def run(args: argparse.Namespace) -> int:
    today = date.today()
    period_label = str(today.year - 1)
    period = parse_period(period_label)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.keep) if args.keep else Path(tmp) / "bench.sqlite"
        seconds = build_sqlite(path, args.scale, today)
        rows.append(Row(_where(f"sqlite:///{path}", args.scale), "demo build", [seconds]))
        targets: list[tuple[str, float]] = [(f"sqlite:///{path}", args.scale)]
        for base in args.postgres or []:
            for scale in args.pg_scales:
                targets.append((postgres_schema(base, scale, today), scale))
        for url, scale in targets:
            where = _where(url, scale)
            print(f"bench: {where} {safe_url(url)}", file=sys.stderr)
            summary_url = f"sqlite:///{Path(tmp) / (where.replace(' ', '_') + '.summary.sqlite')}"
            rows += time_refresh(url, summary_url, args.repeat, today, scale)
            os.environ["DASHBOARD_SUMMARY_URL"] = summary_url
            try:
                rows += time_pages(url, period_label, args.repeat, scale)
                if args.browser and url.startswith("sqlite"):
                    rows += time_browser(url, period_label, args.sessions)
            finally:
                del os.environ["DASHBOARD_SUMMARY_URL"]
            rows += time_naive(url, summary_url, period, args.repeat, scale)
            if args.distribution and url.startswith("postgresql") and scale >= 10:
                rows += time_distribution(url, Path(tmp), 1)
            if url.startswith("sqlite"):
                rows += time_export(url, period_label, args.repeat)
    width = max(len(r.what) for r in rows)
    print(f"{'where':<14} {'what':<{width}} {'median':>10} {'min–max':>20}")
    for row in rows:
        print(row.text(width))
    over = [r for r in rows if r.budget is not None and statistics.median(r.times) >= r.budget]
    if over:
        print(f"bench: {len(over)} figure(s) over budget", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- beyond one machine

#: The tables partitioned by township (LIST on village_id, one partition per township and one
#: for rows without a known village); the others are copied as they are.
PARTITIONED = ("person", "birth", "service_event", "household")


def partitioned_copy(source_url: str) -> str:
    """A copy of a PostgreSQL registry schema whose large village-keyed tables are partitioned
    by township — the distribution key a Citus cluster would shard on (built once, kept)."""
    url = sa.engine.make_url(source_url)
    source = str(url.query["options"]).split("=", 1)[1]
    name = f"{source}_part"
    target = url.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(hide_password=False)
    admin = sa.create_engine(url.update_query_dict({"options": "-csearch_path=public"}), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(
            sa.text("SELECT 1 FROM information_schema.tables WHERE table_schema = :s AND table_name = 'target'"),
            {"s": name},
        ).first():
            admin.dispose()
            return target
        print(f"bench: copying {source} into {name}, partitioned by township (once)", file=sys.stderr)
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        villages = conn.execute(sa.text(f'SELECT township_id, id FROM "{source}".village ORDER BY 1, 2')).all()
        by_township: dict[int, list[int]] = {}
        for township, village in villages:
            by_township.setdefault(int(township), []).append(int(village))
        tables = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"), {"s": source}
            )
        ]
        for table in tables:
            if table in PARTITIONED:
                conn.execute(
                    sa.text(
                        f'CREATE TABLE "{name}".{table} (LIKE "{source}".{table} INCLUDING DEFAULTS)'
                        " PARTITION BY LIST (village_id)"
                    )
                )
                for township, ids in by_township.items():
                    conn.execute(
                        sa.text(
                            f'CREATE TABLE "{name}".{table}_t{township} PARTITION OF "{name}".{table}'
                            f" FOR VALUES IN ({', '.join(map(str, ids))})"
                        )
                    )
                conn.execute(sa.text(f'CREATE TABLE "{name}".{table}_other PARTITION OF "{name}".{table} DEFAULT'))
            else:
                conn.execute(sa.text(f'CREATE TABLE "{name}".{table} (LIKE "{source}".{table} INCLUDING ALL)'))
            conn.execute(sa.text(f'INSERT INTO "{name}".{table} SELECT * FROM "{source}".{table}'))
        for (definition,) in conn.execute(
            sa.text("SELECT indexdef FROM pg_indexes WHERE schemaname = :s AND tablename = ANY(:t)"),
            {"s": source, "t": list(PARTITIONED)},
        ):
            if " UNIQUE " in definition:  # a partitioned table's unique index must hold the key
                definition = definition.replace(" UNIQUE ", " ")
            conn.execute(sa.text(definition.replace(f"{source}.", f'"{name}".').replace(" INDEX ", " INDEX p_", 1)))
        conn.execute(sa.text(f'ANALYZE "{name}".person, "{name}".birth, "{name}".service_event, "{name}".household'))
    admin.dispose()
    return target


def time_distribution(url: str, tmp: Path, repeat: int) -> list[Row]:
    """At scale 10 on PostgreSQL: the full refresh with parallel query off and on, and on the
    copy partitioned by township; the summaries must come out the same."""
    rows = []
    dumps: list[dict[str, pd.DataFrame]] = []
    for label, registry_url, workers in (
        ("serial (max_parallel_workers_per_gather=0)", url, 0),
        ("parallel query (2 workers per gather)", url, 2),
        ("partitioned by township, parallel", partitioned_copy(url), 2),
    ):
        options = sa.engine.make_url(registry_url).query["options"]
        tuned = (
            sa.engine.make_url(registry_url)
            .update_query_dict({"options": f"{options} -cmax_parallel_workers_per_gather={workers}"})
            .render_as_string(hide_password=False)
        )
        summary_url = f"sqlite:///{tmp / f'dist-{workers}-{len(dumps)}.sqlite'}"
        registry, summaries = (
            sources.open_registry(tuned, LONG_STATEMENT_TIMEOUT_S),
            summary_store.make_store(summary_url),
        )
        times = [sources.refresh_summary(registry, summaries, full=True).seconds for _ in range(repeat)]
        rows.append(Row("postgresql ×10", f"refresh full, {label}", times))
        dumps.append(_dump(summaries))
    same = all(all(d[k].equals(dumps[0][k]) for k in dumps[0]) for d in dumps[1:])
    rows[-1].note = f"same summaries as unpartitioned: {'yes' if same else 'NO'}"
    return rows


def _dump(engine: sa.Engine) -> dict[str, pd.DataFrame]:
    out = {}
    with engine.connect() as conn:
        generation = summary_store.current_generation(conn)
        for table in (summary_store.flow, summary_store.stock, summary_store.month_range, summary_store.quality):
            frame = pd.read_sql(sa.select(table).where(table.c.generation == generation), conn)
            frame = frame.drop(columns="generation")
            out[table.name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return out
