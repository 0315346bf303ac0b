"""Opening a registry database and checking that it carries the schema contract.

Every failure here raises :class:`RegistryError` whose message is one line meant for a
person: the CLI prints it on stderr, the app shows it in ``st.error``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from dashboard.domain.errors import KeyedError
from data_access.schema import REQUIRED_COLUMNS

DEFAULT_DEMO_PATH = Path(__file__).resolve().parent.parent / "data" / "demo.sqlite"


class RegistryError(KeyedError, RuntimeError):
    """A database problem worth one line to the user (unreachable, not the contract, …).

    ``key`` names the message in ``dashboard.labels`` and ``fields`` fill it in; the data layer
    does not know the UI language, the layer that shows the error formats it.
    """


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Driver errors as one-line :class:`RegistryError` ('err_query')."""
    try:
        yield
    except RegistryError:
        raise
    except sa.exc.SQLAlchemyError as exc:
        raise RegistryError("err_query", reason=one_line(exc)) from exc


@contextmanager
def reading(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection whose driver errors end as one-line :class:`RegistryError` ('err_query')."""
    with _one_line_errors(), engine.connect() as conn:
        yield conn


@contextmanager
def writing(engine: sa.Engine) -> Iterator[sa.Connection]:
    """One transaction (committed on success) with the same one-line errors as :func:`reading`."""
    with _one_line_errors(), engine.begin() as conn:
        yield conn


# The drivers this project installs, for URLs that name only the database kind.
_DEFAULT_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def normalise_url(url_or_path: str) -> str:
    """Accept a SQLAlchemy URL, or a plain file path that means a SQLite file.

    ``postgresql://`` and ``mysql://`` without a driver get the installed drivers
    (psycopg 3, PyMySQL).
    """
    text = url_or_path.strip()
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    scheme, rest = text.split("://", 1)
    return f"{_DEFAULT_DRIVERS.get(scheme.lower(), scheme)}://{rest}"


def file_identity(url: str) -> str:
    """A SQLite database file's identity (device and inode; 'missing' when it is gone), '' for
    a database server: a file replaced while the app runs has another identity."""
    try:
        parsed = make_url(normalise_url(url))
    except Exception:
        return ""
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return ""
    try:
        info = os.stat(parsed.database)
    except OSError:
        return "missing"
    return f"{info.st_dev}:{info.st_ino}"


def safe_url(url: str) -> str:
    """The URL with any password hidden, fit for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


#: Seconds to wait for a connection (a database that does not answer is one line, quickly).
CONNECT_TIMEOUT_S = 5
#: Seconds one statement may run for a page (the summaries' refresh allows more, see
#: :func:`make_engine`'s ``statement_timeout_s``).
STATEMENT_TIMEOUT_S = 30
#: … and for the summaries' refresh and the demo build (a nightly job's statements at scale).
LONG_STATEMENT_TIMEOUT_S = 3600


def make_engine(url: str, statement_timeout_s: float = STATEMENT_TIMEOUT_S) -> sa.Engine:
    """Create an engine for ``url`` (a URL or SQLite path) with the settings each dialect needs:
    a connect timeout and a statement timeout on every dialect (a stalled database ends in a
    one-line message within seconds), a liveness check before a pooled connection is reused
    (the app recovers by itself when the database is back)."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise RegistryError("err_url", url=safe_url(url), reason=one_line(exc)) from exc
    kwargs: dict[str, object] = {"pool_pre_ping": True}
    timeout_ms = int(statement_timeout_s * 1000)
    if parsed.get_backend_name() == "sqlite":
        kwargs = {"connect_args": {"timeout": CONNECT_TIMEOUT_S}}
    elif parsed.get_backend_name() in ("mysql", "mariadb"):
        # Registries are mostly utf8mb4 Chinese text. The read timeout is the client's own:
        # it ends a statement whose answer never comes.
        kwargs["connect_args"] = {
            "connect_timeout": CONNECT_TIMEOUT_S,
            "read_timeout": int(statement_timeout_s) + 5,
            "write_timeout": CONNECT_TIMEOUT_S * 2,
            "charset": "utf8mb4",
        }
        kwargs["pool_recycle"] = 3600
    elif parsed.get_backend_name() == "postgresql":
        options = parsed.query.get("options", "")
        options = f"{options} -c statement_timeout={timeout_ms}".strip()
        parsed = parsed.update_query_dict({"options": options})
        # Keepalives notice a peer that vanished; the statement timeout ends a long wait.
        kwargs["connect_args"] = {
            "connect_timeout": CONNECT_TIMEOUT_S,
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 2,
        }
    try:
        return sa.create_engine(parsed, **kwargs)
    except Exception as exc:
        raise RegistryError("err_url", url=safe_url(url), reason=one_line(exc)) from exc


def check_contract(engine: sa.Engine) -> None:
    """Connect and check the headline contract tables and columns exist.

    Raises :class:`RegistryError` naming what is unreachable or missing.
    """
    url = safe_url(engine.url.render_as_string(hide_password=False))
    if engine.url.get_backend_name() == "sqlite":
        database = engine.url.database or ""
        if database and database != ":memory:" and not Path(database).exists():
            raise RegistryError("err_connect", url=url, reason=f"no such file {database}")
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            present = relations(conn)
            missing = [name for name in REQUIRED_COLUMNS if name not in present]
            if missing:
                raise RegistryError("err_missing_tables", url=url, tables=", ".join(missing))
            lacking: list[str] = []
            for table, needed in REQUIRED_COLUMNS.items():
                have = {c["name"].lower() for c in inspector.get_columns(table)}
                lacking.extend(f"{table}.{c}" for c in needed if c not in have)
            if lacking:
                raise RegistryError("err_missing_columns", url=url, columns=", ".join(lacking))
    except RegistryError:
        raise
    except sa.exc.SQLAlchemyError as exc:
        raise RegistryError("err_connect", url=url, reason=one_line(exc)) from exc


def relations(conn: sa.Connection) -> set[str]:
    """The tables and views the database offers (a county may map its registry with views)."""
    inspector = sa.inspect(conn)
    return set(inspector.get_table_names()) | set(inspector.get_view_names())


def has_table(engine: sa.Engine, name: str) -> bool:
    with engine.connect() as conn:
        return sa.inspect(conn).has_table(name)


def configured_url(secrets_url: str | None = None) -> str:
    """The registry URL: ``REGISTRY_DB_URL``, else the secrets entry, else the demo SQLite file."""
    return os.environ.get("REGISTRY_DB_URL") or secrets_url or f"sqlite:///{DEFAULT_DEMO_PATH}"


def one_line(exc: BaseException) -> str:
    """The first meaningful line of a driver error, without SQLAlchemy's background link."""
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    first = next((line.strip() for line in text if line.strip()), type(original).__name__)
    return first[:300]
