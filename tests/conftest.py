"""Shared fixtures: a fresh, private database on SQLite, PostgreSQL and MariaDB.

PostgreSQL and MariaDB come from ``TEST_POSTGRES_URL`` and ``TEST_MYSQL_URL``. Each fresh
database is a schema (PostgreSQL) or database (MariaDB) with a random name, dropped at the
end, so that concurrent runs never collide. Under CI (``CI`` set) a missing URL fails the
run instead of skipping: the three-database tests must really run there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from data_access.db import normalise_url
from tests import boundary_registry

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

DIALECTS = ("sqlite", "postgresql", "mysql")
_ENV = {"postgresql": "TEST_POSTGRES_URL", "mysql": "TEST_MYSQL_URL"}


def server_url(dialect: str) -> str | None:
    """The configured server URL for ``dialect`` (None if unset; CI makes that a failure)."""
    env = _ENV[dialect]
    url = os.environ.get(env)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{env} is not set: CI must run the {dialect} tests")
        pytest.skip(f"{env} not set")
    return normalise_url(url)


@contextmanager
def fresh_database(dialect: str, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty private database of ``dialect``, removed afterwards."""
    if dialect == "sqlite":
        yield f"sqlite:///{tmp_path / f'registry-{uuid.uuid4().hex[:8]}.sqlite'}"
        return
    base = sa.engine.make_url(server_url(dialect))
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if dialect == "postgresql":
                conn.execute(sa.text(f'CREATE SCHEMA "{name}"'))
                url = base.update_query_dict({"options": f"-csearch_path={name}"})
            else:
                conn.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
                url = base.set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if dialect == "postgresql":
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_db(dialect: str, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database, once per dialect."""
    with fresh_database(dialect, tmp_path) as url:
        yield url


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The hand-counted boundary registry as a SQLite URL (one per test module)."""
    path = tmp_path_factory.mktemp("registry") / "boundary.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    boundary_registry.create(engine)
    engine.dispose()
    return f"sqlite:///{path}"


@pytest.fixture
def app(registry_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """The app under AppTest on ``registry_url``, with every Streamlit cache emptied around it."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("REGISTRY_DB_URL", registry_url)
    monkeypatch.setenv("DASHBOARD_ROLE", "county")
    monkeypatch.setenv("DASHBOARD_DEMO", "1")  # no login: the demo user (county) on this registry
    st.cache_data.clear()
    st.cache_resource.clear()
    yield AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    st.cache_data.clear()
    st.cache_resource.clear()
