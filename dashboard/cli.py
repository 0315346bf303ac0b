"""Command line: ``python -m dashboard {demo-db,indicators,quality,refresh,bulletin,meeting-pack,bench}``.

Every failure the user can cause (bad URL, unreachable or non-contract database, unknown
period or level, unwritable file) prints one line on stderr and exits non-zero; files are
written to a temporary name and renamed, so a failure never leaves a half-written file.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from dashboard import labels
from dashboard.app import bench, sources
from dashboard.app.sources import incomplete_after, open_registry
from dashboard.domain import indicators as ind
from dashboard.domain import targets as tr
from dashboard.domain.coverage import FuturePeriod, refuse_future
from dashboard.domain.errors import KeyedError
from dashboard.domain.periods import PeriodError, last_complete_month_end, parse_period, year_to_date
from dashboard.render import exports, formats
from dashboard.render.pack import PackError
from dashboard.views import bulletin as bulletin_view
from dashboard.views import export, meeting
from dashboard.views import quality as quality_view
from data_access import config, demo
from data_access.db import (
    DEFAULT_DEMO_PATH,
    LONG_STATEMENT_TIMEOUT_S,
    RegistryError,
    make_engine,
    normalise_url,
    one_line,
    safe_url,
)

EXIT_USAGE = 2
EXIT_DATA = 1

#: The CSV's columns, in order: the first nine are the documented minimum.
CSV_COLUMNS = [
    "level",
    "code",
    "name",
    "indicator",
    "numerator",
    "denominator",
    "value",
    "projection",
    "status",
    "indicator_name",
    "unit",
    "township_code",
    "ci_low",
    "ci_high",
    "target",
    "small_numbers",
    "period",
    "start",
    "end",
]


class CliError(Exception):
    """A user-facing failure: ``message`` is one line, ``code`` the exit status."""

    def __init__(self, message: str, code: int = EXIT_DATA) -> None:
        super().__init__(message)
        self.code = code


def _registry_message(exc: KeyedError) -> str:
    return formats.message(exc)


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line too (and exit 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"{self.prog}: {message}", EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m dashboard", description=labels.t("app_title"))
    parser.add_argument("--lang", choices=labels.LANGUAGES, help="message language (zh, en)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo-db", help="build the deterministic demo county registry")
    where = demo.add_mutually_exclusive_group()
    where.add_argument("--out", help="SQLite file to create (default data/demo.sqlite)")
    where.add_argument("--db", help="SQLAlchemy URL of an empty database to fill")
    demo.add_argument("--scale", type=float, default=1.0, help="population scale (1 ≈ 370k)")
    demo.add_argument("--seed", type=int, default=20240601)
    demo.add_argument("--today", help=argparse.SUPPRESS)  # fixes 'today' for reproducible tests
    demo.add_argument("--force", action="store_true", help="replace an existing SQLite file")

    indic = sub.add_parser("indicators", help="indicators per unit as CSV or xlsx")
    indic.add_argument("--db", required=True, help="SQLAlchemy URL or SQLite file path")
    indic.add_argument("--period", required=True, help="2024, 2024-Q2, 2024-06, 2024-01..2024-09")
    indic.add_argument("--level", default="county", help="county, township or village")
    indic.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    indic.add_argument("--out", help="output file (default: CSV on stdout)")
    indic.add_argument("--indicator", action="append", help="only these indicator codes")
    indic.add_argument(
        "--layout",
        choices=("matrix", "long"),
        default="matrix",
        help="xlsx only: the matrix the pages show (default) or a row per unit and indicator",
    )

    quality = sub.add_parser("quality", help="data-quality checks: one row per check and township")
    quality.add_argument("--db", required=True, help="SQLAlchemy URL or SQLite file path")
    quality.add_argument("--period", help="period of the population balance (default: year to date)")
    quality.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    quality.add_argument("--out", help="output file (default: CSV on stdout)")
    quality.add_argument("--records", action="store_true", help="list the offending records instead of counts")

    refresh = sub.add_parser("refresh", help="build or update the summary counts the app reads")
    refresh.add_argument("--db", required=True, help="SQLAlchemy URL or SQLite file path of the registry")
    refresh.add_argument(
        "--summary", help="summary store URL (default: DASHBOARD_SUMMARY_URL, else beside the registry)"
    )
    refresh.add_argument("--full", action="store_true", help="rebuild everything instead of updating what changed")
    refresh.add_argument("--today", help=argparse.SUPPRESS)

    bulletin = sub.add_parser("bulletin", help="the period's bulletin as a Word file (.docx)")
    bulletin.add_argument("--db", required=True, help="SQLAlchemy URL or SQLite file path of the registry")
    bulletin.add_argument("--period", required=True, help="2024, 2024-Q2, 2024-06, 2024-01..2024-09")
    bulletin.add_argument("--out", required=True, help="the .docx file to write")
    # SUPPRESS: without it the subcommand's default would overwrite a --lang given before it.
    bulletin.add_argument("--lang", choices=labels.LANGUAGES, default=argparse.SUPPRESS, help="zh or en")
    bulletin.add_argument("--today", help=argparse.SUPPRESS)  # fixes 'today' for reproducible tests
    pack = sub.add_parser("meeting-pack", help="the meeting deck as one PDF or PowerPoint file")
    pack.add_argument("--db", required=True, help="SQLAlchemy URL or SQLite file path")
    pack.add_argument("--period", required=True, help="2024, 2024-Q2, 2024-06, 2024-01..2024-09")
    pack.add_argument("--out", required=True, help="output file: .pdf or .pptx")

    bench = sub.add_parser("bench", help="time the performance budgets (pages, refresh, naive route)")
    bench.add_argument("--scale", type=float, default=1.0, help="scale of the SQLite demo county")
    bench.add_argument("--repeat", type=int, default=3)
    bench.add_argument(
        "--postgres", action="append", help="also on this PostgreSQL URL (schemas bench_s1, bench_s10; built once)"
    )
    bench.add_argument("--pg-scales", type=float, nargs="+", default=[1.0, 10.0], help="scales on PostgreSQL")
    bench.add_argument("--browser", action="store_true", help="also first visits and memory in chromium")
    bench.add_argument(
        "--distribution", action="store_true", help="at scale 10 on PostgreSQL: parallel query, partitioned by township"
    )
    bench.add_argument("--sessions", type=int, default=20, help="sessions open for the memory figure")
    bench.add_argument("--keep", help="keep the built SQLite file at this path")
    return parser


# --------------------------------------------------------------------------- indicators


def _number(x: float) -> object:
    """Integers without '.0' (counts), other values unrounded; NaN as empty."""
    if x is None or pd.isna(x):
        return ""
    return int(x) if float(x).is_integer() else float(x)


def indicators_frame(result: pd.DataFrame, period_label: str, start: date, end: date) -> pd.DataFrame:
    """The CLI/CSV shape of an indicator result (see :data:`CSV_COLUMNS`)."""
    out = pd.DataFrame(
        {
            "level": result["level"],
            "code": result["code"],
            "name": result["name"],
            "indicator": result["indicator"],
            "numerator": [_number(v) for v in result["numerator"]],
            "denominator": [_number(v) for v in result["denominator"]],
            "value": result["value"],
            "projection": result["projection"],
            "status": result["status"],
            "indicator_name": result["indicator"].map(formats.indicator_name),
            "unit": result["unit"],
            "township_code": result["township_code"].fillna(""),
            "ci_low": result["ci_low"],
            "ci_high": result["ci_high"],
            "target": [formats.row_target(r) for _, r in result.iterrows()],
            "small_numbers": result["small_numbers"].astype(bool),
            "period": period_label,
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
    )
    return out[CSV_COLUMNS]


def _atomic_write(path: str, data: bytes) -> None:
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CliError(labels.t("err_write", path=path, reason=exc.strerror or exc)) from exc


def _emit_csv(frame: pd.DataFrame, out: str | None) -> int:
    """To stdout plain UTF-8 CSV with codes, for scripts; to a file ``out`` with a BOM, so that
    Excel opens it with the Chinese intact (the columns are the same)."""
    if out:
        _atomic_write(out, "\ufeff".encode() + frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8"))
    else:
        sys.stdout.write(frame.to_csv(index=False, lineterminator="\n"))
    return 0


def run_indicators(args: argparse.Namespace) -> int:
    try:
        period = parse_period(args.period)
        refuse_future(period, date.today())
    except (PeriodError, FuturePeriod) as exc:
        raise CliError(formats.message(exc), EXIT_USAGE) from exc
    if args.level not in ind.LEVELS:
        raise CliError(labels.t("err_level", text=args.level), EXIT_USAGE)
    if args.format == "xlsx" and not args.out:
        raise CliError(labels.t("err_xlsx_needs_out"), EXIT_USAGE)
    chosen = ind.CATALOGUE
    if args.indicator:
        unknown = [c for c in args.indicator if c not in ind.BY_CODE]
        if unknown:
            known = ", ".join(ind.BY_CODE)
            raise CliError(f"unknown indicator {', '.join(unknown)}: use {known}", EXIT_USAGE)
        chosen = tuple(ind.BY_CODE[c] for c in args.indicator)
    levels = (args.level, "county") if args.format == "xlsx" and args.level == "township" else (args.level,)
    try:
        engine = open_registry(args.db)
        built = sources.indicator_reports(engine, period, levels, chosen)
    except RegistryError as exc:
        raise CliError(_registry_message(exc)) from exc
    report = built[args.level]
    coverage = formats.coverage_line(report.covered, period)
    as_of = incomplete_after(period, date.today())
    if coverage:  # no data for the period, or only part of it: said once, on stderr
        print(coverage, file=sys.stderr)
    elif as_of:
        print(labels.t("warn_incomplete", as_of=as_of.isoformat()), file=sys.stderr)
    if args.format == "csv":
        return _emit_csv(indicators_frame(report.result, period.label, period.start, period.end), args.out)
    # The xlsx is the Export page's file for the same table: Chinese headers, status words, 说明.
    selection = export.Selection(
        table=f"indicators_{args.level}",
        period=period,
        indicators=tuple(i.code for i in chosen),
        layout=args.layout,
        as_of=last_complete_month_end(date.today()),
    )
    table = export.indicator_table(selection, report, None, county_report=built.get("county"))
    _atomic_write(args.out, exports.to_xlsx_bytes(table.frame, table.context))
    return 0


# --------------------------------------------------------------------------- meeting pack


def run_meeting_pack(args: argparse.Namespace) -> int:
    """The meeting deck of ``--period`` as ``--out`` (.pdf or .pptx), from the summaries the
    meeting page reads (built first when there are none)."""
    kind = Path(args.out).suffix.lower().lstrip(".")
    if kind not in ("pdf", "pptx"):
        raise CliError(labels.t("cli_meeting_pack_format", path=args.out), EXIT_USAGE)
    try:
        period = parse_period(args.period)
        refuse_future(period, date.today())
    except (PeriodError, FuturePeriod) as exc:
        raise CliError(formats.message(exc), EXIT_USAGE) from exc
    try:
        registry = open_registry(args.db, LONG_STATEMENT_TIMEOUT_S)  # long: a first summary build
        store_engine = sources.open_store_url(config.summary_url(args.db))
        deck = sources.meeting_deck(registry, store_engine, period)
        data = meeting.pack_file(deck, kind)
    except (KeyedError, PackError) as exc:
        raise CliError(_registry_message(exc)) from exc
    _atomic_write(args.out, data)
    return 0


# --------------------------------------------------------------------------- quality


def run_quality(args: argparse.Namespace) -> int:
    try:
        period = parse_period(args.period) if args.period else year_to_date(date.today())
    except PeriodError as exc:
        raise CliError(formats.message(exc), EXIT_USAGE) from exc
    if args.format == "xlsx" and not args.out:
        raise CliError(labels.t("err_xlsx_needs_out"), EXIT_USAGE)
    try:
        report = sources.quality_report(open_registry(args.db), period, date.today())
    except RegistryError as exc:
        raise CliError(_registry_message(exc)) from exc
    if args.records:
        frame = report.findings[
            [
                "check",
                "township_code",
                "township_name",
                "village_code",
                "village_name",
                "record",
                "person_id",
                "detail",
                "value",
            ]
        ]
    else:
        frame = report.counts
    if args.format == "csv":
        return _emit_csv(frame, args.out)
    if args.records:
        context = exports.ExportContext(
            title=labels.t("quality_title"),
            scope=sources.settings().county.name,
            period=formats.period_words(period),
            filters=((labels.t("sidebar_period"), formats.period_words(period)),),
        )
        _atomic_write(args.out, exports.to_xlsx_bytes(frame, context))
        return 0
    # The counts as the quality page exports them: Chinese headers, check names, 说明.
    page = quality_view.build(report, period, date.today(), sources.settings().county)
    _atomic_write(args.out, exports.to_xlsx_bytes(page.counts_export, page.context))
    return 0


# --------------------------------------------------------------------------- bulletin


def _writable_docx(path: str) -> str:
    """``path`` if it names a .docx file that can be written (checked before the work starts)."""
    target = Path(path)
    if target.suffix.lower() != ".docx":
        raise CliError(labels.t("err_docx_extension", path=path), EXIT_USAGE)
    try:
        if target.is_dir():
            raise IsADirectoryError(21, os.strerror(21))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        os.close(fd)
        Path(probe).unlink()
    except OSError as exc:
        raise CliError(labels.t("err_write", path=path, reason=exc.strerror or exc)) from exc
    return path


def run_bulletin(args: argparse.Namespace) -> int:
    """The period's 通报 from the summaries the app reads (built first when there are none);
    one line with the file's path."""
    today = date.fromisoformat(args.today) if args.today else date.today()
    try:
        period = parse_period(args.period)
        refuse_future(period, today)
    except (PeriodError, FuturePeriod) as exc:
        raise CliError(formats.message(exc), EXIT_USAGE) from exc
    out = _writable_docx(args.out)
    try:
        registry = open_registry(args.db, LONG_STATEMENT_TIMEOUT_S)  # long: a first summary build
        store_engine = sources.open_store_url(config.summary_url(args.db))
        data = sources.period_reports(registry, store_engine, period)
    except KeyedError as exc:
        raise CliError(_registry_message(exc)) from exc
    refreshed = date.fromisoformat(data.refreshed_at[:10]) if data.refreshed_at else None
    model = bulletin_view.build(
        data.county,
        data.townships,
        data.townships_last,
        data.villages,
        data.checks,
        today=today,
        generated_at=datetime.now(),
        refreshed=refreshed,
    )
    _atomic_write(out, bulletin_view.docx_bytes(model))
    print(labels.t("bulletin_written", path=out))
    return 0


# --------------------------------------------------------------------------- refresh


def _progress_printer() -> tuple[Callable[[str], None], Callable[[], None]]:
    """A progress line for long steps: rewritten in place on a terminal, one line per step in
    a log. Returns (report a step, finish)."""
    interactive = sys.stderr.isatty()
    started = time.perf_counter()

    def say(step: str) -> None:
        words = refresh_step_words(step)
        line = labels.t("refresh_progress", step=words, seconds=time.perf_counter() - started)
        if interactive:
            print("\r" + line.ljust(60), end="", file=sys.stderr, flush=True)
        else:
            print(line, file=sys.stderr, flush=True)

    def finish() -> None:
        if interactive:
            print(file=sys.stderr)

    return say, finish


def refresh_step_words(step: str) -> str:
    stage, _, rest = step.partition(" ")
    key = f"refresh_step_{stage}"
    return labels.t(key, detail=rest).strip() if labels.has(key) else step


def run_refresh(args: argparse.Namespace) -> int:
    """Build or update a registry's summaries; one line on what was done."""
    today = date.fromisoformat(args.today) if args.today else date.today()
    say, finish = _progress_printer()
    try:
        registry = open_registry(args.db, LONG_STATEMENT_TIMEOUT_S)
        summary_url = normalise_url(args.summary) if args.summary else config.summary_url(args.db)
        store_engine = sources.open_store_url(summary_url)
        done = sources.refresh_summary(registry, store_engine, full=args.full, today=today, progress=say)
    except KeyedError as exc:
        finish()
        raise CliError(_registry_message(exc)) from exc
    finish()
    print(
        formats.refresh_words(done.mode, done.years, done.seconds, done.villages) + f" → {safe_url(summary_url)}",
        file=sys.stderr,
    )
    return 0


# --------------------------------------------------------------------------- demo


def run_demo(args: argparse.Namespace) -> int:
    if args.scale <= 0:
        raise CliError(labels.t("err_scale", text=args.scale), EXIT_USAGE)
    today = date.fromisoformat(args.today) if args.today else date.today()
    if args.db:
        url = normalise_url(args.db)
        tmp_path: Path | None = None
        final_path: Path | None = None
    else:
        final_path = Path(args.out or DEFAULT_DEMO_PATH).expanduser().resolve()
        if final_path.exists() and not args.force:
            raise CliError(labels.t("err_db_exists", url=final_path))
        final_path.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = final_path.with_name(f".{final_path.name}.building")
        tmp_path.unlink(missing_ok=True)
        url = f"sqlite:///{tmp_path}"
    years = range(2019, today.year + 1)
    defaults = sources.settings().default_targets
    target_rows = [row for y in years for row in tr.seed_rows(defaults, y)]

    interactive = sys.stderr.isatty()
    last_stage: list[str] = [""]

    def progress(step: str) -> None:
        words = demo_step_words(step)
        if interactive:  # one line, rewritten in place
            print("\r" + labels.t("demo_progress", step=words).ljust(60), end="", file=sys.stderr, flush=True)
            return
        stage = step.split(" ")[0]  # in a log: one line per stage, not per chunk
        if stage != last_stage[0]:
            last_stage[0] = stage
            print(labels.t("demo_progress", step=demo_step_words(stage)), file=sys.stderr, flush=True)

    try:
        engine = make_engine(url, LONG_STATEMENT_TIMEOUT_S)
        summary = demo.build_demo(
            engine, scale=args.scale, seed=args.seed, today=today, target_rows=target_rows, progress=progress
        )
        engine.dispose()
    except RegistryError as exc:
        raise CliError(_registry_message(exc)) from exc
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    except Exception as exc:
        if tmp_path:
            tmp_path.unlink(missing_ok=True)
        raise CliError(labels.t("err_query", reason=one_line(exc))) from exc
    if tmp_path and final_path:
        os.replace(tmp_path, final_path)
        url = f"sqlite:///{final_path}"
    if interactive:
        print(file=sys.stderr)
    say, finish = _progress_printer()
    try:  # the summaries the app reads, built with the registry (replacing an old file's)
        store_engine = sources.open_store_url(config.summary_url(url))
        sources.refresh_summary(
            open_registry(url, LONG_STATEMENT_TIMEOUT_S), store_engine, full=True, today=today, progress=say
        )
        store_engine.dispose()
    except KeyedError as exc:
        raise CliError(_registry_message(exc)) from exc
    finally:
        finish()
    print(
        labels.t(
            "demo_done",
            url=safe_url(url),
            persons=summary.persons,
            births=summary.births,
            seconds=summary.seconds,
        ),
        file=sys.stderr,
    )
    return 0


def demo_step_words(step: str) -> str:
    """The demo generator's step ('year 2021', 'person 3/20', 'indexes') in the user's words."""
    stage, _, rest = step.partition(" ")
    key = f"demo_step_{stage}"
    if not labels.has(key):
        return step
    return labels.t(key, detail=rest).strip()


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.lang:
            labels.set_language(args.lang)
        if args.command == "indicators":
            return run_indicators(args)
        if args.command == "demo-db":
            return run_demo(args)
        if args.command == "quality":
            return run_quality(args)
        if args.command == "refresh":
            return run_refresh(args)
        if args.command == "bulletin":
            return run_bulletin(args)
        if args.command == "meeting-pack":
            return run_meeting_pack(args)
        if args.command == "bench":
            return bench.run(args)
    except CliError as exc:
        print(str(exc), file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130
    return EXIT_USAGE


def timed(fn, *args, **kwargs) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    """Wall-clock seconds of one call and its result (for the benchmark)."""
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - t0, result
