"""The shared sidebar: period picker (kept in the URL as ``?period=…``), language, data source.

``app.py`` renders it on every run before the page; pages read the result with
:func:`current`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from dashboard import labels
from dashboard.app import auth, cache
from dashboard.app.components.errors import stop_on_registry_error
from dashboard.domain import units
from dashboard.domain.access import Access
from dashboard.domain.coverage import Covered
from dashboard.domain.periods import Period, PeriodError, last_complete_month_end, parse_period, year_to_date
from dashboard.render import formats
from data_access.db import configured_url, safe_url
from data_access.summaries import read

KINDS = ("year", "quarter", "month", "range")
_STATE = "_sidebar_context"


@dataclass(frozen=True)
class Context:
    """What every page needs: the registry URL, the chosen period, the data's as-of date."""

    url: str
    period: Period
    as_of: date
    mine: str | None = None  # "my township" code, highlighted everywhere (?mine=…)
    covered: Covered | None = None  # how much of the period the registry's data covers
    access: Access = Access("anonymous", "viewer")  # who is using the session, and what they may see
    years: tuple[int, ...] = ()  # the years the data covers (latest first): the period picker's choices


def registry_url() -> str:
    """``REGISTRY_DB_URL``, else ``[connections.registry] url`` in secrets, else the demo file."""
    secret: str | None = None
    try:
        secret = st.secrets["connections"]["registry"]["url"]
    except Exception:
        secret = None
    return configured_url(secret)


def _decompose(period: Period) -> dict[str, object]:
    """Widget values that reproduce ``period``."""
    label = period.label
    year = period.year
    if period.is_full_year:
        return {"kind": "year", "year": year}
    if "-Q" in label:
        return {"kind": "quarter", "year": year, "quarter": int(label[-1])}
    if ".." not in label:
        return {"kind": "month", "year": year, "month": period.start.month}
    return {"kind": "range", "year": year, "from_month": period.start.month, "to_month": period.end.month}


def _compose(values: dict[str, object]) -> str:
    year = values["year"]
    kind = values["kind"]
    if kind == "year":
        return f"{year}"
    if kind == "quarter":
        return f"{year}-Q{values['quarter']}"
    if kind == "month":
        return f"{year}-{int(values['month']):02d}"  # type: ignore[call-overload]
    lo, hi = int(values["from_month"]), int(values["to_month"])  # type: ignore[call-overload]
    return f"{year}-{lo:02d}..{year}-{max(lo, hi):02d}"


def _apply(period: Period) -> None:
    for key, value in _decompose(period).items():
        st.session_state[f"period_{key}"] = value
    st.session_state.setdefault("period_quarter", 1)
    st.session_state.setdefault("period_month", 1)
    st.session_state.setdefault("period_from_month", 1)
    st.session_state.setdefault("period_to_month", period.end.month)


def use_period(period: Period) -> None:
    """Make ``period`` the sidebar's (a button's callback: the sidebar, the URL and every page
    follow on the rerun)."""
    _apply(period)


def _usable(wanted: Period, years: list[int], today: date) -> str | None:
    """Why a period from the URL cannot be shown (None: it can): in the future, or outside
    the years the registry's data covers."""
    if wanted.start > today:
        return labels.t("err_period_future", period=wanted.label, today=today.isoformat())
    if wanted.year not in years:
        return labels.t("period_not_covered", period=wanted.label, first=years[-1], last=years[0])
    return None


def period_picker(years: list[int], default: Period, today: date | None = None) -> Period:
    """Year + span widgets, bounded by ``years`` (latest first); the URL's ``period`` sets them
    and follows them. A period the data cannot show is refused in one line."""
    today = today or date.today()
    from_url = st.query_params.get("period")
    last_seen = st.session_state.get("_period_label")
    # Re-apply when the URL changed (back button, a link), and when the widgets lost their
    # state (st.switch_page clears it) so that the period survives moving between pages.
    if last_seen is None or (from_url and from_url != last_seen) or "period_year" not in st.session_state:
        try:
            seen = from_url or last_seen
            wanted = parse_period(str(seen)) if seen else default
        except PeriodError as exc:
            st.sidebar.warning(formats.message(exc))
            wanted = default
        refusal = _usable(wanted, years, today)
        if refusal:
            st.sidebar.warning(refusal)
            wanted = default
        _apply(wanted)
    sb = st.sidebar
    sb.subheader(labels.t("sidebar_period"))
    year = sb.selectbox(labels.t("period_year"), years, key="period_year")
    kind_names = {
        "year": labels.t("period_kind_year"),
        "quarter": labels.t("period_kind_quarter"),
        "month": labels.t("period_kind_month"),
        "range": labels.t("period_kind_ytd"),
    }
    kind = sb.radio(labels.t("period_kind"), KINDS, key="period_kind", format_func=kind_names.get, horizontal=True)
    values: dict[str, object] = {"year": year, "kind": kind}
    months = list(range(1, 13))
    if kind == "quarter":
        values["quarter"] = sb.selectbox(
            labels.t("period_quarter"),
            [1, 2, 3, 4],
            key="period_quarter",
            format_func=lambda n: labels.t("quarter_n", n=n),
        )
    elif kind == "month":
        values["month"] = sb.selectbox(
            labels.t("period_month"),
            months,
            key="period_month",
            format_func=lambda n: labels.t("month_n", n=n),
        )
    elif kind == "range":
        values["from_month"] = st.session_state.get("period_from_month", 1)
        values["to_month"] = sb.selectbox(
            labels.t("period_through"),
            months,
            key="period_to_month",
            format_func=lambda n: labels.t("month_n", n=n),
        )
    label = _compose(values)
    period = parse_period(label)
    st.session_state["_period_label"] = period.label
    if st.query_params.get("period") != period.label:
        st.query_params["period"] = period.label
    sb.caption(labels.t("period_caption", start=period.start.isoformat(), end=period.end.isoformat(), days=period.days))
    return period


def my_township_picker(url: str, access: Access) -> str | None:
    """'My township': highlighted in every table and chart and the township the drill-down,
    trends and services pages open on. A township user's is their own; others choose, and the
    choice sticks across page changes (kept in the session, and in the URL as ``?mine=``)."""
    townships = units.township_options(cache.unit_rows(url))
    own = access.township or ""
    if access.role == "township" and own in townships:
        st.sidebar.selectbox(
            labels.t("my_township"), [own], format_func=lambda c: townships[c], disabled=True, key="my_township_own"
        )
        code: str | None = own
    else:
        options = ["", *townships]
        from_url = st.query_params.get("mine", "")
        seen = st.session_state.get("_mine_seen", "")
        remembered = st.session_state.get("_mine", "")
        picked = st.session_state.get("my_township")
        if from_url and from_url != seen and from_url in options:
            remembered = from_url  # a link names a township
        elif picked is not None and picked != seen and picked in options:
            remembered = picked  # just chosen in the box: the choice wins over the memory
        if st.session_state.get("my_township") != remembered:
            st.session_state["my_township"] = remembered if remembered in options else ""
        code = (
            st.sidebar.selectbox(
                labels.t("my_township"),
                options,
                key="my_township",
                format_func=lambda c: (
                    townships.get(c, labels.t("my_township_none")) if c else labels.t("my_township_none")
                ),
            )
            or None
        )
    st.session_state["_mine"] = code or ""
    st.session_state["_mine_seen"] = code or ""
    if code:
        if st.query_params.get("mine") != code:
            st.query_params["mine"] = code
    elif "mine" in st.query_params:
        del st.query_params["mine"]
    return code


def summary_status(url: str, snap: read.Snapshot, access: Access) -> None:
    """'数据截至 …' from the last refresh, and (county users) a button to refresh now."""
    st.sidebar.caption(labels.t("summary_as_of", when=formats.refreshed_at(snap.refreshed_at)))
    if access.role != "county":
        return
    if st.sidebar.button(labels.t("summary_refresh"), key="summary-refresh"):
        with st.sidebar, st.spinner(labels.t("summary_refreshing")), stop_on_registry_error():
            done = cache.refresh(url)
        st.toast(formats.refresh_words(done.mode, done.years, done.seconds, done.villages))
        st.rerun()


def render(today: date | None = None) -> Context:
    """Render the shared sidebar and remember the context for the page."""
    today = today or date.today()
    lang = st.query_params.get("lang", labels.language())
    labels.set_language(lang)
    url = registry_url()
    with st.spinner(labels.t("summary_building")), stop_on_registry_error():
        cache.ensure_demo_database(url)
        snap = cache.snapshot(url)
    cache.scheduler(url)
    as_of = last_complete_month_end(today)
    coverage = snap.coverage
    years = coverage.years(today)
    # The latest period the data covers: this year to date, or up to where the data stops.
    default = year_to_date(min(today, coverage.last + timedelta(days=1)) if coverage.last else today)
    with stop_on_registry_error():  # signed out or unknown: the sign-in or one line, nothing else
        access = auth.current(url)
    period = period_picker(years, default, today)
    # In the sidebar, not above the page: a meeting slide must keep the whole screen.
    if access.demo:
        st.sidebar.info(labels.t("demo_banner"), icon=":material/science:")
    elif access.identity == "anonymous":
        st.sidebar.info(labels.t("anonymous_banner"), icon=":material/lock:")
    mine = my_township_picker(url, access)
    st.sidebar.divider()
    auth.sidebar_identity(access)
    st.sidebar.caption(f"{labels.t('data_source')}：{safe_url(url)}")
    summary_status(url, snap, access)
    problem = cache.registry_problem(url)
    if problem:  # the pages still show the last summaries; lists and edits need the registry
        st.warning(labels.t("registry_down", problem=problem, when=formats.refreshed_at(snap.refreshed_at)))
    context = Context(
        url=url,
        period=period,
        as_of=as_of,
        mine=mine,
        covered=coverage.of(period),
        access=access,
        years=tuple(years),
    )
    st.session_state[_STATE] = context
    return context


def coverage_banner(context: Context) -> None:
    """Above the page: one line when the registry's data does not cover the whole period, and
    one saying how many rows the numbers leave out and why (dates, codes, references)."""
    line = formats.coverage_line(context.covered, context.period)
    if line:
        st.warning(line, icon=":material/event_busy:")
    with stop_on_registry_error():
        counts = cache.quality(context.url, context.period).counts
    left_out = formats.left_out_line(counts)
    if left_out:
        st.info(left_out, icon=":material/filter_alt_off:")


def current(banner: bool = True) -> Context:
    """The context the sidebar computed on this run; with ``banner``, the lines on the
    period's coverage and on the rows the numbers leave out are written above the page.

    When a fresh server's first request is a deep link (``/drilldown?…``), Streamlit's legacy
    pages-folder mode runs the page file without ``app.py`` (its flag is cleared only once
    ``st.navigation`` has run). Then the context is missing: switch to navigation mode and
    rerun, which goes through ``app.py`` and lands on the same page with the same URL.
    """
    if _STATE not in st.session_state:
        from streamlit.runtime.pages_manager import PagesManager

        PagesManager.uses_pages_directory = False
        st.rerun()
    context: Context = st.session_state[_STATE]
    # The page's words in the URL's language, however the page was reached (a test or a
    # legacy deep link runs it without app.py).
    labels.set_language(st.query_params.get("lang", labels.language()))
    if banner:
        coverage_banner(context)
    return context
